package nodelifecycle_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/nodelifecycle"
	"github.com/kubesim/kubesim/sim/controllers/nodelifecycle/podgc"
	"github.com/kubesim/kubesim/sim/controllers/nodelifecycle/tainteviction"
)

func startControllers(f *fixture, cfg nodelifecycle.Config) *nodelifecycle.Controller {
	nlc := nodelifecycle.New(f.Engine, f.Server.Client("node-lifecycle-controller"), cfg)
	nlc.Start()
	tainteviction.New(f.Engine, f.Server.Client("taint-eviction-controller"), controllerutil.Config{}).Start()
	return nlc
}

// TestDeadNode follows a node whose kubelet stops at t=100 s through
// Unknown, taints, not-ready pods, evictions after 60 s and 300 s, and
// back to healthy when the kubelet returns.
func TestDeadNode(t *testing.T) {
	f := newFixture(t)
	f.addNode("general-1", "us-east-1a")
	f.addNode("general-2", "us-east-1a")
	f.addPod("web-default", "general-1")
	f.addPod("web-60", "general-1", corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
		Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(int64(60))})
	f.addPod("web-forever", "general-1", corev1.Toleration{Operator: corev1.TolerationOpExists})
	f.addPod("web-other", "general-2")
	startControllers(f, nodelifecycle.Config{})

	const stop = 100 * time.Second
	f.Engine.RunUntil(stop)
	f.silent["general-1"] = true // last renewal was at t=100 s

	require.True(t, f.runUntil(10*time.Minute, func() bool { return readyStatus(f.node("general-1")) == corev1.ConditionUnknown }))
	unknownAt := f.Engine.Elapsed()
	require.GreaterOrEqual(t, secs(unknownAt), secs(stop+50*time.Second))
	require.LessOrEqual(t, secs(unknownAt), secs(stop+55*time.Second))
	n := f.node("general-1")
	for _, c := range n.Status.Conditions {
		require.Equal(t, corev1.ConditionUnknown, c.Status, c.Type)
		require.Equal(t, "NodeStatusUnknown", c.Reason)
		require.Equal(t, "Kubelet stopped posting node status.", c.Message)
	}
	require.Equal(t, corev1.ConditionTrue, readyStatus(f.node("general-2")))
	require.Equal(t, []string{"Node general-1 status is now: NodeNotReady"}, f.events("default", "NodeNotReady")[:1])

	f.Engine.RunUntil(unknownAt + time.Second)
	for _, p := range []string{"web-default", "web-60", "web-forever"} {
		require.Equal(t, corev1.ConditionFalse, podReady(f.pod(p)), p)
	}
	require.Equal(t, corev1.ConditionTrue, podReady(f.pod("web-other")))
	require.NotNil(t, findTaint(f.node("general-1"), corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule))
	require.Len(t, f.events("default", "NodeNotReady"), 4, "node event + 3 pod warnings")

	// The NoExecute taint follows on the next monitor pass.
	require.True(t, f.runUntil(unknownAt+10*time.Second, func() bool {
		return findTaint(f.node("general-1"), corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) != nil
	}))
	taint := findTaint(f.node("general-1"), corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute)
	require.NotNil(t, taint.TimeAdded)
	added := elapsed(*taint.TimeAdded)
	require.Greater(t, added, unknownAt)
	require.LessOrEqual(t, added, unknownAt+6*time.Second)

	deletedAt := func(name string) time.Duration {
		require.True(t, f.runUntil(added+20*time.Minute, func() bool { p := f.pod(name); return p == nil || p.DeletionTimestamp != nil }), name)
		return f.Engine.Elapsed() - added
	}
	d60 := deletedAt("web-60")
	require.GreaterOrEqual(t, d60, 60*time.Second)
	require.Less(t, d60, 61*time.Second)
	d300 := deletedAt("web-default")
	require.GreaterOrEqual(t, d300, 300*time.Second)
	require.Less(t, d300, 301*time.Second)
	require.Contains(t, f.events("default", "TaintManagerEviction"), "Marking for deletion Pod default/web-default")
	p := f.pod("web-default")
	require.NotNil(t, p, "stays Terminating: no kubelet to finish it")
	require.Equal(t, "DeletionByTaintManager", p.Status.Conditions[len(p.Status.Conditions)-1].Reason)

	f.Engine.RunUntil(added + 30*time.Minute)
	require.Nil(t, f.pod("web-forever").DeletionTimestamp, "tolerates forever")
	require.Nil(t, f.pod("web-other").DeletionTimestamp)

	f.revive("general-1")
	f.Engine.RunUntil(f.Engine.Elapsed() + 6*time.Second)
	require.Empty(t, f.node("general-1").Spec.Taints)
	require.Equal(t, corev1.ConditionTrue, readyStatus(f.node("general-1")))
}

// TestNeverReady: a node that never posts a Ready condition nor a Lease is
// marked Unknown after the 60 s startup grace.
func TestNeverReady(t *testing.T) {
	f := newFixture(t)
	_, err := f.Admin.Create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "fresh"}})
	require.NoError(t, err)
	startControllers(f, nodelifecycle.Config{})
	require.True(t, f.runUntil(5*time.Minute, func() bool { return readyStatus(f.node("fresh")) == corev1.ConditionUnknown }))
	require.GreaterOrEqual(t, f.Engine.Elapsed(), 60*time.Second)
	require.LessOrEqual(t, f.Engine.Elapsed(), 65*time.Second)
	n := f.node("fresh")
	require.Len(t, n.Status.Conditions, 4)
	require.Equal(t, "NodeStatusNeverUpdated", n.Status.Conditions[0].Reason)
	require.Equal(t, []string{"Node fresh event: Registered Node fresh in Controller"}, f.events("default", "RegisteredNode"))
}

// TestNoScheduleTaints: condition taints follow the node's conditions and
// spec.unschedulable, in both directions.
func TestNoScheduleTaints(t *testing.T) {
	f := newFixture(t)
	f.addNode("n1", "a")
	startControllers(f, nodelifecycle.Config{})
	f.Engine.RunUntil(time.Second)
	require.Empty(t, f.node("n1").Spec.Taints)

	n := f.node("n1").DeepCopy()
	n.Status.Conditions[1].Status = corev1.ConditionTrue // MemoryPressure
	_, err := f.Admin.UpdateStatus(n)
	require.NoError(t, err)
	n = f.node("n1").DeepCopy()
	n.Spec.Unschedulable = true
	_, err = f.Admin.Update(n)
	require.NoError(t, err)
	f.Engine.RunUntil(2 * time.Second)
	require.NotNil(t, findTaint(f.node("n1"), corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule))
	require.NotNil(t, findTaint(f.node("n1"), corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule))

	n = f.node("n1").DeepCopy()
	n.Status.Conditions[1].Status = corev1.ConditionFalse
	_, err = f.Admin.UpdateStatus(n)
	require.NoError(t, err)
	f.Engine.RunUntil(3 * time.Second)
	require.Nil(t, findTaint(f.node("n1"), corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule))
	require.NotNil(t, findTaint(f.node("n1"), corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule))
}

// TestPodGC: the pods of a deleted node are failed and force-deleted after
// the 40 s quarantine, at a 20 s collection tick.
func TestPodGC(t *testing.T) {
	f := newFixture(t)
	f.addNode("n1", "a")
	f.addNode("n2", "a")
	f.addPod("orphan", "n1")
	f.addPod("kept", "n2")
	podgc.New(f.Engine, f.Server.Client("pod-garbage-collector"), podgc.Config{}).Start()
	f.Engine.RunUntil(5 * time.Second)
	require.NoError(t, f.Admin.Delete("Node", "", "n1", apiserverDeleteOptions()))
	f.Engine.RunUntil(5*time.Second + 39*time.Second)
	require.NotNil(t, f.pod("orphan"))
	f.Engine.RunUntil(5*time.Second + 61*time.Second)
	require.Nil(t, f.pod("orphan"))
	require.NotNil(t, f.pod("kept"))
}

// BenchmarkMonitor5000 runs ten virtual minutes of a healthy 5,000-node
// cluster (the fake kubelets' lease renewals included).
func BenchmarkMonitor5000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		f := newFixture(&testing.T{})
		for n := 0; n < 5000; n++ {
			f.addNode(fmt.Sprintf("n-%04d", n), fmt.Sprintf("z%d", n%3))
		}
		startControllers(f, nodelifecycle.Config{})
		f.Engine.RunUntil(10 * time.Minute)
	}
}
