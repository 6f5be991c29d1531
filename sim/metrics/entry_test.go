package metrics

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
)

// TestNewPodEntryTakesOverOnlyWhatIsTheSame: a new version of a pod that
// holds the previous version's containers (as a status write leaves them)
// and equal annotations shares the previous entry's statics and idle use;
// other annotations, other containers, another UID or a fresh entry get
// their own, equal to an entry made from scratch.
func TestNewPodEntryTakesOverOnlyWhatIsTheSame(t *testing.T) {
	p1 := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-1", UID: "u1",
		Annotations: map[string]string{"a": "b"}},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("128Mi")}}}}}}
	old := newPodEntry(p1, "default/web-1", nil, false)
	old.idle = []int64{7}
	scratch := func(p *corev1.Pod) *podEntry { return newPodEntry(p, "default/web-1", nil, true) }

	status := *p1 // a status write: the same containers, equal annotations
	status.Annotations = map[string]string{"a": "b"}
	status.Status.Phase = corev1.PodRunning
	e := newPodEntry(&status, "default/web-1", old, false)
	require.Same(t, &old.containers[0], &e.containers[0], "shared")
	require.Equal(t, []int64{7}, e.idle)
	require.Equal(t, old.uidHash, e.uidHash)
	require.Equal(t, scratch(&status).containers, e.containers)
	require.True(t, e.sampled, "the rest is of the new version")

	annotated := *p1 // the same containers, another working set
	annotated.Annotations = map[string]string{images.AnnotationMemory: "300Mi"}
	e = newPodEntry(&annotated, "default/web-1", old, false)
	require.NotSame(t, &old.containers[0], &e.containers[0])
	require.Nil(t, e.idle, "to compute")
	require.Equal(t, scratch(&annotated).containers, e.containers)
	require.NotEqual(t, old.containers, e.containers)

	resized := *p1 // other containers (a copy), equal annotations
	resized.Spec.Containers = []corev1.Container{*p1.Spec.Containers[0].DeepCopy()}
	resized.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("500m")
	e = newPodEntry(&resized, "default/web-1", old, false)
	require.EqualValues(t, 500, e.totalReq)
	require.Nil(t, e.idle)

	recreated := *p1 // deleted and created again under the same name
	recreated.UID = "u2"
	e = newPodEntry(&recreated, "default/web-1", old, false)
	require.Equal(t, scratch(&recreated).uidHash, e.uidHash)
	require.NotEqual(t, old.uidHash, e.uidHash)

	e = newPodEntry(&status, "default/web-1", old, true)
	require.NotSame(t, &old.containers[0], &e.containers[0], "fresh (the eager server) takes nothing over")
	require.Nil(t, e.idle)
}

// mergeByKey gives the entries of both lists in key order, whether the
// new keys fall before, between or after the old ones.
func TestMergeByKey(t *testing.T) {
	entries := func(keys ...string) []*podEntry {
		var out []*podEntry
		for _, k := range keys {
			out = append(out, &podEntry{key: k})
		}
		return out
	}
	keys := func(es []*podEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.key)
		}
		return out
	}
	for _, tc := range []struct{ list, added, want []string }{
		{nil, []string{"a/1", "a/2"}, []string{"a/1", "a/2"}},
		{[]string{"a/1", "a/2"}, nil, []string{"a/1", "a/2"}},
		{[]string{"a/2", "a/4"}, []string{"a/1", "a/3", "a/5"}, []string{"a/1", "a/2", "a/3", "a/4", "a/5"}},
		{[]string{"a/1", "a/2"}, []string{"a/3"}, []string{"a/1", "a/2", "a/3"}},
		{[]string{"b/1", "b/2"}, []string{"a-b/1", "a/9"}, []string{"a-b/1", "a/9", "b/1", "b/2"}},
	} {
		got := mergeByKey(entries(tc.list...), entries(tc.added...))
		if tc.want == nil {
			require.Empty(t, got)
			continue
		}
		require.Equal(t, tc.want, keys(got), "%v + %v", tc.list, tc.added)
	}
}
