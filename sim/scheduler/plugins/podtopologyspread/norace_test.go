//go:build !race

package podtopologyspread

// raceEnabled: see race_test.go.
const raceEnabled = false
