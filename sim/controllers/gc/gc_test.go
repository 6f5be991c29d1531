package gc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/controllers/gc"
	"github.com/kubesim/kubesim/sim/store"
)

// fixture is the test world with the controller started.
type fixture struct {
	*fake.World
	t *testing.T
}

func newFixture(t *testing.T) *fixture {
	w := fake.New(3)
	w.AddNode("n1", nil)
	gc.New(w.Engine, w.Server.Client("generic-garbage-collector"), gc.Config{}).Start()
	return &fixture{World: w, t: t}
}

func ref(kind string, o metav1.Object) metav1.OwnerReference {
	t := true
	api := "apps/v1"
	if kind == "Pod" || kind == "Service" {
		api = "v1"
	}
	return metav1.OwnerReference{APIVersion: api, Kind: kind, Name: o.GetName(), UID: o.GetUID(), Controller: &t, BlockOwnerDeletion: &t}
}

var labels = map[string]string{"app": "web"}

func template() corev1.PodTemplateSpec {
	return fake.Template(labels, "nginx:1.27")
}

// tree creates Deployment web -> ReplicaSet web-1 -> pods web-1-{a,b},
// the pods bound to n1 (so their deletion is graceful) when bound.
func (f *fixture) tree(bound bool) {
	d, err := f.Admin.Create(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template()}})
	require.NoError(f.t, err)
	rs, err := f.Admin.Create(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default",
		OwnerReferences: []metav1.OwnerReference{ref("Deployment", d)}},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template()}})
	require.NoError(f.t, err)
	for _, n := range []string{"web-1-a", "web-1-b"} {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: "default", Labels: labels,
			OwnerReferences: []metav1.OwnerReference{ref("ReplicaSet", rs)}}, Spec: template().Spec}
		if bound {
			p.Spec.NodeName = "n1"
		}
		_, err := f.Admin.Create(p)
		require.NoError(f.t, err)
	}
}

func (f *fixture) exists(kind, name string) bool {
	_, ok := f.Store.Get(kind, "default", name)
	return ok
}

// requireGone fails the test unless the objects of kind called names (in
// namespace default) are all gone.
func (f *fixture) requireGone(kind string, names ...string) {
	f.t.Helper()
	for _, name := range names {
		require.False(f.t, f.exists(kind, name), "%s %s still exists", kind, name)
	}
}

func (f *fixture) get(kind, name string) store.Object {
	o, _ := f.Store.Get(kind, "default", name)
	return o
}

// newTreeFixture is a fixture whose tree (bound or not) has been created
// and left a second for the collector to see it.
func newTreeFixture(t *testing.T, bound bool) *fixture {
	f := newFixture(t)
	f.tree(bound)
	f.run(time.Second)
	return f
}

func (f *fixture) run(d time.Duration) { f.Engine.RunUntil(f.Engine.Elapsed() + d) }

func TestBackgroundCascade(t *testing.T) {
	f := newTreeFixture(t, false)
	require.True(t, f.exists("Pod", "web-1-a"), "solid owners: nothing collected")
	require.NoError(t, f.Admin.Delete("Deployment", "default", "web", apiserver.DeleteOptions{}))
	f.requireGone("Deployment", "web")
	f.run(time.Second)
	f.requireGone("ReplicaSet", "web-1")
	f.requireGone("Pod", "web-1-a", "web-1-b")
}

func TestForegroundCascade(t *testing.T) {
	f := newTreeFixture(t, true)
	require.NoError(t, f.Admin.Delete("Deployment", "default", "web", apiserver.DeleteOptions{Propagation: metav1.DeletePropagationForeground}))
	f.run(time.Second)
	// The pods are terminating (no kubelet finishes them), so the RS and
	// the Deployment wait with their foregroundDeletion finalizers.
	require.NotNil(t, f.get("Pod", "web-1-a").GetDeletionTimestamp())
	require.NotNil(t, f.get("Pod", "web-1-b").GetDeletionTimestamp())
	rs := f.get("ReplicaSet", "web-1")
	require.NotNil(t, rs)
	require.Equal(t, []string{metav1.FinalizerDeleteDependents}, rs.GetFinalizers())
	require.True(t, f.exists("Deployment", "web"))

	require.NoError(t, f.Admin.Delete("Pod", "default", "web-1-a", apiserver.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}))
	f.run(time.Second)
	require.True(t, f.exists("ReplicaSet", "web-1"), "one blocking pod left")
	require.NoError(t, f.Admin.Delete("Pod", "default", "web-1-b", apiserver.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}))
	f.run(time.Second)
	f.requireGone("ReplicaSet", "web-1")
	f.requireGone("Deployment", "web")
}

func TestOrphanCascade(t *testing.T) {
	f := newTreeFixture(t, false)
	require.NoError(t, f.Admin.Delete("ReplicaSet", "default", "web-1", apiserver.DeleteOptions{Propagation: metav1.DeletePropagationOrphan}))
	f.run(time.Second)
	f.requireGone("ReplicaSet", "web-1")
	for _, p := range []string{"web-1-a", "web-1-b"} {
		require.True(t, f.exists("Pod", p))
		require.Empty(t, f.get("Pod", p).GetOwnerReferences())
	}
	require.True(t, f.exists("Deployment", "web"))
}

// TestDanglingAndMixedOwners: a dependent created after its owner is gone
// is collected; one with another solid owner only loses the stale
// reference.
func TestDanglingAndMixedOwners(t *testing.T) {
	f := newFixture(t)
	svc, err := f.Admin.Create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}})
	require.NoError(t, err)
	ghost := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "gone", UID: "00000000-dead"}
	_, err = f.Admin.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "orphan", Namespace: "default",
		OwnerReferences: []metav1.OwnerReference{ghost}}})
	require.NoError(t, err)
	_, err = f.Admin.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mixed", Namespace: "default",
		OwnerReferences: []metav1.OwnerReference{ghost, ref("Service", svc)}}})
	require.NoError(t, err)
	f.run(time.Second)
	f.requireGone("ConfigMap", "orphan")
	mixed := f.get("ConfigMap", "mixed")
	require.NotNil(t, mixed)
	require.Len(t, mixed.GetOwnerReferences(), 1)
	require.Equal(t, "Service", mixed.GetOwnerReferences()[0].Kind)
}

// An update that leaves the owners alone (a lease renewal) is not
// delivered to the collector at all; new owners, deletions and objects
// being deleted with a GC finalizer are.
func TestOnlyOwnerChangesAreDelivered(t *testing.T) {
	f := newFixture(t)
	f.run(time.Second)
	node, _ := f.Store.Get("Node", "", "n1")
	t0 := true
	lease := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "n1", Namespace: "default",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "n1", UID: node.GetUID(), Controller: &t0}}}}
	out, err := f.Admin.Create(lease)
	require.NoError(t, err)
	require.NotZero(t, f.Engine.Pending(), "a new object with owners is delivered")
	f.run(time.Second)
	require.Zero(t, f.Engine.Pending())
	cp := out.DeepCopyObject().(*corev1.ConfigMap)
	cp.Data = map[string]string{"renewed": "1"}
	_, err = f.Admin.Update(cp)
	require.NoError(t, err)
	require.Zero(t, f.Engine.Pending(), "same owners: nothing scheduled")
	require.NoError(t, f.Admin.Delete("ConfigMap", "default", "n1", apiserver.DeleteOptions{}))
	require.NotZero(t, f.Engine.Pending(), "a deletion is delivered")
}
