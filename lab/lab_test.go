package lab

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLibraryParses(t *testing.T) {
	labs, err := Library()
	require.NoError(t, err)
	require.NotEmpty(t, labs)
	for _, l := range labs {
		require.NotEmpty(t, l.Solution, l.Name)
	}
}

// TestResetKeepsTheClusterRunning: after `kubesim lab reset` the new
// cluster runs on from its warm-up, as the first one did (it stayed
// paused at the warm-up's end, and nothing the learner did took effect).
func TestResetKeepsTheClusterRunning(t *testing.T) {
	l, err := LoadLibrary("pending-taint")
	require.NoError(t, err)
	f := newLabFixture(t, l, Options{Speed: 50})
	moves := func(when string) {
		start := f.r.Session().Snapshot().Time
		require.Eventually(t, func() bool { return f.r.Session().Snapshot().Time > start+10*time.Second },
			time.Minute, 20*time.Millisecond, "virtual time stands still %s", when)
	}
	moves("after the start")
	require.NoError(t, f.r.Reset())
	require.Equal(t, l.Warmup, f.r.Session().Snapshot().Time.Round(time.Second), "the reset cluster is the lab's start")
	moves("after a reset")
}
