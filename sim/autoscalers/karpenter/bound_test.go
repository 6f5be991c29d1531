package karpenter

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
