package scheduler

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// TestQuickRuleImpliesFilter: a node the cycle's merged QuickRule passes
// is one every default Filter plugin passes, over nodes at and around
// their limits (CPU, memory, pod count), cordoned and tainted ones, and
// pods that request nothing, exactly the room left, or a GPU. On a
// present, uncordoned, untainted node the rule is also exact for a pod
// requesting only CPU and memory, so the fast path is the common one.
func TestQuickRuleImpliesFilter(t *testing.T) {
	w := newWorld(1)
	c := cache.New()
	var nodes []*corev1.Node
	for i, cpu := range []string{"1", "2", "4"} {
		for j, pods := range []int64{1, 2, 3} {
			n := makeNode(fmt.Sprintf("n-%d-%d", i, j), "z", cpu, "4Gi", pods)
			switch (i*3 + j) % 4 {
			case 1:
				n.Spec.Unschedulable = true
			case 2:
				n.Spec.Taints = []corev1.Taint{{Key: "k", Value: "v", Effect: corev1.TaintEffectNoSchedule}}
			case 3:
				n.Status.Allocatable["nvidia.com/gpu"] = resource.MustParse("1")
			}
			c.AddNode(n)
			nodes = append(nodes, n)
		}
	}
	// Fill each node with one pod of 1 CPU and 1Gi.
	for i, n := range nodes {
		p := makePod(fmt.Sprintf("used-%d", i), "1", "1Gi", nil)
		p.Spec.NodeName = n.Name
		c.AddPod(p)
	}
	gpu := makePod("gpu", "100m", "", nil)
	gpu.Spec.Containers[0].Resources.Requests["nvidia.com/gpu"] = resource.MustParse("1")
	tolerant := makePod("tolerant", "1", "1Gi", nil)
	tolerant.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	pods := []*corev1.Pod{
		makePod("none", "", "", nil), makePod("cpu", "1", "", nil), makePod("mem", "", "3Gi", nil),
		makePod("exact", "3", "3Gi", nil), makePod("over", "3001m", "1Gi", nil), makePod("overmem", "1", "3073Mi", nil),
		gpu, tolerant,
	}
	fwk := framework.NewFramework(DefaultPlugins(c, w.Store, "")...)
	passed, rejected := 0, 0
	for _, pod := range pods {
		state := framework.NewCycleState()
		state.SetPodInfo(framework.NewPodInfo(pod))
		require.Nil(t, fwk.RunPreFilterPlugins(state, pod), pod.Name)
		rule, ok := fwk.QuickFilterRule(state, pod)
		require.Equal(t, pod.Name != "gpu", ok, "pod %s: a rule unless it requests a GPU", pod.Name)
		for _, ni := range c.NodeInfos() {
			st := fwk.RunFilterPlugins(state, pod, ni)
			if !ok {
				continue
			}
			pass := rule.Passes(ni)
			if pass {
				passed++
				require.Nil(t, st, "pod %s node %s: the rule passes a node Filter rejects", pod.Name, ni.Name())
			} else if st.IsSuccess() {
				require.True(t, ni.Unschedulable || len(ni.Taints) > 0,
					"pod %s node %s: the rule rejects a plain node Filter passes", pod.Name, ni.Name())
			} else {
				rejected++
			}
		}
	}
	require.Positive(t, passed)
	require.Positive(t, rejected)
}
