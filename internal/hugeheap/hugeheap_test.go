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

// TestReserveOnce: a reserve turned off or too small does nothing and
// leaves the process's one reserve to a later call; after the first
// call that tried, none does anything.
func TestReserveOnce(t *testing.T) {
	t.Setenv("KUBESIM_HUGEPAGES", Off)
	require.Zero(t, Reserve(minReserve))
	t.Setenv("KUBESIM_HUGEPAGES", "")
	t.Setenv("GODEBUG", "disablethp=1")
	require.Zero(t, Reserve(minReserve))
	t.Setenv("GODEBUG", "")
	require.Zero(t, Reserve(minReserve-1))
	mu.Lock()
	require.False(t, reserved, "a call that reserved nothing uses up the process's reserve")
	mu.Unlock()
	Reserve(minReserve) // advises minReserve, or 0 where the kernel refuses
	mu.Lock()
	require.True(t, reserved)
	mu.Unlock()
	require.Zero(t, Reserve(minReserve), "only the first reserve counts")
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
