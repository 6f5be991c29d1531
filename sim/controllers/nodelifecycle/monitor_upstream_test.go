package nodelifecycle

// Ported from upstream, inputs and expected values unchanged, harness
// adapted:
//   kubernetes v1.37.2 pkg/controller/nodelifecycle/node_lifecycle_controller_test.go
//     TestMonitorNodeHealthUpdateStatus
// Harness: the simulator's clock starts at sim.Epoch, so every timestamp
// of a case is shifted by the same amount (fakeNow becomes the clock's
// start; the differences between times, which are what the monitor
// reads, are unchanged). The node is written to the store directly (the
// API server would stamp its own creation time); a pass is
// monitorNodeHealth, run once, then again after timeToPass with the
// case's new status. Upstream's request counts are a fake client's; here
// "no action" is checked as the node left unwritten, and the pod status
// update as the pod's Ready condition after the controller's pod queue
// has run. The grace periods are the case's: 50 s monitor, 60 s startup.
// The lease and mark-pods-not-ready tables are in
// monitor_lease_upstream_test.go. The three tables write their nodes and
// conditions with the builders below (upstreamNode, withCapacity,
// neverUpdated, stoppedPosting, ...) instead of upstream's struct
// literals; the values are the same.

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
)

// fakeNodeHandler stands for upstream's testutil.FakeNodeHandler: the
// existing nodes and the pods.
type fakeNodeHandler struct {
	Existing  []*v1.Node
	Clientset []*v1.Pod
}

// newPod is upstream's testutil.NewPod: a ready pod bound to host.
func newPod(name, host string) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec:       v1.PodSpec{NodeName: host},
		Status:     v1.PodStatus{Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue}}},
	}
}

// shiftNode moves every timestamp of n by d.
func shiftNode(n *v1.Node, d time.Duration) *v1.Node {
	n = n.DeepCopy()
	n.CreationTimestamp = metav1.NewTime(n.CreationTimestamp.Add(d))
	shiftStatus(&n.Status, d)
	return n
}

func shiftStatus(st *v1.NodeStatus, d time.Duration) {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		c.LastHeartbeatTime = metav1.NewTime(c.LastHeartbeatTime.Add(d))
		c.LastTransitionTime = metav1.NewTime(c.LastTransitionTime.Add(d))
	}
}

// The instants and capacity upstream's monitor tables share: when the
// node was created, the fake clock's "now", and the node's capacity.
var (
	upstreamNodeCreationTime = metav1.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
	upstreamFakeNow          = metav1.Date(2015, 1, 1, 12, 0, 0, 0, time.UTC)
	upstreamCapacity         = v1.ResourceList{
		v1.ResourceName(v1.ResourceCPU):    resource.MustParse("10"),
		v1.ResourceName(v1.ResourceMemory): resource.MustParse("10G"),
	}
)

// withCapacity is a node status of the conditions and upstreamCapacity.
func withCapacity(conds ...v1.NodeCondition) v1.NodeStatus {
	return v1.NodeStatus{Conditions: conds, Capacity: upstreamCapacity}
}

// upstreamNode is node0 as upstream's tables write it, created at
// created, with status.
func upstreamNode(created metav1.Time, status v1.NodeStatus) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node0", CreationTimestamp: created}, Status: status}
}

// posted is a condition as a kubelet posts it: t is status, last heard
// at heartbeat, since transition.
func posted(t v1.NodeConditionType, status v1.ConditionStatus, heartbeat, transition metav1.Time) v1.NodeCondition {
	return v1.NodeCondition{Type: t, Status: status, LastHeartbeatTime: heartbeat, LastTransitionTime: transition}
}

// readySince is the Ready=True condition a kubelet posted with its last
// heartbeat and transition at at.
func readySince(at metav1.Time) v1.NodeCondition {
	return posted(v1.NodeReady, v1.ConditionTrue, at, at)
}

// neverUpdated is the condition the monitor posts for a node whose kubelet
// never posted it: Unknown from transition, its heartbeat defaulting to
// the node's creation time.
func neverUpdated(t v1.NodeConditionType, transition metav1.Time) v1.NodeCondition {
	return v1.NodeCondition{
		Type:               t,
		Status:             v1.ConditionUnknown,
		Reason:             "NodeStatusNeverUpdated",
		Message:            "Kubelet never posted node status.",
		LastHeartbeatTime:  upstreamNodeCreationTime,
		LastTransitionTime: transition,
	}
}

// stoppedPosting is the Ready condition the monitor posts once a
// kubelet's last heartbeat is older than the grace period: Unknown from
// transition.
func stoppedPosting(heartbeat, transition metav1.Time) v1.NodeCondition {
	return v1.NodeCondition{
		Type:               v1.NodeReady,
		Status:             v1.ConditionUnknown,
		Reason:             "NodeStatusUnknown",
		Message:            "Kubelet stopped posting node status.",
		LastHeartbeatTime:  heartbeat,
		LastTransitionTime: transition,
	}
}

// allNeverUpdated is the Ready, MemoryPressure, DiskPressure and
// PIDPressure conditions all neverUpdated from transition.
func allNeverUpdated(transition metav1.Time) []v1.NodeCondition {
	return []v1.NodeCondition{
		neverUpdated(v1.NodeReady, transition),
		neverUpdated(v1.NodeMemoryPressure, transition),
		neverUpdated(v1.NodeDiskPressure, transition),
		neverUpdated(v1.NodePIDPressure, transition),
	}
}

func TestMonitorNodeHealthUpdateStatusUpstream(t *testing.T) {
	fakeNow := upstreamFakeNow
	anHourLater := metav1.Time{Time: fakeNow.Add(time.Hour)}
	pods := func() []*v1.Pod { return []*v1.Pod{newPod("pod0", "node0")} }
	table := []struct {
		fakeNodeHandler         *fakeNodeHandler
		timeToPass              time.Duration
		newNodeStatus           v1.NodeStatus
		expectedRequestCount    int
		expectedNodes           []*v1.Node
		expectedPodStatusUpdate bool
	}{
		// Node created long time ago, without status:
		// Expect Unknown status posted from node controller.
		{
			fakeNodeHandler:         &fakeNodeHandler{Existing: []*v1.Node{upstreamNode(upstreamNodeCreationTime, v1.NodeStatus{})}, Clientset: pods()},
			expectedRequestCount:    2, // List+Update
			expectedNodes:           []*v1.Node{upstreamNode(upstreamNodeCreationTime, v1.NodeStatus{Conditions: allNeverUpdated(fakeNow)})},
			expectedPodStatusUpdate: false, // Pod was never scheduled
		},
		// Node created recently, without status.
		// Expect no action from node controller (within startup grace period).
		{
			fakeNodeHandler:         &fakeNodeHandler{Existing: []*v1.Node{upstreamNode(fakeNow, v1.NodeStatus{})}, Clientset: pods()},
			expectedRequestCount:    1, // List
			expectedNodes:           nil,
			expectedPodStatusUpdate: false,
		},
		// Node created long time ago, with status updated by kubelet exceeds grace period.
		// Expect Unknown status posted from node controller.
		{
			fakeNodeHandler: &fakeNodeHandler{
				// Node status hasn't been updated for 1hr.
				Existing:  []*v1.Node{upstreamNode(upstreamNodeCreationTime, withCapacity(readySince(fakeNow)))},
				Clientset: pods(),
			},
			expectedRequestCount: 3, // (List+)List+Update
			timeToPass:           time.Hour,
			// Node status hasn't been updated for 1hr.
			newNodeStatus: withCapacity(readySince(fakeNow)),
			expectedNodes: []*v1.Node{upstreamNode(upstreamNodeCreationTime, v1.NodeStatus{
				Conditions: []v1.NodeCondition{
					stoppedPosting(fakeNow, anHourLater),
					// The pressure conditions' heartbeats default to the
					// node's creation time, never having been updated.
					neverUpdated(v1.NodeMemoryPressure, anHourLater),
					neverUpdated(v1.NodeDiskPressure, anHourLater),
					neverUpdated(v1.NodePIDPressure, anHourLater),
				},
				Capacity: upstreamCapacity,
			})},
			expectedPodStatusUpdate: true,
		},
		// Node created long time ago, with status updated recently.
		// Expect no action from node controller (within monitor grace period).
		{
			fakeNodeHandler: &fakeNodeHandler{
				// Node status has just been updated.
				Existing:  []*v1.Node{upstreamNode(upstreamNodeCreationTime, withCapacity(readySince(fakeNow)))},
				Clientset: pods(),
			},
			expectedRequestCount:    1, // List
			expectedNodes:           nil,
			expectedPodStatusUpdate: false,
		},
	}
	for i, item := range table {
		w, shift := upstreamWorld(fakeNow)
		e, st, srv := w.Engine, w.Store, w.Server
		if _, err := st.Create(shiftNode(item.fakeNodeHandler.Existing[0], shift)); err != nil {
			t.Fatal(err)
		}
		for _, p := range item.fakeNodeHandler.Clientset {
			if _, err := st.Create(p.DeepCopy()); err != nil {
				t.Fatal(err)
			}
		}
		c := New(e, srv.Client("node-lifecycle-controller"), Config{MonitorGracePeriod: 50 * time.Second, StartupGracePeriod: 60 * time.Second, MonitorPeriod: 5 * time.Second})
		c.monitorNodeHealth()
		if item.timeToPass > 0 {
			e.RunUntil(e.Elapsed() + item.timeToPass)
			o, _ := st.Get("Node", "", "node0")
			n := o.(*v1.Node).DeepCopy()
			n.Status = *item.newNodeStatus.DeepCopy()
			shiftStatus(&n.Status, shift)
			if _, err := st.Update(n); err != nil {
				t.Fatal(err)
			}
		}
		o, _ := st.Get("Node", "", "node0")
		before := o.GetResourceVersion()
		if item.timeToPass > 0 {
			c.monitorNodeHealth()
		}
		e.RunUntil(e.Elapsed() + time.Second) // the pod queue
		o, _ = st.Get("Node", "", "node0")
		got := o.(*v1.Node)
		if item.expectedNodes == nil {
			if item.timeToPass > 0 && got.GetResourceVersion() != before {
				t.Errorf("Case[%d] expected no node update, got %v", i, got.Status.Conditions)
			}
			if item.timeToPass == 0 && len(got.Status.Conditions) != len(item.fakeNodeHandler.Existing[0].Status.Conditions) {
				t.Errorf("Case[%d] expected no node update, got %v", i, got.Status.Conditions)
			}
		} else {
			want := shiftNode(item.expectedNodes[0], shift)
			if !apiequality.Semantic.DeepEqual(want.Status, got.Status) {
				t.Errorf("Case[%d] unexpected node status:\nwant %+v\ngot  %+v", i, want.Status.Conditions, got.Status.Conditions)
			}
		}
		podStatusUpdated := false
		for _, p := range item.fakeNodeHandler.Clientset {
			o, _ := st.Get("Pod", p.Namespace, p.Name)
			for _, cond := range o.(*v1.Pod).Status.Conditions {
				if cond.Type == v1.PodReady && cond.Status != v1.ConditionTrue {
					podStatusUpdated = true
				}
			}
		}
		if podStatusUpdated != item.expectedPodStatusUpdate {
			t.Errorf("Case[%d] expect pod status updated to be %v, but got %v", i, item.expectedPodStatusUpdate, podStatusUpdated)
		}
	}
}

// upstreamWorld is the harness the ported monitor tests share: an engine
// starting at sim.Epoch, a store and an API server with the default and
// kube-node-lease namespaces, and the shift that moves upstream's fakeNow
// to the engine's start.
func upstreamWorld(fakeNow metav1.Time) (w *apiservertest.World, shift time.Duration) {
	w = apiservertest.NewWorld(1, "default", v1.NamespaceNodeLease)
	return w, w.Engine.Now().Sub(fakeNow.Time)
}
