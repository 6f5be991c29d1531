package noderesources

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

// TestBalancedMemoAgreesWithFreshScores: ScoreNodes' memo (one plugin,
// many cycles) answers what a fresh plugin computes after every change a
// score depends on: pods added to and removed from nodes, a node's
// allocatable changing, and the incoming pod's requests changing.
func TestBalancedMemoAgreesWithFreshScores(t *testing.T) {
	nodes := []*corev1.Node{
		st.Node("n1", "4", "16Gi", 110).Obj(),
		st.Node("n2", "8", "16Gi", 110).Obj(),
		st.Node("n3", "4", "32Gi", 110).Obj(),
	}
	c := st.Snapshot(nodes, nil)
	memo := NewBalancedAllocation()
	check := func(step string, pod *corev1.Pod) {
		t.Helper()
		got := batchScores(t, memo, c, pod)
		want := batchScores(t, NewBalancedAllocation(), c, pod)
		require.Equal(t, want, got, step)
		for _, ni := range c.NodeInfos() { // and what Score computes on its own
			s, status := NewBalancedAllocation().Score(framework.NewCycleState(), pod, ni)
			require.True(t, status.IsSuccess())
			require.Equal(t, s, got[ni.Name()], step)
		}
	}
	small := memoSteps(t, c, nodes, check)
	check("back to the first request", small)
	check("the same CPU, more memory", st.Pod("r").Req("500m", "6Gi").Obj())
	check("the same memory, more CPU", st.Pod("s").Req("3", "6Gi").Obj())
	uneven := st.Pod("u").Req("3", "2Gi").Obj()
	check("an uneven request", uneven)
	c.AddPod(st.Pod("c").Req("1", "0").Node("n3").Obj())
	check("a CPU-only pod added to n3", uneven)
	c.AddPod(st.Pod("d").Req("0", "2Gi").Node("n3").Obj())
	check("a memory-only pod added to n3", uneven)
	c.UpdateNode(nodes[1], st.Node("n2", "8", "64Gi", 110).Obj())
	check("n2's memory grew", uneven)
}

// memoSteps changes c the ways a memoised resource score depends on (pods
// added to and removed from nodes, a node's allocatable, the pod's
// request), checking after each; it returns the small request it began
// with. nodes are c's three nodes, n1 to n3.
func memoSteps(t *testing.T, c *cache.Cache, nodes []*corev1.Node, check func(string, *corev1.Pod)) *corev1.Pod {
	t.Helper()
	small := st.Pod("p").Req("500m", "1Gi").Obj()
	check("empty nodes", small)
	check("again, from the memo", small)
	c.AddPod(st.Pod("a").Req("2", "1Gi").Node("n1").Obj())
	check("a pod added to n1", small)
	big := st.Pod("q").Req("1", "8Gi").Obj()
	check("another pod request", big)
	c.AddPod(st.Pod("b").Req("1", "12Gi").Node("n2").Obj())
	check("a pod added to n2", big)
	require.True(t, c.RemovePod(st.Pod("a").Node("n1").Obj()))
	check("a pod removed from n1", big)
	c.UpdateNode(nodes[2], st.Node("n3", "16", "32Gi", 110).Obj())
	check("n3's allocatable grew", big)
	return small
}

// batchPlugin is a score plugin with PreScore and ScoreNodes.
type batchPlugin interface {
	framework.PreScorePlugin
	framework.BatchScorer
}

// batchScores runs PreScore and ScoreNodes (the scheduler's path) over
// every node of c and returns the raw scores by node name.
func batchScores(t *testing.T, b batchPlugin, c interface {
	NodeInfos() []*framework.NodeInfo
}, pod *corev1.Pod) map[string]int64 {
	t.Helper()
	state := framework.NewCycleState()
	nodes := c.NodeInfos()
	require.True(t, b.PreScore(state, pod, nodes).IsSuccess())
	scores := make([]framework.NodeScore, len(nodes))
	require.True(t, b.ScoreNodes(state, pod, nodes, scores).IsSuccess())
	out := map[string]int64{}
	for i, ni := range nodes {
		out[ni.Name()] = scores[i].Score
	}
	return out
}

// TestFitMemoAgreesWithFreshScores is TestBalancedMemoAgreesWithFreshScores
// for NodeResourcesFit's memo, under both strategies: the memo answers
// what a fresh plugin and Score compute after every change of a node's
// non-zero requests or allocatable and of the pod's request, including a
// pod that requests nothing (scored with the non-zero defaults).
func TestFitMemoAgreesWithFreshScores(t *testing.T) {
	for _, strategy := range []string{LeastAllocated, MostAllocated} {
		nodes := []*corev1.Node{
			st.Node("n1", "4", "16Gi", 110).Obj(),
			st.Node("n2", "8", "16Gi", 110).Obj(),
			st.Node("n3", "4", "32Gi", 110).Obj(),
		}
		c := st.Snapshot(nodes, nil)
		memo := NewFit(strategy)
		check := func(step string, pod *corev1.Pod) {
			t.Helper()
			got := batchScores(t, memo, c, pod)
			want := batchScores(t, NewFit(strategy), c, pod)
			require.Equal(t, want, got, "%s: %s", strategy, step)
			for _, ni := range c.NodeInfos() {
				s, status := NewFit(strategy).Score(framework.NewCycleState(), pod, ni)
				require.True(t, status.IsSuccess())
				require.Equal(t, s, got[ni.Name()], "%s: %s", strategy, step)
			}
		}
		small := memoSteps(t, c, nodes, check)
		check("the same CPU, more memory", st.Pod("r").Req("500m", "6Gi").Obj())
		check("the same memory, more CPU", st.Pod("s").Req("3", "6Gi").Obj())
		check("a pod requesting nothing", st.Pod("e").Obj())
		c.AddPod(st.Pod("c").Node("n3").Obj())
		check("a pod requesting nothing added to n3", st.Pod("e").Obj())
		c.UpdateNode(nodes[1], st.Node("n2", "8", "64Gi", 110).Obj())
		check("n2's memory grew", small)
	}
}
