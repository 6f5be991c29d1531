package history

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func template(image string) *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image}}},
	}
}

func TestDataReplacesTheTemplateAndDecodesBack(t *testing.T) {
	data, err := Data(template("nginx:1.27"))
	require.NoError(t, err)
	require.Contains(t, string(data), `"$patch":"replace"`)
	require.True(t, strings.HasPrefix(string(data), `{"spec":{"template":`))
	got, err := Template(&appsv1.ControllerRevision{Data: runtime.RawExtension{Raw: data}})
	require.NoError(t, err)
	require.Equal(t, "nginx:1.27", got.Spec.Containers[0].Image)
	require.Equal(t, "web", got.Labels["app"])

	other, err := Data(template("nginx:1.28"))
	require.NoError(t, err)
	r := &appsv1.ControllerRevision{Data: runtime.RawExtension{Raw: data}}
	require.True(t, Equal(r, data))
	require.False(t, Equal(r, other))
}

func TestDataCacheFollowsTheGeneration(t *testing.T) {
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{UID: "u1", Generation: 1}}
	ds.Spec.Template = *template("nginx:1.27")
	var c DataCache
	first, err := c.Data(ds, &ds.Spec.Template)
	require.NoError(t, err)
	want, _ := Data(&ds.Spec.Template)
	require.Equal(t, want, first)

	// A new spec comes with a new generation: the data follows it.
	ds.Spec.Template = *template("nginx:1.28")
	ds.Generation = 2
	second, err := c.Data(ds, &ds.Spec.Template)
	require.NoError(t, err)
	want, _ = Data(&ds.Spec.Template)
	require.Equal(t, want, second)
	require.NotEqual(t, first, second)

	// Without a UID or a generation nothing is trusted to the cache.
	bare := &appsv1.DaemonSet{}
	bare.Spec.Template = *template("nginx:1.29")
	got, err := c.Data(bare, &bare.Spec.Template)
	require.NoError(t, err)
	require.Contains(t, string(got), "nginx:1.29")
	bare.Spec.Template = *template("nginx:1.30")
	got, err = c.Data(bare, &bare.Spec.Template)
	require.NoError(t, err)
	require.Contains(t, string(got), "nginx:1.30")

	c.Forget("u1")
	ds.Spec.Template = *template("nginx:1.31") // same generation, forgotten: recomputed
	got, err = c.Data(ds, &ds.Spec.Template)
	require.NoError(t, err)
	require.Contains(t, string(got), "nginx:1.31")
}

func TestHashDependsOnDataAndCollisionCount(t *testing.T) {
	a, b := []byte("a"), []byte("b")
	require.Equal(t, Hash(a, nil), Hash(a, nil))
	require.NotEqual(t, Hash(a, nil), Hash(b, nil))
	require.NotEqual(t, Hash(a, ptr.To[int32](0)), Hash(a, ptr.To[int32](1)))
	require.NotContains(t, Hash(a, nil), "a", "safe encoding has no vowels")
}

func TestNewNamesLabelsAndOwnsTheRevision(t *testing.T) {
	set := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "prod", UID: "u1"}}
	r := New(set, "StatefulSet", map[string]string{"app": "db"}, "abc12", []byte("{}"), 3)
	require.Equal(t, "db-abc12", r.Name)
	require.Equal(t, "prod", r.Namespace)
	require.Equal(t, map[string]string{"app": "db", HashLabel: "abc12"}, r.Labels)
	require.Equal(t, int64(3), r.Revision)
	require.Len(t, r.OwnerReferences, 1)
	require.Equal(t, "StatefulSet", r.OwnerReferences[0].Kind)
	require.True(t, *r.OwnerReferences[0].Controller)

	require.Len(t, Name(strings.Repeat("x", 300), "h"), 223+2)
}

func TestSortMaxAndLimit(t *testing.T) {
	rev := func(name string, n int64) *appsv1.ControllerRevision {
		return &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: name}, Revision: n}
	}
	rs := []*appsv1.ControllerRevision{rev("c", 3), rev("a", 1), rev("b1", 2), rev("b2", 2)}
	Sort(rs)
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	require.Equal(t, []string{"a", "b1", "b2", "c"}, names)
	require.Equal(t, int64(3), MaxRevision(rs))
	require.Zero(t, MaxRevision(nil))
	require.Equal(t, 10, Limit(nil))
	require.Equal(t, 2, Limit(ptr.To[int32](2)))
}
