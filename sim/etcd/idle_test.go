package etcd

import (
	"math"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/store"
)

// processCPU is the CPU time (user + system) this process used so far.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestIdleClusterCPU measures what a three-member cluster with nothing to
// commit costs: raft's heartbeats and commit-index ticks. A session that
// is paused (or paced with nothing due) keeps its cluster running, so
// this is most of an idle session's CPU. The figure is CPU time of the
// whole test process over wall time, so a busy machine does not inflate
// it much; the bound is generous (the figure is 0.7 to 1.3% of a core; it
// was 7.5% when raft heartbeated every 5 ms and sent the commit index
// every 2). The least of three windows is the cluster's idle cost: one
// window can also hold the end of an earlier test's garbage collection or
// the runtime's scavenger (a single 2 s window once read 3.4% on a loaded
// CI machine).
func TestIdleClusterCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("measures over three wall seconds")
	}
	c := startCluster(t, 3)
	w := newWriter()
	require.NoError(t, c.Append([]store.Mutation{w.put("a", "1")}))
	requireConverged(t, c, w)
	runtime.GC()

	least := math.Inf(1)
	for range 3 {
		pct := idleWindow(t, time.Second)
		least = math.Min(least, pct)
	}
	require.Less(t, least, 3.0, "an idle raft cluster should sleep, not poll")
	requireConverged(t, c, w)
}

// idleWindow sleeps for window and returns the process's CPU time over it
// as a percentage of one core.
func idleWindow(t *testing.T, window time.Duration) float64 {
	t.Helper()
	cpu0, wall0 := processCPU(t), time.Now()
	time.Sleep(window)
	cpu, wall := processCPU(t)-cpu0, time.Since(wall0)
	pct := 100 * float64(cpu) / float64(wall)
	t.Logf("idle three-member cluster: %.2f%% of a core (%s CPU over %s)", pct, cpu.Round(time.Millisecond), wall.Round(time.Millisecond))
	return pct
}
