package tainteviction

// Ported from upstream, inputs and expected values unchanged, harness
// adapted:
//   kubernetes v1.37.2 pkg/controller/tainteviction/taint_eviction_test.go
//     TestFilterNoExecuteTaints, TestCreatePod, TestDeletePod,
//     TestUpdatePod, TestCreateNode, TestDeleteNode, TestUpdateNode,
//     TestUpdateNodeWithMultipleTaints, TestUpdateNodeWithMultiplePods,
//     TestGetMinTolerationTime, TestEventualConsistency,
//     TestPodDeletionEvent
// Cases are one row each, or built with small helpers (taintedNode1,
// withTolerations, startedWorld) where upstream repeats a literal.
// Harness: nodes and pods live in a store (written directly, as upstream's
// indexers), the controller watches it, and time is the engine's virtual
// clock instead of sleeps. Upstream's "patch" is the pod's
// DisruptionTarget condition, its "delete" the pod deleted (gone or
// terminating). Where upstream polls up to 5 s for the expected actions,
// the harness runs 5 virtual seconds and checks: so "no delete" means none
// within 5 s, not only within upstream's first 10 ms poll. Setting
// controller.taintedNodes directly is setting c.tainted. Where upstream
// calls PodUpdated/NodeUpdated with an old and a new object, the store
// holds the old one when the controller starts and the new one replaces
// it before the informer delivers, so the controller reads the new one,
// as upstream's lister. TestEventualConsistency's last step has no check
// upstream; here pod2 must then be deleted or have its deletion
// scheduled, as its comment says. TestPodDeletionEvent's two events are
// produced by a real deletion and a real cancellation. No case is
// skipped.

import (
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// verifyWindow is upstream verifyPodActions' 5 s poll bound.
const verifyWindow = 5 * time.Second

// newPod is upstream's testutil.NewPod: a ready pod in default on host.
func newPod(name, host string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec:       corev1.PodSpec{NodeName: host},
		Status:     corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
}

// newNode is upstream's testutil.NewNode.
func newNode(name string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Capacity: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("10"),
			corev1.ResourceMemory: resource.MustParse("10G"),
		}},
	}
}

func createNoExecuteTaint(index int) corev1.Taint {
	now := metav1.NewTime(sim.Epoch)
	return corev1.Taint{
		Key:       "testTaint" + fmt.Sprintf("%v", index),
		Value:     "test" + fmt.Sprintf("%v", index),
		Effect:    corev1.TaintEffectNoExecute,
		TimeAdded: &now,
	}
}

func addToleration(pod *corev1.Pod, index int, duration int64) *corev1.Pod {
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	if duration < 0 {
		pod.Spec.Tolerations = []corev1.Toleration{{Key: "testTaint" + fmt.Sprintf("%v", index), Value: "test" + fmt.Sprintf("%v", index), Effect: corev1.TaintEffectNoExecute}}
	} else {
		pod.Spec.Tolerations = []corev1.Toleration{{Key: "testTaint" + fmt.Sprintf("%v", index), Value: "test" + fmt.Sprintf("%v", index), Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &duration}}
	}
	return pod
}

// withTolerations is pod with its tolerations replaced by tolerations.
func withTolerations(pod *corev1.Pod, tolerations ...corev1.Toleration) *corev1.Pod {
	pod.Spec.Tolerations = tolerations
	return pod
}

func addTaintsToNode(node *corev1.Node, _, _ string, indices []int) *corev1.Node {
	taints := []corev1.Taint{}
	for _, index := range indices {
		taints = append(taints, createNoExecuteTaint(index))
	}
	node.Spec.Taints = taints
	return node
}

// taintedNode1 is controller.taintedNodes with node1 carrying NoExecute
// taint 1, as most cases set it.
func taintedNode1() map[string][]corev1.Taint {
	return map[string][]corev1.Taint{"node1": {createNoExecuteTaint(1)}}
}

// world is the harness: an engine, a store and the controller.
type world struct {
	t *testing.T
	e *sim.Engine
	s *store.Store
	c *Controller
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := apiservertest.NewWorld(1, "default", "test")
	return &world{t: t, e: w.Engine, s: w.Store, c: New(w.Engine, w.Server.Client("taint-eviction-controller"), controllerutil.DefaultConfig())}
}

// startedWorld is a world whose store holds pods and, unless it is nil,
// node when the controller starts.
func startedWorld(t *testing.T, pods []corev1.Pod, node *corev1.Node) *world {
	t.Helper()
	w := newWorld(t)
	for i := range pods {
		w.put(&pods[i])
	}
	if node != nil {
		w.put(node)
	}
	w.c.Start()
	return w
}

// put creates or replaces o in the store.
func (w *world) put(o store.Object) {
	w.t.Helper()
	o = o.DeepCopyObject().(store.Object)
	kind := "Pod"
	if _, ok := o.(*corev1.Node); ok {
		kind = "Node"
	}
	var err error
	if cur, ok := w.s.Get(kind, o.GetNamespace(), o.GetName()); ok {
		o.SetResourceVersion(cur.GetResourceVersion())
		o.SetUID(cur.GetUID())
		_, err = w.s.Update(o)
	} else {
		_, err = w.s.Create(o)
	}
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) run(d time.Duration) { w.e.RunUntil(w.e.Elapsed() + d) }

// patched and deleted report upstream's two pod actions.
func (w *world) patched(ns, name string) bool {
	o, ok := w.s.Get("Pod", ns, name)
	if !ok {
		return false
	}
	for _, c := range o.(*corev1.Pod).Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func (w *world) deleted(ns, name string) bool {
	o, ok := w.s.Get("Pod", ns, name)
	return !ok || o.GetDeletionTimestamp() != nil
}

// verifyPodActions runs the verify window and checks whether any pod was
// patched and deleted.
func (w *world) verifyPodActions(description string, pods []string, expectPatch, expectDelete bool) {
	w.t.Helper()
	w.run(verifyWindow)
	podPatched, podDeleted := false, false
	for _, name := range pods {
		podPatched = podPatched || w.patched("default", name)
		podDeleted = podDeleted || w.deleted("default", name)
	}
	if podPatched != expectPatch {
		w.t.Errorf("[%v]Unexpected test result. Expected patch %v, got %v", description, expectPatch, podPatched)
	}
	if podDeleted != expectDelete {
		w.t.Errorf("[%v]Unexpected test result. Expected delete %v, got %v", description, expectDelete, podDeleted)
	}
}

func TestFilterNoExecuteTaintsUpstream(t *testing.T) {
	taints := []corev1.Taint{
		{Key: "one", Value: "one", Effect: corev1.TaintEffectNoExecute},
		{Key: "two", Value: "two", Effect: corev1.TaintEffectNoSchedule},
	}
	taints = noExecuteTaints(taints)
	if len(taints) != 1 || taints[0].Key != "one" {
		t.Errorf("Filtering doesn't work. Got %v", taints)
	}
}

func TestCreatePodUpstream(t *testing.T) {
	testCases := []struct {
		description  string
		pod          *corev1.Pod
		taintedNodes map[string][]corev1.Taint
		expectPatch  bool
		expectDelete bool
	}{
		{"not scheduled - ignore", newPod("pod1", ""), map[string][]corev1.Taint{}, false, false},
		{"scheduled on untainted Node", newPod("pod1", "node1"), map[string][]corev1.Taint{}, false, false},
		{"schedule on tainted Node", newPod("pod1", "node1"), taintedNode1(), true, true},
		{"schedule on tainted Node with finite toleration", addToleration(newPod("pod1", "node1"), 1, 100), taintedNode1(), false, false},
		{"schedule on tainted Node with infinite toleration", addToleration(newPod("pod1", "node1"), 1, -1), taintedNode1(), false, false},
		{"schedule on tainted Node with infinite invalid toleration", addToleration(newPod("pod1", "node1"), 2, -1), taintedNode1(), true, true},
	}

	for _, item := range testCases {
		t.Run(item.description, func(t *testing.T) {
			w := startedWorld(t, nil, nil)
			w.c.tainted = item.taintedNodes
			w.put(item.pod)
			w.verifyPodActions(item.description, []string{"pod1"}, item.expectPatch, item.expectDelete)
		})
	}
}

func TestDeletePodUpstream(t *testing.T) {
	w := startedWorld(t, nil, nil)
	w.c.tainted = taintedNode1()
	w.put(newPod("pod1", "node1"))
	if _, err := w.s.Delete("Pod", "default", "pod1"); err != nil {
		t.Fatal(err)
	}
	// run a bit to see if nothing will panic
	w.run(20 * time.Millisecond)
}

func TestUpdatePodUpstream(t *testing.T) {
	testCases := []struct {
		description               string
		prevPod                   *corev1.Pod
		awaitForScheduledEviction bool
		newPod                    *corev1.Pod
		taintedNodes              map[string][]corev1.Taint
		expectPatch               bool
		expectDelete              bool
	}{
		{"scheduling onto tainted Node", newPod("pod1", ""), false, newPod("pod1", "node1"), taintedNode1(), true, true},
		{"scheduling onto tainted Node with toleration", addToleration(newPod("pod1", ""), 1, -1), false, addToleration(newPod("pod1", "node1"), 1, -1), taintedNode1(), false, false},
		{"removing toleration", addToleration(newPod("pod1", "node1"), 1, 100), true, newPod("pod1", "node1"), taintedNode1(), true, true},
		{"lengthening toleration shouldn't work", addToleration(newPod("pod1", "node1"), 1, 1), true, addToleration(newPod("pod1", "node1"), 1, 100), taintedNode1(), true, true},
	}

	for _, item := range testCases {
		t.Run(item.description, func(t *testing.T) {
			w := startedWorld(t, nil, nil)
			w.c.tainted = item.taintedNodes
			w.put(item.prevPod)
			if item.awaitForScheduledEviction {
				deadline := w.e.Elapsed() + time.Second
				for {
					if _, ok := w.c.Scheduled(item.prevPod.Namespace, item.prevPod.Name); ok {
						break
					}
					if w.e.Elapsed() >= deadline {
						t.Fatalf("Failed to await for scheduled eviction")
					}
					w.run(10 * time.Millisecond)
				}
			}
			w.put(item.newPod)
			w.verifyPodActions(item.description, []string{"pod1"}, item.expectPatch, item.expectDelete)
		})
	}
}

func TestCreateNodeUpstream(t *testing.T) {
	testCases := []struct {
		description  string
		pods         []corev1.Pod
		node         *corev1.Node
		expectPatch  bool
		expectDelete bool
	}{
		{
			description:  "Creating Node matching already assigned Pod",
			pods:         []corev1.Pod{*newPod("pod1", "node1")},
			node:         newNode("node1"),
			expectPatch:  false,
			expectDelete: false,
		},
		{
			description:  "Creating tainted Node matching already assigned Pod",
			pods:         []corev1.Pod{*newPod("pod1", "node1")},
			node:         addTaintsToNode(newNode("node1"), "testTaint1", "taint1", []int{1}),
			expectPatch:  true,
			expectDelete: true,
		},
		{
			description:  "Creating tainted Node matching already assigned tolerating Pod",
			pods:         []corev1.Pod{*addToleration(newPod("pod1", "node1"), 1, -1)},
			node:         addTaintsToNode(newNode("node1"), "testTaint1", "taint1", []int{1}),
			expectPatch:  false,
			expectDelete: false,
		},
	}

	for _, item := range testCases {
		t.Run(item.description, func(t *testing.T) {
			w := startedWorld(t, item.pods, nil)
			w.put(item.node)
			w.verifyPodActions(item.description, []string{"pod1"}, item.expectPatch, item.expectDelete)
		})
	}
}

func TestDeleteNodeUpstream(t *testing.T) {
	w := startedWorld(t, nil, newNode("node1"))
	w.c.tainted = taintedNode1()
	if _, err := w.s.Delete("Node", "", "node1"); err != nil {
		t.Fatal(err)
	}
	// await until controller.taintedNodes is empty
	deadline := w.e.Elapsed() + time.Second
	for w.c.tainted["node1"] != nil {
		if w.e.Elapsed() >= deadline {
			t.Fatalf("Failed to await for processing node deleted")
		}
		w.run(10 * time.Millisecond)
	}
}

func TestUpdateNodeUpstream(t *testing.T) {
	testCases := []struct {
		description     string
		pods            []corev1.Pod
		oldNode         *corev1.Node
		newNode         *corev1.Node
		expectPatch     bool
		expectDelete    bool
		additionalSleep time.Duration
	}{
		{
			description:  "Added taint, expect node patched and deleted",
			pods:         []corev1.Pod{*newPod("pod1", "node1")},
			oldNode:      newNode("node1"),
			newNode:      addTaintsToNode(newNode("node1"), "testTaint1", "taint1", []int{1}),
			expectPatch:  true,
			expectDelete: true,
		},
		{
			description:  "Added tolerated taint",
			pods:         []corev1.Pod{*addToleration(newPod("pod1", "node1"), 1, 100)},
			oldNode:      newNode("node1"),
			newNode:      addTaintsToNode(newNode("node1"), "testTaint1", "taint1", []int{1}),
			expectDelete: false,
		},
		{
			description:  "Only one added taint tolerated",
			pods:         []corev1.Pod{*addToleration(newPod("pod1", "node1"), 1, 100)},
			oldNode:      newNode("node1"),
			newNode:      addTaintsToNode(newNode("node1"), "testTaint1", "taint1", []int{1, 2}),
			expectPatch:  true,
			expectDelete: true,
		},
		{
			description:     "Taint removed",
			pods:            []corev1.Pod{*addToleration(newPod("pod1", "node1"), 1, 1)},
			oldNode:         addTaintsToNode(newNode("node1"), "testTaint1", "taint1", []int{1}),
			newNode:         newNode("node1"),
			expectDelete:    false,
			additionalSleep: 1500 * time.Millisecond,
		},
		{
			description: "Pod with multiple tolerations are evicted when first one runs out",
			pods: []corev1.Pod{*withTolerations(newPod("pod1", "node1"),
				corev1.Toleration{Key: "testTaint1", Value: "test1", Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](1)},
				corev1.Toleration{Key: "testTaint2", Value: "test2", Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](100)},
			)},
			oldNode:      newNode("node1"),
			newNode:      addTaintsToNode(newNode("node1"), "testTaint1", "taint1", []int{1, 2}),
			expectPatch:  true,
			expectDelete: true,
		},
	}

	for _, item := range testCases {
		t.Run(item.description, func(t *testing.T) {
			w := startedWorld(t, item.pods, item.oldNode)
			w.put(item.newNode)
			if item.additionalSleep > 0 {
				w.run(item.additionalSleep)
			}
			w.verifyPodActions(item.description, []string{"pod1"}, item.expectPatch, item.expectDelete)
		})
	}
}

func TestUpdateNodeWithMultipleTaintsUpstream(t *testing.T) {
	taint1 := createNoExecuteTaint(1)
	taint2 := createNoExecuteTaint(2)

	minute := int64(60)
	pod := newPod("pod1", "node1")
	pod.Spec.Tolerations = []corev1.Toleration{
		{Key: taint1.Key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
		{Key: taint2.Key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &minute},
	}

	untaintedNode := newNode("node1")

	doubleTaintedNode := newNode("node1")
	doubleTaintedNode.Spec.Taints = []corev1.Taint{taint1, taint2}

	singleTaintedNode := newNode("node1")
	singleTaintedNode.Spec.Taints = []corev1.Taint{taint1}

	w := newWorld(t)
	w.put(pod)
	queued := func() bool {
		_, ok := w.c.Scheduled(pod.Namespace, pod.Name)
		return ok
	}

	for _, step := range []struct {
		node   *corev1.Node
		queued bool // whether the pod is then queued for deletion
		fail   string
	}{
		// no taint
		{untaintedNode, false, "pod queued for deletion with no taints"},
		// no taint -> infinitely tolerated taint
		{singleTaintedNode, false, "pod queued for deletion with permanently tolerated taint"},
		// infinitely tolerated taint -> temporarily tolerated taint
		{doubleTaintedNode, true, "pod not queued for deletion after addition of temporarily tolerated taint"},
		// temporarily tolerated taint -> infinitely tolerated taint
		{singleTaintedNode, false, "pod queued for deletion after removal of temporarily tolerated taint"},
	} {
		w.put(step.node)
		if err := w.c.handleNodeUpdate("node1"); err != nil {
			t.Fatal(err)
		}
		if queued() != step.queued {
			t.Fatal(step.fail)
		}
	}

	// verify pod is not deleted
	w.run(2 * time.Minute)
	if w.deleted("default", "pod1") {
		t.Error("Unexpected deletion")
	}
}

type timestampedPod struct {
	names     []string
	timestamp time.Duration
}

func TestUpdateNodeWithMultiplePodsUpstream(t *testing.T) {
	testCases := []struct {
		description         string
		pods                []corev1.Pod
		oldNode             *corev1.Node
		newNode             *corev1.Node
		expectedDeleteTimes []timestampedPod
	}{
		{
			description: "Pods with different toleration times are evicted appropriately",
			pods: []corev1.Pod{
				*newPod("pod1", "node1"),
				*addToleration(newPod("pod2", "node1"), 1, 1),
				*addToleration(newPod("pod3", "node1"), 1, -1),
			},
			oldNode: newNode("node1"),
			newNode: addTaintsToNode(newNode("node1"), "testTaint1", "taint1", []int{1}),
			expectedDeleteTimes: []timestampedPod{
				{[]string{"pod1"}, 0},
				{[]string{"pod2"}, time.Second},
			},
		},
		{
			description: "Evict all pods not matching all taints instantly",
			pods: []corev1.Pod{
				*newPod("pod1", "node1"),
				*addToleration(newPod("pod2", "node1"), 1, 1),
				*addToleration(newPod("pod3", "node1"), 1, -1),
			},
			oldNode: newNode("node1"),
			newNode: addTaintsToNode(newNode("node1"), "testTaint1", "taint1", []int{1, 2}),
			expectedDeleteTimes: []timestampedPod{
				{[]string{"pod1", "pod2", "pod3"}, 0},
			},
		},
	}

	for _, item := range testCases {
		t.Run(item.description, func(t *testing.T) {
			w := startedWorld(t, item.pods, item.oldNode)
			w.put(item.newNode)
			startedAt := w.e.Elapsed()
			slices.SortFunc(item.expectedDeleteTimes, func(a, b timestampedPod) int { return int(a.timestamp - b.timestamp) })
			seen := map[string]bool{}
			for i := range item.expectedDeleteTimes {
				// Check half-way to the next expected deletion (500 ms after
				// the last one), as upstream's increments.
				increment := 500 * time.Millisecond
				if i < len(item.expectedDeleteTimes)-1 {
					increment = (item.expectedDeleteTimes[i+1].timestamp - item.expectedDeleteTimes[i].timestamp) / 2
				}
				w.e.RunUntil(startedAt + item.expectedDeleteTimes[i].timestamp + increment)
				var newlyDeleted []string
				for _, p := range item.pods {
					if !seen[p.Name] && w.deleted(p.Namespace, p.Name) {
						seen[p.Name] = true
						newlyDeleted = append(newlyDeleted, p.Name)
					}
				}
				for _, podName := range item.expectedDeleteTimes[i].names {
					if !slices.Contains(newlyDeleted, podName) {
						t.Errorf("Failed to deleted pod %v after %v", podName, item.expectedDeleteTimes[i].timestamp)
					}
				}
				for _, deletedPodName := range newlyDeleted {
					if !slices.Contains(item.expectedDeleteTimes[i].names, deletedPodName) {
						t.Errorf("Pod %v was deleted even though it shouldn't have", deletedPodName)
					}
				}
			}
		})
	}
}

func TestGetMinTolerationTimeUpstream(t *testing.T) {
	one := int64(1)
	two := int64(2)
	oneSecond := 1 * time.Second

	// seconds are the tolerations' TolerationSeconds (nil: forever).
	seconds := func(s ...*int64) []corev1.Toleration {
		out := []corev1.Toleration{}
		for _, x := range s {
			out = append(out, corev1.Toleration{TolerationSeconds: x})
		}
		return out
	}
	tests := []struct {
		tolerations []corev1.Toleration
		expected    time.Duration
	}{
		{tolerations: seconds(), expected: 0},
		{tolerations: seconds(nil), expected: -1},
		{tolerations: seconds(&one, &two), expected: oneSecond},
		{tolerations: seconds(&one, nil), expected: oneSecond},
		{tolerations: seconds(nil, &one), expected: oneSecond},
	}

	for _, test := range tests {
		got := MinTolerationTime(test.tolerations)
		if got != test.expected {
			t.Errorf("Incorrect min toleration time: got %v, expected %v", got, test.expected)
		}
	}
}

func TestEventualConsistencyUpstream(t *testing.T) {
	// Every case starts from pod1 on node1, which gets NoExecute taint 1.
	assigned := []corev1.Pod{*newPod("pod1", "node1")}
	untainted, tainted := newNode("node1"), addTaintsToNode(newNode("node1"), "testTaint1", "taint1", []int{1})
	testCases := []struct {
		description  string
		pods         []corev1.Pod
		prevPod      *corev1.Pod
		newPod       *corev1.Pod
		oldNode      *corev1.Node
		newNode      *corev1.Node
		expectPatch  bool
		expectDelete bool
	}{
		{"existing pod2 scheduled onto tainted Node", assigned, newPod("pod2", ""), newPod("pod2", "node1"), untainted, tainted, true, true},
		{"existing pod2 with taint toleration scheduled onto tainted Node", assigned, addToleration(newPod("pod2", ""), 1, 100), addToleration(newPod("pod2", "node1"), 1, 100), untainted, tainted, true, true},
		{"new pod2 created on tainted Node", assigned, nil, newPod("pod2", "node1"), untainted, tainted, true, true},
		{"new pod2 with tait toleration created on tainted Node", assigned, nil, addToleration(newPod("pod2", "node1"), 1, 100), untainted, tainted, true, true},
	}

	for _, item := range testCases {
		t.Run(item.description, func(t *testing.T) {
			w := startedWorld(t, item.pods, item.oldNode)
			if item.prevPod != nil {
				w.put(item.prevPod)
			}

			// First we simulate NodeUpdate that should delete 'pod1'. It doesn't know about 'pod2' yet.
			w.put(item.newNode)
			w.verifyPodActions(item.description, []string{"pod1"}, item.expectPatch, item.expectDelete)

			// And now the delayed update of 'pod2' comes to the TaintManager. We should delete it as well.
			w.put(item.newPod)
			w.run(20 * time.Millisecond)
			if _, scheduled := w.c.Scheduled("default", "pod2"); !scheduled && !w.deleted("default", "pod2") {
				t.Errorf("pod2 on the tainted node is neither deleted nor scheduled for deletion")
			}
		})
	}
}

func TestPodDeletionEventUpstream(t *testing.T) {
	events := func(w *world) []string {
		var out []string
		for _, o := range w.s.List("Event", "test") {
			ev := o.(*corev1.Event)
			out = append(out, fmt.Sprintf("%s %s %s/%s %s: %s", ev.Type, ev.InvolvedObject.Kind, ev.InvolvedObject.Namespace, ev.InvolvedObject.Name, ev.Reason, ev.Message))
		}
		slices.Sort(out)
		return out
	}
	pod := func(seconds int64) *corev1.Pod {
		p := addToleration(newPod("test", "node1"), 1, seconds)
		p.Namespace = "test"
		return p
	}

	t.Run("emitPodDeletionEvent", func(t *testing.T) {
		w := newWorld(t)
		w.put(pod(0))
		w.c.Start()
		w.put(addTaintsToNode(newNode("node1"), "", "", []int{1}))
		w.run(time.Second)
		want := []string{"Normal Pod test/test TaintManagerEviction: Marking for deletion Pod test/test"}
		if got := events(w); !slices.Equal(got, want) {
			t.Errorf("emitPodDeletionEvent: want %q, got %q", want, got)
		}
	})

	t.Run("emitCancelPodDeletionEvent", func(t *testing.T) {
		w := newWorld(t)
		w.put(pod(100))
		w.c.Start()
		w.put(addTaintsToNode(newNode("node1"), "", "", []int{1}))
		w.run(time.Second)
		w.put(newNode("node1"))
		w.run(time.Second)
		want := []string{"Normal Pod test/test TaintManagerEviction: Cancelling deletion of Pod test/test"}
		if got := events(w); !slices.Equal(got, want) {
			t.Errorf("emitCancelPodDeletionEvent: want %q, got %q", want, got)
		}
	})
}
