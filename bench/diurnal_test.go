package bench

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkDiurnalDayClusterAutoscaler: the capacity planner's day, 50
// Deployments with HPAs following a 24-hour sine, m5.large nodes added and
// removed by Cluster Autoscaler between 3 and 200.
func BenchmarkDiurnalDayClusterAutoscaler(b *testing.B) {
	benchmark(b, Config{Autoscaler: ClusterAutoscaler, Deployments: 50, Nodes: 200})
}

// BenchmarkDiurnalDayKarpenter: the same day under Karpenter, its
// NodePool limited to 200 m5.large worth of CPU.
func BenchmarkDiurnalDayKarpenter(b *testing.B) {
	benchmark(b, Config{Autoscaler: Karpenter, Deployments: 50, Nodes: 200})
}

// TestDiurnalDayGrowsAndShrinks runs a small diurnal day under each
// autoscaler, with GOMAXPROCS 1 and 2: the HPAs grow the Deployments with
// the traffic, the autoscaler adds machines for them and gives them back
// at night, and the two runs leave the same trace.
func TestDiurnalDayGrowsAndShrinks(t *testing.T) {
	if testing.Short() {
		t.Skip("four simulated days")
	}
	for _, as := range Autoscalers {
		t.Run(as, func(t *testing.T) {
			cfg := Config{Autoscaler: as, Deployments: 2, Nodes: 10, EtcdMembers: 1}
			var hashes []string
			for _, procs := range []int{1, 2} {
				prev := runtime.GOMAXPROCS(procs)
				res, err := Run(cfg)
				runtime.GOMAXPROCS(prev)
				require.NoError(t, err)
				require.Equal(t, 24*time.Hour, res.VirtualTime)
				hashes = append(hashes, res.TraceHash)
				// Two Deployments at their 2-pod minimum at night; at
				// their peaks (2400/s and 2700/s, 8 and 9 pods at 60%)
				// four times as many.
				require.Equal(t, 2*2, res.Running, "back to the HPAs' minimum at night")
				require.GreaterOrEqual(t, res.PeakRunning, 4*res.Running, "the HPAs followed the traffic up")
				require.Greater(t, res.PeakNodes, 5, "the autoscaler added machines")
				require.LessOrEqual(t, res.PeakNodes, 10+2)
				t.Logf("GOMAXPROCS=%d: %s", procs, res)
			}
			require.Equal(t, hashes[0], hashes[1], "same scenario and seed, same trace with GOMAXPROCS 1 and 2")
		})
	}
}
