package nodelifecycle_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/controllers/nodelifecycle"
)

func TestComputeZoneState(t *testing.T) {
	for _, tc := range []struct {
		ready, notReady int
		want            nodelifecycle.ZoneState
	}{
		{10, 0, nodelifecycle.StateNormal},
		{0, 1, nodelifecycle.StateFullDisruption},
		{1, 2, nodelifecycle.StateNormal}, // fewer than 3 not ready never counts
		{2, 3, nodelifecycle.StatePartialDisruption},
		{45, 55, nodelifecycle.StatePartialDisruption},
		{46, 54, nodelifecycle.StateNormal},
	} {
		t.Run(fmt.Sprintf("%d/%d", tc.ready, tc.notReady), func(t *testing.T) {
			require.Equal(t, tc.want, nodelifecycle.ComputeZoneState(tc.ready, tc.notReady, 0.55))
		})
	}
}

// TestZoneRateLimiting kills nodes in zones and checks when (and whether)
// their NoExecute taints arrive.
func TestZoneRateLimiting(t *testing.T) {
	for _, tc := range []struct {
		name      string
		zones     map[string]int // zone -> nodes
		kill      map[string]int // zone -> nodes killed
		wantTaint int            // NoExecute-tainted nodes after 10 minutes
		spacing   time.Duration  // between consecutive taints (0: not checked)
		wantState nodelifecycle.ZoneState
	}{
		{"normal zone taints at 0.1/s", map[string]int{"a": 20}, map[string]int{"a": 3}, 3, 10 * time.Second, nodelifecycle.StateNormal},
		{"small partially disrupted zone stops", map[string]int{"a": 20}, map[string]int{"a": 12}, 0, 0, nodelifecycle.StatePartialDisruption},
		{"large partially disrupted zone slows to 0.01/s", map[string]int{"a": 60}, map[string]int{"a": 40}, 6, 100 * time.Second, nodelifecycle.StatePartialDisruption},
		{"one dead zone of two taints at full rate", map[string]int{"a": 4, "b": 4}, map[string]int{"a": 4}, 4, 10 * time.Second, nodelifecycle.StateFullDisruption},
		{"all zones dead: no taints", map[string]int{"a": 3, "b": 3}, map[string]int{"a": 3, "b": 3}, 0, 0, nodelifecycle.StateFullDisruption},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var dead []string
			for _, z := range []string{"a", "b"} {
				for i := 0; i < tc.zones[z]; i++ {
					name := fmt.Sprintf("%s-%02d", z, i)
					f.addNode(name, z)
					if i < tc.kill[z] {
						dead = append(dead, name)
					}
				}
			}
			nlc := startControllers(f, nodelifecycle.Config{})
			f.Engine.RunUntil(30 * time.Second)
			for _, n := range dead {
				f.silent[n] = true
			}
			f.Engine.RunUntil(30*time.Second + 10*time.Minute)
			var times []time.Duration
			for _, n := range dead {
				if tt := findTaint(f.node(n), corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute); tt != nil {
					times = append(times, elapsed(*tt.TimeAdded))
				}
			}
			require.Len(t, times, tc.wantTaint)
			slices.Sort(times)
			for i := 1; i < len(times) && tc.spacing > 0; i++ {
				require.InDelta(t, tc.spacing.Seconds(), (times[i] - times[i-1]).Seconds(), 0.11, "taint %d", i)
			}
			require.Equal(t, tc.wantState, nlc.ZoneStates()["us-east-1:\x00:a"])
		})
	}
}

// TestDeterministicTrace: the same scenario twice gives the same trace.
func TestDeterministicTrace(t *testing.T) {
	run := func() string {
		f := newFixture(t)
		for i := 0; i < 12; i++ {
			f.addNode(fmt.Sprintf("n-%02d", i), []string{"a", "b"}[i%2])
			f.addPod(fmt.Sprintf("p-%02d", i), fmt.Sprintf("n-%02d", i))
		}
		startControllers(f, nodelifecycle.Config{})
		f.Engine.RunUntil(20 * time.Second)
		for i := 0; i < 5; i++ {
			f.silent[fmt.Sprintf("n-%02d", i)] = true
		}
		f.Engine.RunUntil(15 * time.Minute)
		return f.Engine.Trace().Hash()
	}
	require.Equal(t, run(), run())
}
