package nodelifecycle

// Ported from upstream, inputs and expected values unchanged, harness
// adapted:
//   kubernetes v1.37.2 pkg/controller/nodelifecycle/node_lifecycle_controller_test.go
//     TestMonitorNodeHealthUpdateNodeAndPodStatusWithLease,
//     TestMonitorNodeHealthMarkPodsNotReady
// Harness: as monitor_upstream_test.go's (timestamps shifted to the
// simulator's clock, nodes, pods and Leases written to the store
// directly, a pass is monitorNodeHealth). Upstream counts a fake client's
// requests (one List per pass, one Update per node write); here the
// passes are known and the node writes are counted from its resource
// version, so "List+List+Update" is checked as one write by the
// controller. A Lease is written to kube-node-lease with its renewTime
// shifted like every other time. No case is skipped. Not ported: the
// WithWorkerSize variant (50 nodes x 100 pods of the same happy path, a
// worker-pool size the simulator does not have) and MarkPodsNotReadyRetry
// (a fake client that fails updates on demand).

import (
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func createNodeLease(nodeName string, renewTime metav1.MicroTime) *coordv1.Lease {
	return &coordv1.Lease{
		ObjectMeta: metav1.ObjectMeta{
			Name:      nodeName,
			Namespace: v1.NamespaceNodeLease,
		},
		Spec: coordv1.LeaseSpec{
			HolderIdentity: ptr.To(nodeName),
			RenewTime:      &renewTime,
		},
	}
}

// monitorCase is one row of upstream's monitorNodeHealth tables.
type monitorCase struct {
	description          string
	node                 *v1.Node
	pods                 []*v1.Pod
	lease                *coordv1.Lease
	timeToPass           time.Duration
	newNodeStatus        v1.NodeStatus
	newLease             *coordv1.Lease
	expectedRequestCount int // -1: not given by the table
	expectedNodes        []*v1.Node
	expectedPodStatus    bool
}

// runMonitorCase runs one or two monitor passes as upstream's loop does
// and checks the node writes, the node status and the pods' readiness.
func runMonitorCase(t *testing.T, fakeNow metav1.Time, item monitorCase) {
	t.Helper()
	w, shift := upstreamWorld(fakeNow)
	e, st, srv := w.Engine, w.Store, w.Server
	if _, err := st.Create(shiftNode(item.node, shift)); err != nil {
		t.Fatal(err)
	}
	for _, p := range item.pods {
		if _, err := st.Create(p.DeepCopy()); err != nil {
			t.Fatal(err)
		}
	}
	shiftLease := func(l *coordv1.Lease) *coordv1.Lease {
		l = l.DeepCopy()
		if l.Spec.RenewTime != nil {
			l.Spec.RenewTime = ptr.To(metav1.NewMicroTime(l.Spec.RenewTime.Add(shift)))
		}
		return l
	}
	if item.lease != nil {
		if _, err := st.Create(shiftLease(item.lease)); err != nil {
			t.Fatal(err)
		}
	}
	rv := func() string {
		o, _ := st.Get("Node", "", item.node.Name)
		return o.GetResourceVersion()
	}
	c := New(e, srv.Client("node-lifecycle-controller"), Config{MonitorGracePeriod: 50 * time.Second, StartupGracePeriod: 60 * time.Second, MonitorPeriod: 5 * time.Second})
	passes, writes := 1, 0
	before := rv()
	c.monitorNodeHealth()
	if rv() != before {
		writes++
	}
	if item.timeToPass > 0 {
		passes++
		e.RunUntil(e.Elapsed() + item.timeToPass)
		o, _ := st.Get("Node", "", item.node.Name)
		n := o.(*v1.Node).DeepCopy()
		n.Status = *item.newNodeStatus.DeepCopy()
		shiftStatus(&n.Status, shift)
		if _, err := st.Update(n); err != nil {
			t.Fatal(err)
		}
		if item.newLease != nil {
			o, ok := st.Get("Lease", v1.NamespaceNodeLease, item.newLease.Name)
			l := shiftLease(item.newLease)
			var err error
			if ok {
				l.ResourceVersion = o.GetResourceVersion()
				_, err = st.Update(l)
			} else {
				_, err = st.Create(l)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		before = rv()
		c.monitorNodeHealth()
		if rv() != before {
			writes++
		}
	}
	e.RunUntil(e.Elapsed() + time.Second) // the pod queue
	if item.expectedRequestCount >= 0 && passes+writes != item.expectedRequestCount {
		t.Errorf("expected %v call, but got %v (%d passes, %d node writes).", item.expectedRequestCount, passes+writes, passes, writes)
	}
	if writes > 0 && len(item.expectedNodes) > 0 {
		o, _ := st.Get("Node", "", item.node.Name)
		want := shiftNode(item.expectedNodes[0], shift)
		if got := o.(*v1.Node); !apiequality.Semantic.DeepEqual(want.Status, got.Status) {
			t.Errorf("unexpected node status:\nwant %+v\ngot  %+v", want.Status.Conditions, got.Status.Conditions)
		}
	}
	podStatusUpdated := false
	for _, p := range item.pods {
		o, _ := st.Get("Pod", p.Namespace, p.Name)
		for _, cond := range o.(*v1.Pod).Status.Conditions {
			if cond.Type == v1.PodReady && cond.Status != v1.ConditionTrue {
				podStatusUpdated = true
			}
		}
	}
	if podStatusUpdated != item.expectedPodStatus {
		t.Errorf("expect pod status updated to be %v, but got %v", item.expectedPodStatus, podStatusUpdated)
	}
}

func TestMonitorNodeHealthUpdateNodeAndPodStatusWithLeaseUpstream(t *testing.T) {
	nodeCreationTime, fakeNow := upstreamNodeCreationTime, upstreamFakeNow
	anHourLater := metav1.Time{Time: fakeNow.Add(time.Hour)}
	diskOK := func(heartbeat, transition metav1.Time) v1.NodeCondition {
		return posted(v1.NodeDiskPressure, v1.ConditionFalse, heartbeat, transition)
	}
	pods := func() []*v1.Pod { return []*v1.Pod{newPod("pod0", "node0")} }
	testcases := []monitorCase{
		{
			description:          "Node created recently, without status. Node lease is missing.",
			node:                 upstreamNode(fakeNow, v1.NodeStatus{}),
			pods:                 pods(),
			expectedRequestCount: 1, // List
			expectedNodes:        nil,
			expectedPodStatus:    false,
		},
		{
			description:          "Node created recently, without status. Node lease is renewed recently.",
			node:                 upstreamNode(fakeNow, v1.NodeStatus{}),
			pods:                 pods(),
			lease:                createNodeLease("node0", metav1.NewMicroTime(fakeNow.Time)),
			expectedRequestCount: 1, // List
			expectedNodes:        nil,
			expectedPodStatus:    false,
		},
		{
			description:          "Node created long time ago, without status. Node lease is missing.",
			node:                 upstreamNode(nodeCreationTime, v1.NodeStatus{}),
			pods:                 pods(),
			expectedRequestCount: 2, // List+Update
			expectedNodes:        []*v1.Node{upstreamNode(nodeCreationTime, v1.NodeStatus{Conditions: allNeverUpdated(fakeNow)})},
			expectedPodStatus:    false, // Pod was never scheduled because the node was never ready.
		},
		{
			description:          "Node created long time ago, without status. Node lease is renewed recently.",
			node:                 upstreamNode(nodeCreationTime, v1.NodeStatus{}),
			pods:                 pods(),
			lease:                createNodeLease("node0", metav1.NewMicroTime(fakeNow.Time)),
			timeToPass:           time.Hour,
			newLease:             createNodeLease("node0", metav1.NewMicroTime(fakeNow.Add(time.Hour))), // Lease is renewed after 1 hour.
			expectedRequestCount: 2,                                                                     // List+List
			expectedNodes:        []*v1.Node{upstreamNode(nodeCreationTime, v1.NodeStatus{})},
			expectedPodStatus:    false,
		},
		{
			description:          "Node created long time ago, without status. Node lease is expired.",
			node:                 upstreamNode(nodeCreationTime, v1.NodeStatus{}),
			pods:                 pods(),
			lease:                createNodeLease("node0", metav1.NewMicroTime(fakeNow.Time)),
			timeToPass:           time.Hour,
			newLease:             createNodeLease("node0", metav1.NewMicroTime(fakeNow.Time)), // Lease is not renewed after 1 hour.
			expectedRequestCount: 3,                                                           // List+List+Update
			expectedNodes:        []*v1.Node{upstreamNode(nodeCreationTime, v1.NodeStatus{Conditions: allNeverUpdated(anHourLater)})},
			expectedPodStatus:    false,
		},
		{
			description:          "Node created long time ago, with status updated by kubelet exceeds grace period. Node lease is renewed.",
			node:                 upstreamNode(nodeCreationTime, withCapacity(readySince(fakeNow), diskOK(fakeNow, fakeNow))),
			pods:                 pods(),
			lease:                createNodeLease("node0", metav1.NewMicroTime(fakeNow.Time)),
			expectedRequestCount: 2, // List+List
			timeToPass:           time.Hour,
			// Node status hasn't been updated for 1 hour.
			newNodeStatus:     withCapacity(readySince(fakeNow), diskOK(fakeNow, fakeNow)),
			newLease:          createNodeLease("node0", metav1.NewMicroTime(fakeNow.Add(time.Hour))), // Lease is renewed after 1 hour.
			expectedNodes:     []*v1.Node{upstreamNode(nodeCreationTime, withCapacity(readySince(fakeNow), diskOK(fakeNow, fakeNow)))},
			expectedPodStatus: false,
		},
		{
			description:          "Node created long time ago, with status updated by kubelet recently. Node lease is expired.",
			node:                 upstreamNode(nodeCreationTime, withCapacity(readySince(fakeNow), diskOK(fakeNow, fakeNow))),
			pods:                 pods(),
			lease:                createNodeLease("node0", metav1.NewMicroTime(fakeNow.Time)),
			expectedRequestCount: 2, // List+List
			timeToPass:           time.Hour,
			// Node status is updated after 1 hour.
			newNodeStatus:     withCapacity(posted(v1.NodeReady, v1.ConditionTrue, anHourLater, fakeNow), diskOK(anHourLater, fakeNow)),
			newLease:          createNodeLease("node0", metav1.NewMicroTime(fakeNow.Time)), // Lease is not renewed after 1 hour.
			expectedNodes:     []*v1.Node{upstreamNode(nodeCreationTime, withCapacity(posted(v1.NodeReady, v1.ConditionTrue, anHourLater, fakeNow), diskOK(anHourLater, fakeNow)))},
			expectedPodStatus: false,
		},
		{
			description:          "Node created long time ago, with status updated by kubelet exceeds grace period. Node lease is also expired.",
			node:                 upstreamNode(nodeCreationTime, withCapacity(readySince(fakeNow))),
			pods:                 pods(),
			lease:                createNodeLease("node0", metav1.NewMicroTime(fakeNow.Time)),
			expectedRequestCount: 3, // List+List+Update
			timeToPass:           time.Hour,
			// Node status hasn't been updated for 1 hour.
			newNodeStatus: withCapacity(readySince(fakeNow)),
			newLease:      createNodeLease("node0", metav1.NewMicroTime(fakeNow.Time)), // Lease is not renewed after 1 hour.
			expectedNodes: []*v1.Node{upstreamNode(nodeCreationTime, withCapacity(
				stoppedPosting(fakeNow, anHourLater),
				neverUpdated(v1.NodeMemoryPressure, anHourLater),
				neverUpdated(v1.NodeDiskPressure, anHourLater),
				neverUpdated(v1.NodePIDPressure, anHourLater),
			))},
			expectedPodStatus: true,
		},
	}
	for _, item := range testcases {
		t.Run(item.description, func(t *testing.T) { runMonitorCase(t, fakeNow, item) })
	}
}

func TestMonitorNodeHealthMarkPodsNotReadyUpstream(t *testing.T) {
	fakeNow := upstreamFakeNow
	table := []monitorCase{
		// Node created recently, without status.
		// Expect no action from node controller (within startup grace period).
		{
			description:       "Node created recently, without status",
			node:              upstreamNode(fakeNow, v1.NodeStatus{}),
			pods:              []*v1.Pod{newPod("pod0", "node0")},
			expectedPodStatus: false,
		},
		// Node created long time ago, with status updated recently.
		// Expect no action from node controller (within monitor grace period).
		{
			description: "Node created long time ago, with status updated recently",
			// Node status has just been updated.
			node:              upstreamNode(upstreamNodeCreationTime, withCapacity(readySince(fakeNow))),
			pods:              []*v1.Pod{newPod("pod0", "node0")},
			expectedPodStatus: false,
		},
		// Node created long time ago, with status updated by kubelet exceeds grace period.
		// Expect pods status updated and Unknown node status posted from node controller
		{
			description: "Node created long time ago, with status updated by kubelet exceeds grace period",
			// Node status hasn't been updated for 1hr.
			node:       upstreamNode(upstreamNodeCreationTime, withCapacity(readySince(fakeNow))),
			pods:       []*v1.Pod{newPod("pod0", "node0")},
			timeToPass: 1 * time.Minute,
			// Node status hasn't been updated for 1hr.
			newNodeStatus:     withCapacity(readySince(fakeNow)),
			expectedPodStatus: true,
		},
	}
	for _, item := range table {
		item.expectedRequestCount = -1 // upstream's table does not count here
		t.Run(item.description, func(t *testing.T) { runMonitorCase(t, fakeNow, item) })
	}
}
