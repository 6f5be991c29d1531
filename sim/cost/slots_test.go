package cost

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/store"
)

// TestChargesFollowSlots: a pod's charge is found by the pod's store
// slot; a charge found in a slot under another pod's write is closed
// (its pod was deleted and the slot given away before the meter heard
// of the deletion), and that deletion, heard later, closes nothing more.
func TestChargesFollowSlots(t *testing.T) {
	e := sim.NewEngine(1)
	m := New(e, store.New(e), cloud.NewEC2(e, "us-east-1"))
	pod := func(name, cpu string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}}}}}
	}
	a, b, c := pod("a", "500m"), pod("b", "200m"), pod("c", "100m")
	for _, step := range []struct {
		name         string
		ev           store.Event
		cpu          int64
		open, closed int
	}{
		{"a arrives in slot 3", store.Event{Type: store.Added, Object: a, Slot: 3}, 500, 1, 0},
		{"c arrives in slot 7", store.Event{Type: store.Added, Object: c, Slot: 7}, 600, 2, 0},
		{"b takes slot 3", store.Event{Type: store.Added, Object: b, Slot: 3}, 300, 2, 1},
		{"a's deletion, late", store.Event{Type: store.Deleted, Object: a, Old: a, Slot: 3}, 300, 2, 1},
		{"b goes", store.Event{Type: store.Deleted, Object: b, Old: b, Slot: 3}, 100, 1, 2},
		{"c goes", store.Event{Type: store.Deleted, Object: c, Old: c, Slot: 7}, 0, 0, 3},
	} {
		m.onPod(step.ev)
		require.Equal(t, step.cpu, m.reqCPU, step.name)
		require.Equal(t, step.open, m.open, step.name)
		require.Len(t, m.byLoad, step.closed, "%s: the charges closed", step.name)
	}
}
