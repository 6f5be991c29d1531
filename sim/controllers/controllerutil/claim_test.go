package controllerutil_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/store"
)

func keys(objs []store.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = store.KeyOf(o)
	}
	return out
}

// A remembered Claim keeps, releases and adopts exactly what Claim does
// as pods change under it: a relabelled pod (a new version) is released,
// an orphan adopted, an unchanged pod kept without being read again.
func TestClaimMemoClaimsAsClaim(t *testing.T) {
	w := fake.New(1)
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	o, err := w.Admin.Create(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.ReplicaSetSpec{Selector: sel, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: sel.MatchLabels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}}})
	require.NoError(t, err)
	rs := o.(*appsv1.ReplicaSet)
	ref := controllerutil.NewControllerRef(rs, "ReplicaSet")
	for _, n := range []string{"a", "b", "c"} {
		_, err := w.Admin.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: "default",
			Labels: map[string]string{"app": "web"}, OwnerReferences: []metav1.OwnerReference{ref}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}})
		require.NoError(t, err)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	require.NoError(t, err)
	client := w.Server.Client("replicaset-controller")
	var memo controllerutil.ClaimMemo
	claim := func() []string {
		got, err := memo.Claim(client, "Pod", rs, "ReplicaSet", s, sel.MatchLabels)
		require.NoError(t, err)
		want, err := controllerutil.Claim(client, "Pod", rs, "ReplicaSet", s, sel.MatchLabels)
		require.NoError(t, err)
		require.Equal(t, keys(want), keys(got))
		return keys(got)
	}
	require.Equal(t, []string{"default/a", "default/b", "default/c"}, claim())
	require.Equal(t, []string{"default/a", "default/b", "default/c"}, claim())

	// b is relabelled: the memo must not keep its old version.
	b, _ := w.Store.Get("Pod", "default", "b")
	nb := b.(*corev1.Pod).DeepCopy()
	nb.Labels = map[string]string{"app": "other"}
	_, err = w.Admin.Update(nb)
	require.NoError(t, err)
	got, err := memo.Claim(client, "Pod", rs, "ReplicaSet", s, sel.MatchLabels)
	require.NoError(t, err)
	require.Equal(t, []string{"default/a", "default/c"}, keys(got))
	b, _ = w.Store.Get("Pod", "default", "b")
	require.Empty(t, b.GetOwnerReferences(), "released")

	// An orphan with the labels is adopted.
	_, err = w.Admin.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "default",
		Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}})
	require.NoError(t, err)
	got, err = memo.Claim(client, "Pod", rs, "ReplicaSet", s, sel.MatchLabels)
	require.NoError(t, err)
	require.Equal(t, []string{"default/a", "default/c", "default/d"}, keys(got))
	require.Equal(t, []string{"default/a", "default/c", "default/d"}, claim())
}
