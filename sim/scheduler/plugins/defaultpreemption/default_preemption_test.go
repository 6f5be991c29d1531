package defaultpreemption

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/noderesources"
)

func run(t *testing.T, nodes []*corev1.Node, pods []*corev1.Pod, pod *corev1.Pod) (*framework.PostFilterResult, *framework.Status) {
	c := st.Snapshot(nodes, pods)
	fit := noderesources.NewFit("")
	fwk := framework.NewFramework(framework.PluginSpec{Plugin: fit})
	state := framework.NewCycleState()
	require.True(t, fwk.RunPreFilterPlugins(state, pod).IsSuccess())
	var statuses []framework.NodeStatus
	for _, ni := range c.NodeInfos() {
		if s := fwk.RunFilterPlugins(state, pod, ni); !s.IsSuccess() {
			statuses = append(statuses, framework.NodeStatus{Node: ni, Status: s})
		}
	}
	pl := New(c, nil, sim.NewEngine(1).Rand("t"))
	pl.SetFramework(fwk)
	return pl.PostFilter(state, pod, statuses)
}

func TestPicksCheapestNode(t *testing.T) {
	nodes := []*corev1.Node{st.Node("a", "2", "8Gi", 110).Obj(), st.Node("b", "2", "8Gi", 110).Obj()}
	pods := []*corev1.Pod{
		// a: one priority-100 pod must go; b: priority 10 and 5 pods.
		st.Pod("a1").Req("1500m", "").Priority(100).Node("a").Obj(),
		st.Pod("b1").Req("800m", "").Priority(10).Node("b").Obj(),
		st.Pod("b2").Req("800m", "").Priority(5).Node("b").Obj(),
	}
	pod := st.Pod("p").Req("1500m", "").Priority(1000).Obj()
	res, status := run(t, nodes, pods, pod)
	require.True(t, status.IsSuccess(), status.Message())
	// b's highest victim priority (10) is lower than a's (100).
	require.Equal(t, "b", res.NominatedNodeName)
	names := []string{}
	for _, v := range res.Victims {
		names = append(names, v.Name)
	}
	require.Equal(t, []string{"b1", "b2"}, names)
}

func TestReprievesWhatItCan(t *testing.T) {
	nodes := []*corev1.Node{st.Node("a", "2", "8Gi", 110).Obj()}
	pods := []*corev1.Pod{
		st.Pod("keep").Req("500m", "").Priority(50).Node("a").Obj(),
		st.Pod("go").Req("1", "").Priority(10).Node("a").Obj(),
	}
	res, status := run(t, nodes, pods, st.Pod("p").Req("1", "").Priority(1000).Obj())
	require.True(t, status.IsSuccess())
	require.Len(t, res.Victims, 1)
	require.Equal(t, "go", res.Victims[0].Name)
}

func TestMessages(t *testing.T) {
	nodes := []*corev1.Node{st.Node("a", "2", "8Gi", 110).Obj()}
	pods := []*corev1.Pod{st.Pod("same").Req("2", "").Priority(1000).Node("a").Obj()}
	_, status := run(t, nodes, pods, st.Pod("p").Req("1", "").Priority(1000).Obj())
	require.Equal(t, "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.", status.Message())

	never := corev1.PreemptNever
	pod := st.Pod("p").Req("1", "").Priority(2000).Obj()
	pod.Spec.PreemptionPolicy = &never
	_, status = run(t, nodes, pods, pod)
	require.Equal(t, "preemption: not eligible due to preemptionPolicy=Never.", status.Message())

	// Lower-priority pods exist but removing them is not enough.
	pods = []*corev1.Pod{st.Pod("low").Req("1", "").Priority(1).Node("a").Obj(), st.Pod("high").Req("1", "").Priority(5000).Node("a").Obj()}
	_, status = run(t, nodes, pods, st.Pod("p").Req("1500m", "").Priority(1000).Obj())
	require.Equal(t, "preemption: 0/1 nodes are available: 1 Insufficient cpu.", status.Message())
}
