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
//
// The traces are pinned: a change that moves them changes what the
// simulation does (a fidelity fix names itself and updates the hash
// here), which a speed-up must not.
func TestDiurnalDayGrowsAndShrinks(t *testing.T) {
	if testing.Short() {
		t.Skip("four simulated days")
	}
	want := map[string]string{
		ClusterAutoscaler: "sha256:d1b8faf00eb2fc107b7414fbc2a19edef6d3e2c2aec2bc2313b7c4c39a362709",
		Karpenter:         "sha256:2b9109af738041087683ffac47c13161040e4ba5b68ed9b4b62c2aa0f235f890",
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
			require.Equal(t, want[as], hashes[0], "the day's trace")
		})
	}
}

// TestDiurnalBenchDays pins the traces of the two days `kubesim bench
// --autoscaler X --deployments 50 --nodes 200` runs (issue 11's
// benchmark): work on their speed must leave them as they are.
func TestDiurnalBenchDays(t *testing.T) {
	if testing.Short() {
		t.Skip("two full benchmark days")
	}
	for _, tc := range []struct{ autoscaler, hash string }{
		{ClusterAutoscaler, "sha256:d08a18f39f9bd72a27ac478502bb1d115fd6d198302aff6c24ff2dc440ceb907"},
		{Karpenter, "sha256:82668a120c077f4312bbad9afb3f910c3ebfbbce47d0d181d518970f892827ce"},
	} {
		t.Run(tc.autoscaler, func(t *testing.T) {
			res, err := Run(Config{Autoscaler: tc.autoscaler, Deployments: 50, Nodes: 200})
			require.NoError(t, err)
			require.Equal(t, 24*time.Hour, res.VirtualTime)
			require.Greater(t, res.PeakRunning, 2*res.Running, "the HPAs followed the traffic up and back down")
			require.Greater(t, res.PeakNodes, 20, "the autoscaler grew the cluster for the peak")
			require.Equal(t, tc.hash, res.TraceHash, "the bench day's trace")
			t.Logf("%s", res)
		})
	}
}
