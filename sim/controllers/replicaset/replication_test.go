package replicaset

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

func newRC(name string, replicas int32) *corev1.ReplicationController {
	t := fake.Template(map[string]string{"app": name}, "nginx:1.27")
	return &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       corev1.ReplicationControllerSpec{Replicas: &replicas, Selector: map[string]string{"app": name}, Template: &t},
	}
}

// setupRC is a world holding rcs, its replication controller started and
// a node with a scheduler and kubelet, so the pods run.
func setupRC(t *testing.T, rcs ...*corev1.ReplicationController) (*fake.World, *Controller) {
	t.Helper()
	objs := make([]store.Object, len(rcs))
	for i, r := range rcs {
		objs[i] = r
	}
	w, c := setupWith(t, NewReplication, ReplicationName, objs...)
	w.AddNode("n1", nil)
	w.RunScheduler()
	w.RunKubelet()
	c.Start()
	return w, c
}

func getRC(t *testing.T, w *fake.World, name string) *corev1.ReplicationController {
	return fake.Get[*corev1.ReplicationController](t, w.Store, "ReplicationController", name)
}

// controlledBy lists the active pods whose controller is the RC.
func controlledBy(w *fake.World, rc *corev1.ReplicationController) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range w.Pods() {
		if ref := podutil.ControllerOf(p); ref != nil && ref.UID == rc.UID && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

// TestReplicationControllerScalesUpWithStatus: the replication controller
// creates an RC's pods with a v1 ReplicationController controller
// reference, records events on the RC under its own name, and reports
// every status field once they run.
func TestReplicationControllerScalesUpWithStatus(t *testing.T) {
	w, _ := setupRC(t, newRC("web", 3))
	w.Run(10 * time.Second)
	rc := getRC(t, w, "web")
	pods := controlledBy(w, rc)
	require.Len(t, pods, 3)
	for _, p := range pods {
		ref := podutil.ControllerOf(p)
		require.Equal(t, metav1.OwnerReference{APIVersion: "v1", Kind: "ReplicationController", Name: "web", UID: rc.UID,
			Controller: ref.Controller, BlockOwnerDeletion: ref.BlockOwnerDeletion}, *ref)
		require.True(t, *ref.Controller)
		require.True(t, *ref.BlockOwnerDeletion)
		require.Regexp(t, `^web-[a-z0-9]{5}$`, p.Name)
	}
	require.Equal(t, corev1.ReplicationControllerStatus{Replicas: 3, FullyLabeledReplicas: 3, ReadyReplicas: 3,
		AvailableReplicas: 3, ObservedGeneration: 1}, rc.Status)
	ev := w.Events("ReplicationController", "web")
	require.Len(t, ev, 3)
	for _, p := range pods {
		require.Contains(t, ev, "SuccessfulCreate: Created pod: "+p.Name)
	}
	require.Empty(t, w.Events("ReplicaSet", "web"))
}

// TestReplicationControllerScalesDown: scaling an RC down deletes the
// surplus pods and status follows the new generation.
func TestReplicationControllerScalesDown(t *testing.T) {
	w, _ := setupRC(t, newRC("web", 4))
	w.Run(10 * time.Second)
	require.NoError(t, w.Admin.Scale("ReplicationController", "default", "web", 1))
	w.Run(10 * time.Second)
	rc := getRC(t, w, "web")
	require.Len(t, controlledBy(w, rc), 1)
	require.Equal(t, int64(2), rc.Generation)
	require.Equal(t, corev1.ReplicationControllerStatus{Replicas: 1, FullyLabeledReplicas: 1, ReadyReplicas: 1,
		AvailableReplicas: 1, ObservedGeneration: 2}, rc.Status)
	deleted := 0
	for _, e := range w.Events("ReplicationController", "web") {
		if len(e) > len("SuccessfulDelete") && e[:len("SuccessfulDelete")] == "SuccessfulDelete" {
			deleted++
		}
	}
	require.Equal(t, 3, deleted)
}

// TestReplicationControllerAdoptsOrphans: an orphan pod matching an RC's
// selector is adopted (counted, so one fewer is created); a pod whose
// labels are only partly the template's counts as a replica but not as
// fully labelled; a pod controlled by a ReplicaSet with the same labels
// is left alone.
func TestReplicationControllerAdoptsOrphans(t *testing.T) {
	w := fake.New(1)
	yes := true
	for _, p := range []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "orphan", Namespace: "default", Labels: map[string]string{"app": "web", "tier": "x"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "rs-owned", Namespace: "default", Labels: map[string]string{"app": "web"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "x", UID: "123", Controller: &yes}}}},
	} {
		p.Spec.Containers = []corev1.Container{{Name: "c", Image: "x:1"}}
		_, err := w.Admin.Create(p)
		require.NoError(t, err)
	}
	rc := newRC("web", 2)
	rc.Spec.Template.Labels = map[string]string{"app": "web", "tier": "y"}
	_, err := w.Admin.Create(rc)
	require.NoError(t, err)
	c := NewReplication(w.Engine, w.Server.Client(ReplicationName), controllerutil.DefaultConfig())
	require.NoError(t, c.sync("default/web"))
	require.NoError(t, c.sync("default/web"))
	got := getRC(t, w, "web")
	o, _ := w.Store.Get("Pod", "default", "orphan")
	ref := podutil.ControllerOf(o)
	require.NotNil(t, ref, "orphan adopted")
	require.Equal(t, "ReplicationController", ref.Kind)
	require.Equal(t, "v1", ref.APIVersion)
	require.Equal(t, got.UID, ref.UID)
	o, _ = w.Store.Get("Pod", "default", "rs-owned")
	require.Equal(t, "123", string(podutil.ControllerOf(o).UID), "another controller's pod untouched")
	require.Len(t, controlledBy(w, got), 2, "one adopted + one created")
	require.Equal(t, int32(2), got.Status.Replicas)
	require.Equal(t, int32(1), got.Status.FullyLabeledReplicas, "the orphan lacks tier=y")
}
