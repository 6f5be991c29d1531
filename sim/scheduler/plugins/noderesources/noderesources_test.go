package noderesources

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

const mi = 1024 * 1024

func TestResourceScores(t *testing.T) {
	alloc := podutil.Resources{MilliCPU: 4000, Memory: 10000 * mi}
	tests := []struct {
		name                  string
		req                   podutil.Resources
		least, most, balanced int64
	}{
		// cpu (4000-3000)*100/4000 = 25, mem 50 -> (25+50)/2 = 37.
		// most: 75, 50 -> 62. balanced: |0.75-0.5|/2 = 0.125 -> 87.
		{"3000m/5000Mi", podutil.Resources{MilliCPU: 3000, Memory: 5000 * mi}, 37, 62, 87},
		// empty node: least 100, most 0, balanced 100.
		{"nothing", podutil.Resources{}, 100, 0, 100},
		// over-committed cpu: least cpu 0, mem 100-20 = 80 -> 40; most cpu
		// capped at 100, mem 20 -> 60; balanced fractions 1 and 0.2 -> 60.
		{"overcommitted", podutil.Resources{MilliCPU: 5000, Memory: 2000 * mi}, 40, 60, 60},
		// 1000m/2500Mi: least 75,75 -> 75; most 25,25 -> 25; balanced 100.
		{"even", podutil.Resources{MilliCPU: 1000, Memory: 2500 * mi}, 75, 25, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.least, ResourceScore(LeastRequestedScore, tc.req, alloc))
			require.Equal(t, tc.most, ResourceScore(MostRequestedScore, tc.req, alloc))
			require.Equal(t, tc.balanced, BalancedScore(tc.req, alloc))
		})
	}
}

func TestFitScoreThroughPlugin(t *testing.T) {
	// An existing 2000m/3000Mi pod plus the incoming 1000m/2000Mi one make
	// 3000m/5000Mi on a 4000m/10000Mi node.
	node := st.Node("n1", "4000m", "10000Mi", 110).Obj()
	existing := st.Pod("e").Req("2000m", "3000Mi").Node("n1").Obj()
	c := st.Snapshot([]*corev1.Node{node}, []*corev1.Pod{existing})
	pod := st.Pod("p").Req("1000m", "2000Mi").Obj()
	for strategy, want := range map[string]int64{LeastAllocated: 37, MostAllocated: 62, "": 37} {
		got, status := st.Scores(NewFit(strategy), c, pod)
		require.True(t, status.IsSuccess())
		require.Equal(t, want, got["n1"], strategy)
	}
	// Balance before 90 (50%/30%), after 87 (75%/50%): 50 + (50+87-90)/2.
	got, _ := st.Scores(NewBalancedAllocation(), c, pod)
	require.Equal(t, int64(73), got["n1"])
}

func TestNonZeroDefaultsInScore(t *testing.T) {
	// A pod without requests counts as 100m/200Mi for scoring:
	// cpu (1000-100)*100/1000 = 90, mem (1000-200)*100/1000 = 80 -> 85.
	c := st.Snapshot([]*corev1.Node{st.Node("n1", "1000m", "1000Mi", 110).Obj()}, nil)
	got, _ := st.Scores(NewFit(""), c, st.Pod("p").Obj())
	require.Equal(t, int64(85), got["n1"])
	// BalancedAllocation skips best-effort pods.
	_, status := st.Scores(NewBalancedAllocation(), c, st.Pod("p").Obj())
	require.True(t, status.IsSkip())
}

func TestFitFilter(t *testing.T) {
	tests := []struct {
		name    string
		node    *corev1.Node
		pods    []*corev1.Pod
		pod     *corev1.Pod
		code    framework.Code
		reasons []string
	}{{
		name: "fits",
		node: st.Node("n", "2", "4Gi", 110).Obj(),
		pod:  st.Pod("p").Req("1", "1Gi").Obj(),
	}, {
		name:    "cpu and memory short",
		node:    st.Node("n", "2", "4Gi", 110).Obj(),
		pods:    []*corev1.Pod{st.Pod("e").Req("1500m", "3Gi").Node("n").Obj()},
		pod:     st.Pod("p").Req("1", "2Gi").Obj(),
		code:    framework.Unschedulable,
		reasons: []string{ReasonInsufficientCPU, ReasonInsufficientMemory},
	}, {
		name:    "too many pods even without requests",
		node:    st.Node("n", "2", "4Gi", 1).Obj(),
		pods:    []*corev1.Pod{st.Pod("e").Node("n").Obj()},
		pod:     st.Pod("p").Obj(),
		code:    framework.Unschedulable,
		reasons: []string{ReasonTooManyPods},
	}, {
		name:    "larger than the node: unresolvable",
		node:    st.Node("n", "2", "4Gi", 110).Obj(),
		pod:     st.Pod("p").Req("3", "").Obj(),
		code:    framework.UnschedulableAndUnresolvable,
		reasons: []string{ReasonInsufficientCPU},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := st.Snapshot([]*corev1.Node{tc.node}, tc.pods)
			status := st.Filter(NewFit(""), c, tc.pod, "n")
			require.Equal(t, tc.code, status.Code())
			require.Equal(t, tc.reasons, status.Reasons())
		})
	}
}
