//go:build !race

package kubeapi

const raceSlowdown = 1
