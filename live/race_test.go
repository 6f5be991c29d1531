//go:build race

package live

// raceEnabled: the race detector makes everything several times slower.
const raceEnabled = true
