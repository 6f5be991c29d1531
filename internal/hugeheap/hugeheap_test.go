package hugeheap

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestThpDisabled(t *testing.T) {
	for _, c := range []struct {
		godebug string
		want    bool
	}{
		{"", false},
		{"disablethp=1", true},
		{"disablethp=0", false},
		{"madvdontneed=1, disablethp=1", true},
		{"disablethp=1,disablethp=0", false},
		{"gctrace=1", false},
	} {
		require.Equal(t, c.want, thpDisabled(c.godebug), "GODEBUG=%q", c.godebug)
	}
}

// TestReserveTurnedOff: a reserve asked for with KUBESIM_HUGEPAGES=off
// does nothing, and uses up the process's one call.
func TestReserveTurnedOff(t *testing.T) {
	t.Setenv("KUBESIM_HUGEPAGES", Off)
	require.Zero(t, Reserve(minReserve))
	t.Setenv("KUBESIM_HUGEPAGES", "")
	require.Zero(t, Reserve(minReserve), "only the first call counts")
}

func TestForPods(t *testing.T) {
	require.Zero(t, ForPods(0))
	require.Zero(t, ForPods(-3))
	require.Less(t, ForPods(1000), uint64(minReserve), "a small run reserves nothing")
	if totalMemory() >= 16<<30 {
		require.Equal(t, uint64(150_000*perPod), ForPods(150_000))
		require.Equal(t, uint64(maxReserve), ForPods(1_000_000))
	}
}
