package karpenter

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// mayHold's bound: pods of the smallest request per resource, limited by
// each resource and the pod slots; nothing negative.
func TestPodsFitting(t *testing.T) {
	least := podutil.Resources{MilliCPU: 500, Memory: 512 << 20}
	for _, tc := range []struct {
		free podutil.Resources
		want int
	}{
		{podutil.Resources{MilliCPU: 1999, Memory: 4 << 30, Pods: 10}, 3},       // CPU bounds
		{podutil.Resources{MilliCPU: 8000, Memory: 1 << 30, Pods: 10}, 2},       // memory bounds
		{podutil.Resources{MilliCPU: 8000, Memory: 8 << 30, Pods: 1}, 1},        // pod slots bound
		{podutil.Resources{MilliCPU: -100, Memory: 8 << 30, Pods: 10}, 0},       // overcommitted
		{podutil.Resources{MilliCPU: 8000, Memory: 8 << 30, Pods: -2}, 0},       // too many pods already
		{podutil.Resources{MilliCPU: 499, Memory: 8 << 30, Pods: 10}, 0},        // less than one
		{podutil.Resources{MilliCPU: 1000000, Memory: 1 << 40, Pods: 110}, 110}, // slots again
	} {
		if got := podsFitting(least, tc.free); got != tc.want {
			t.Errorf("podsFitting(%+v) = %d, want %d", tc.free, got, tc.want)
		}
	}
	// A pod asking no CPU is bounded by the rest only.
	if got := podsFitting(podutil.Resources{Memory: 1 << 30}, podutil.Resources{Memory: 3 << 30, Pods: 10}); got != 3 {
		t.Errorf("podsFitting without CPU = %d, want 3", got)
	}
}

// A node counts towards the bound when some pod tolerates its hard
// taints (and cordon, which NodeUnschedulable filters).
func TestAnyTolerates(t *testing.T) {
	node := func(unschedulable bool, taints ...corev1.Taint) *framework.NodeInfo {
		return framework.NewNodeInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Spec: corev1.NodeSpec{Unschedulable: unschedulable, Taints: taints}})
	}
	plain := &corev1.Pod{}
	critical := &corev1.Pod{Spec: corev1.PodSpec{Tolerations: []corev1.Toleration{{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists}}}}
	addons := corev1.Taint{Key: "CriticalAddonsOnly", Effect: corev1.TaintEffectNoSchedule}
	soft := corev1.Taint{Key: "x", Effect: corev1.TaintEffectPreferNoSchedule}
	for _, tc := range []struct {
		name string
		ni   *framework.NodeInfo
		pods []*corev1.Pod
		want bool
	}{
		{"untainted", node(false), []*corev1.Pod{plain}, true},
		{"untolerated", node(false, addons), []*corev1.Pod{plain}, false},
		{"one tolerates", node(false, addons), []*corev1.Pod{plain, critical}, true},
		{"soft taint", node(false, soft), []*corev1.Pod{plain}, true},
		{"cordoned", node(true), []*corev1.Pod{plain, critical}, false},
	} {
		if got := anyTolerates(tc.pods, tc.ni); got != tc.want {
			t.Errorf("%s: anyTolerates = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestUnboundFollowsPodVersions: the copy a simulation moves is the pod
// without its node, made once per pod object; a new version of the pod
// (another object) gets its own copy, never the old one's.
func TestUnboundFollowsPodVersions(t *testing.T) {
	c := &Controller{}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", ResourceVersion: "1"},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c"}}}}
	cp := c.unbound(p)
	want := p.DeepCopy()
	want.Spec.NodeName = ""
	if !equality.Semantic.DeepEqual(want, cp) || p.Spec.NodeName != "n1" {
		t.Fatalf("unbound(p) = %+v, want p without its node and p unchanged", cp)
	}
	if c.unbound(p) != cp {
		t.Fatal("the same pod object gets the same copy")
	}
	p2 := p.DeepCopy()
	p2.ResourceVersion, p2.Spec.NodeName = "2", "n2"
	p2.Spec.Containers[0].Name = "d"
	cp2 := c.unbound(p2)
	want = p2.DeepCopy()
	want.Spec.NodeName = ""
	if cp2 == cp || !equality.Semantic.DeepEqual(want, cp2) {
		t.Fatalf("unbound(new version) = %+v, want it without its node", cp2)
	}
	if c.unbound(p) == cp {
		t.Fatal("the old version's copy is not handed out for it any more (one copy per pod name)")
	}
	c.forgetUnbound() // a poll ends: both were used
	if len(c.unboundOf) != 1 {
		t.Fatalf("%d copies kept, want one per pod name", len(c.unboundOf))
	}
	c.forgetUnbound() // a poll that used none
	if len(c.unboundOf) != 0 {
		t.Fatalf("%d copies kept after a poll that used none", len(c.unboundOf))
	}
}

// TestFirstDoNotDisruptFollowsDrainable: the answer kept for a node is
// reused only for the very slice it was computed from; a new slice (the
// node's pods changed) is looked at again, and a node not listed in a
// poll is forgotten.
func TestFirstDoNotDisruptFollowsDrainable(t *testing.T) {
	c := &Controller{}
	pod := func(name string, dnd bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
		if dnd {
			p.Annotations = map[string]string{karpv1.AnnotationDoNotDisrupt: "true"}
		}
		return p
	}
	poll := func(lists map[string][]*corev1.Pod) map[string]int {
		next := map[string]dndEntry{}
		out := map[string]int{}
		for node, pods := range lists {
			out[node] = c.firstDoNotDisrupt(node, pods, next)
		}
		c.dnd = next
		return out
	}
	a := []*corev1.Pod{pod("a1", false), pod("a2", true), pod("a3", true)}
	b := []*corev1.Pod{pod("b1", false)}
	if got := poll(map[string][]*corev1.Pod{"a": a, "b": b, "c": nil}); got["a"] != 1 || got["b"] != -1 || got["c"] != -1 {
		t.Fatalf("first poll: %v", got)
	}
	a2 := []*corev1.Pod{a[0], pod("a2", false), a[2]} // a2 replaced, its annotation gone
	if got := poll(map[string][]*corev1.Pod{"a": a2, "b": b}); got["a"] != 2 || got["b"] != -1 {
		t.Fatalf("after a change: %v", got)
	}
	b2 := []*corev1.Pod{pod("b0", true), b[0]}
	if got := poll(map[string][]*corev1.Pod{"b": b2}); got["b"] != 0 {
		t.Fatalf("b's pods changed: %v", got)
	}
	if _, ok := c.dnd["a"]; ok || len(c.dnd) != 1 {
		t.Fatalf("kept %v, want only b", c.dnd)
	}
}
