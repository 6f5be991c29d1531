package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSchedulesAndSpreads(t *testing.T) {
	w := newWorld(1)
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	for i := 0; i < 6; i++ {
		w.addNode(t, makeNode(nodeName(i), zones[i%3], "4", "8Gi", 110))
	}
	s := New(w.Engine, w.Server.Client("default-scheduler"), Config{})
	s.Start()
	for i := 0; i < 12; i++ {
		w.addPod(t, makePod(fmt.Sprintf("web-%d", i), "100m", "128Mi", map[string]string{"app": "web"}))
	}
	w.Engine.RunUntil(time.Second)

	perNode := map[string]int{}
	for i := 0; i < 12; i++ {
		p := w.pod(t, fmt.Sprintf("web-%d", i))
		require.NotEmpty(t, p.Spec.NodeName, "pod %s not bound", p.Name)
		perNode[p.Spec.NodeName]++
	}
	// LeastAllocated + BalancedAllocation spread equal pods evenly.
	require.Len(t, perNode, 6)
	for n, c := range perNode {
		require.Equal(t, 2, c, "node %s", n)
	}
	require.Equal(t, uint64(12), s.Stats().Scheduled)
	sched := w.events("Scheduled")
	require.Len(t, sched, 12)
	require.Regexp(t, `^Successfully assigned default/web-\d+ to node-000\d$`, sched[0].Message)
	require.Equal(t, "default-scheduler", sched[0].Source.Component)
}

// TestFailedSchedulingMessage: the pending reason, the PodScheduled
// condition and the FailedScheduling event carry upstream's message. A pod
// pinned to one node by a metadata.name node affinity (a DaemonSet pod) is
// filtered on that node only; upstream counts the other nodes under
// "node(s) didn't satisfy plugin(s) [NodeAffinity]" (NodeAffinity's
// PreFilterResult), not as affinity mismatches.
func TestFailedSchedulingMessage(t *testing.T) {
	// nodes adds three nodes of cpu each, the first cordoned (and of 4
	// cpu) when cordonFirst is set, and a running pod of fillerCPU (if
	// any) on every schedulable one.
	nodes := func(t *testing.T, w *world, cpu, fillerCPU string, cordonFirst bool) {
		for i := 0; i < 3; i++ {
			if cordonFirst && i == 0 {
				cordoned := makeNode(nodeName(0), "", "4", "8Gi", 110)
				cordoned.Spec.Unschedulable = true
				w.addNode(t, cordoned)
				continue
			}
			w.addNode(t, makeNode(nodeName(i), "", cpu, "8Gi", 110))
			if fillerCPU != "" {
				f := makePod(fmt.Sprintf("filler-%d", i), fillerCPU, "", nil)
				f.Spec.NodeName = nodeName(i)
				w.addPod(t, f)
			}
		}
	}
	big := func() *corev1.Pod { return makePod("big", "2", "1Gi", nil) }
	pinned := func(node string) *corev1.Pod {
		p := makePod("ds", "1", "", nil)
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
			}}},
		}}
		return p
	}
	tests := []struct {
		name  string
		nodes func(t *testing.T, w *world)
		pod   *corev1.Pod
		want  string
	}{{
		name:  "request larger than any node: preemption cannot help",
		nodes: func(t *testing.T, w *world) { nodes(t, w, "1", "", true) },
		pod:   big(),
		want: "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu. " +
			"preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
	}, {
		name:  "nodes full of equal-priority pods: no victims",
		nodes: func(t *testing.T, w *world) { nodes(t, w, "3", "2", true) },
		pod:   big(),
		want: "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu. " +
			"preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
	}, {
		name:  "pinned node full",
		nodes: func(t *testing.T, w *world) { nodes(t, w, "2", "1500m", false) },
		pod:   pinned(nodeName(1)),
		want: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
			"preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
	}, {
		name:  "pinned node does not exist",
		nodes: func(t *testing.T, w *world) { nodes(t, w, "2", "1500m", false) },
		pod:   pinned("gone"),
		want: "0/3 nodes are available: 3 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
			"preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(1)
			tc.nodes(t, w)
			s := New(w.Engine, w.Server.Client("default-scheduler"), Config{})
			s.Start()
			w.addPod(t, tc.pod)
			w.Engine.RunUntil(time.Second)

			require.Equal(t, tc.want, s.PendingReason("default", tc.pod.Name))
			p := w.pod(t, tc.pod.Name)
			require.Empty(t, p.Spec.NodeName)
			cond := podScheduledCondition(p)
			require.NotNil(t, cond)
			require.Equal(t, corev1.ConditionFalse, cond.Status)
			require.Equal(t, "Unschedulable", cond.Reason)
			require.Equal(t, tc.want, cond.Message)
			ev := w.events("FailedScheduling")
			require.Len(t, ev, 1)
			require.Equal(t, corev1.EventTypeWarning, ev[0].Type)
			require.Equal(t, tc.want, ev[0].Message)
		})
	}
}

func podScheduledCondition(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodScheduled {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

func TestNoNodes(t *testing.T) {
	w := newWorld(1)
	s := New(w.Engine, w.Server.Client("default-scheduler"), Config{})
	s.Start()
	w.addPod(t, makePod("p", "100m", "", nil))
	w.Engine.RunUntil(time.Second)
	require.Equal(t, "no nodes available to schedule pods", s.PendingReason("default", "p"))
	require.Equal(t, "SchedulerError", podScheduledCondition(w.pod(t, "p")).Reason)
}

func TestPreemptsLowerPriorityPod(t *testing.T) {
	w := newWorld(1)
	w.addNode(t, makeNode(nodeName(0), "", "2", "8Gi", 110))
	low := makePod("low", "1500m", "", nil)
	low.Spec.NodeName = nodeName(0)
	w.addPod(t, low)
	s := New(w.Engine, w.Server.Client("default-scheduler"), Config{})
	s.Start()
	_, err := w.Admin.Create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000})
	require.NoError(t, err)
	high := makePod("high", "1", "", nil)
	high.Spec.PriorityClassName = "high" // admission sets spec.priority from the class
	w.addPod(t, high)
	w.Engine.RunUntil(time.Second)

	// The victim is terminating (graceful delete) and the preemptor is
	// nominated to its node.
	require.NotNil(t, w.pod(t, "low").DeletionTimestamp)
	require.Equal(t, nodeName(0), w.pod(t, "high").Status.NominatedNodeName)
	require.Equal(t, uint64(1), s.Stats().Preemptions)
	pre := w.events("Preempted")
	require.Len(t, pre, 1)
	require.Equal(t, "Preempted by pod "+string(w.pod(t, "high").UID)+" on node "+nodeName(0), pre[0].Message)
	require.Equal(t, "0/1 nodes are available: 1 Insufficient cpu.", s.PendingReason("default", "high"))

	// Once the victim is gone (the kubelet finishes the deletion), the
	// preemptor is retried and bound.
	require.NoError(t, w.Admin.Delete("Pod", "default", "low", apiserverForce()))
	w.Engine.RunUntil(15 * time.Second)
	require.Equal(t, nodeName(0), w.pod(t, "high").Spec.NodeName)
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	tests := []struct {
		pct       int32
		n, wanted int
	}{
		{0, 50, 50}, {0, 99, 99}, {0, 100, 100}, {0, 1000, 420}, {0, 5000, 500}, {0, 6000, 300}, {0, 20000, 1000},
		{10, 5000, 500}, {100, 5000, 5000}, {1, 5000, 100},
	}
	for _, tc := range tests {
		require.Equal(t, tc.wanted, NumFeasibleNodesToFind(tc.pct, tc.n), "pct %d n %d", tc.pct, tc.n)
	}
}

func TestRequeuedOnUncordonAndOnPodDelete(t *testing.T) {
	w := newWorld(1)
	node := makeNode(nodeName(0), "", "1", "8Gi", 110)
	node.Spec.Unschedulable = true
	w.addNode(t, node)
	s := New(w.Engine, w.Server.Client("default-scheduler"), Config{})
	s.Start()
	w.addPod(t, makePod("a", "600m", "", nil))
	w.Engine.RunUntil(time.Second)
	require.Equal(t, "0/1 nodes are available: 1 node(s) were unschedulable. "+
		"preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.", s.PendingReason("default", "a"))
	_, _, unsched := s.Queue().Lens()
	require.Equal(t, 1, unsched)

	// kubectl uncordon at 1.5 s: the node update moves the pod straight to
	// activeQ (its 1 s backoff is over), long before the 5-minute flush.
	w.Engine.RunUntil(1500 * time.Millisecond)
	o, _ := w.Store.Get("Node", "", nodeName(0))
	n := o.(*corev1.Node).DeepCopy()
	n.Spec.Unschedulable = false
	_, err := w.Admin.Update(n)
	require.NoError(t, err)
	w.Engine.RunUntil(2 * time.Second)
	require.Equal(t, nodeName(0), w.pod(t, "a").Spec.NodeName)
	require.Empty(t, s.PendingReason("default", "a"))

	// A second pod does not fit until the first is deleted.
	w.addPod(t, makePod("b", "600m", "", nil))
	w.Engine.RunUntil(3 * time.Second)
	require.Contains(t, s.PendingReason("default", "b"), "1 Insufficient cpu")
	require.NoError(t, w.Admin.Delete("Pod", "default", "a", apiserverForce()))
	// b failed at ~2.004 s: its 1 s backoff outlasts the delete event, so
	// it waits in backoffQ for the 4 s flush tick.
	w.Engine.RunUntil(4 * time.Second)
	require.Empty(t, w.pod(t, "b").Spec.NodeName)
	w.Engine.RunUntil(5 * time.Second)
	require.Equal(t, nodeName(0), w.pod(t, "b").Spec.NodeName)
}

func TestIgnoresOtherSchedulers(t *testing.T) {
	w := newWorld(1)
	w.addNode(t, makeNode(nodeName(0), "", "1", "8Gi", 110))
	s := New(w.Engine, w.Server.Client("default-scheduler"), Config{})
	s.Start()
	p := makePod("custom", "", "", nil)
	p.Spec.SchedulerName = "my-scheduler"
	w.addPod(t, p)
	w.Engine.RunUntil(time.Second)
	require.Empty(t, w.pod(t, "custom").Spec.NodeName)
	require.Equal(t, uint64(0), s.Stats().Attempts)
}

func TestMostAllocatedPacks(t *testing.T) {
	w := newWorld(1)
	for i := 0; i < 4; i++ {
		w.addNode(t, makeNode(nodeName(i), "", "4", "8Gi", 110))
	}
	s := New(w.Engine, w.Server.Client("default-scheduler"), Config{ScoringStrategy: "MostAllocated"})
	s.Start()
	for i := 0; i < 6; i++ {
		w.addPod(t, makePod(fmt.Sprintf("p-%d", i), "1", "1Gi", nil))
	}
	w.Engine.RunUntil(time.Second)
	used := map[string]int{}
	for i := 0; i < 6; i++ {
		used[w.pod(t, fmt.Sprintf("p-%d", i)).Spec.NodeName]++
	}
	// Bin packing fills nodes instead of spreading over all four.
	require.Len(t, used, 2)
}
