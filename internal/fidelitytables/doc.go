// Package fidelitytables keeps docs/fidelity-tables.md, the per-area count
// of the upstream test tables ported into the simulator's tests (cases
// ported, passing, skipped and why), equal to what a run of those tests
// measures. Its test runs them with `go test -json` and compares.
package fidelitytables
