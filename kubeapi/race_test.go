//go:build race

package kubeapi

// raceSlowdown scales the wall-clock latency bounds of the tests: the race
// detector makes every memory access several times slower (2–20× by Go's
// own account), so a bound that holds a server's promise in a normal run
// would measure the detector in a -race run.
const raceSlowdown = 5
