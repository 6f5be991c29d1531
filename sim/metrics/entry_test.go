package metrics

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

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
	s := &Server{templates: map[containerID]*statics{}}
	old := s.newPodEntry(p1, "default/web-1", nil, false)
	old.idle = []int64{7}
	scratch := func(p *corev1.Pod) *podEntry { return s.newPodEntry(p, "default/web-1", nil, true) }

	status := *p1 // a status write: the same containers, equal annotations
	status.Annotations = map[string]string{"a": "b"}
	status.Status.Phase = corev1.PodRunning
	e := s.newPodEntry(&status, "default/web-1", old, false)
	require.Same(t, old.st, e.st, "shared")
	require.Equal(t, []int64{7}, e.idle)
	require.Equal(t, old.uidHash, e.uidHash)
	require.Equal(t, derived(scratch(&status).st), derived(e.st))
	require.True(t, e.sampled, "the rest is of the new version")

	annotated := *p1 // the same containers, another working set
	annotated.Annotations = map[string]string{images.AnnotationMemory: "300Mi"}
	e = s.newPodEntry(&annotated, "default/web-1", old, false)
	require.NotSame(t, old.st, e.st)
	require.Nil(t, e.idle, "to compute")
	require.Equal(t, derived(scratch(&annotated).st), derived(e.st))
	require.NotEqual(t, old.st.containers, e.st.containers)

	resized := *p1 // other containers (a copy), equal annotations
	resized.Spec.Containers = []corev1.Container{*p1.Spec.Containers[0].DeepCopy()}
	resized.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("500m")
	e = s.newPodEntry(&resized, "default/web-1", old, false)
	require.EqualValues(t, 500, e.st.totalReq)
	require.Nil(t, e.idle)

	recreated := *p1 // deleted and created again under the same name
	recreated.UID = "u2"
	e = s.newPodEntry(&recreated, "default/web-1", old, false)
	require.Equal(t, scratch(&recreated).uidHash, e.uidHash)
	require.NotEqual(t, old.uidHash, e.uidHash)

	e = s.newPodEntry(&status, "default/web-1", old, true)
	require.NotSame(t, old.st, e.st, "fresh (the eager server) takes nothing over")
	require.Nil(t, e.idle)
}

// TestStaticsAreSharedByTemplate: pods whose containers have the same
// names and resource lists (the pods of one template: the API server
// shares the lists) and equal annotations share their statics; other
// annotations, names, lists (even of equal content) or containers, or
// fresh statics (the eager server) do not.
func TestStaticsAreSharedByTemplate(t *testing.T) {
	tmpl := []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}}}}
	pod := func(name string, ann map[string]string, cs []corev1.Container) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID(name), Annotations: ann},
			Spec: corev1.PodSpec{Containers: cs}}
	}
	s := &Server{templates: map[containerID]*statics{}}
	first := s.newPodEntry(pod("a", nil, tmpl), "", nil, false)
	for _, tc := range []struct {
		name   string
		pod    *corev1.Pod
		fresh  bool
		shared bool
	}{
		{"the same template", pod("b", nil, tmpl), false, true},
		{"the same template, equal annotations", pod("c", map[string]string{}, tmpl), false, true},
		{"a copy of the containers (the API server's)", pod("e", nil, slices.Clone(tmpl)), false, true},
		{"another container's name", pod("g", nil, []corev1.Container{{Name: "web", Resources: tmpl[0].Resources}}), false, false},
		{"requests of equal content, another list", pod("h", nil, []corev1.Container{{Name: "app", Resources: *tmpl[0].Resources.DeepCopy()}}), false, false},
		{"two containers", pod("i", nil, append(slices.Clone(tmpl), tmpl[0])), false, false},
		{"fresh", pod("f", nil, tmpl), true, false},
		{"the same template, other annotations", pod("d", map[string]string{images.AnnotationCPU: "70m"}, tmpl), false, false},
	} {
		e := s.newPodEntry(tc.pod, "", nil, tc.fresh)
		if tc.shared {
			require.Same(t, first.st, e.st, tc.name)
		} else {
			require.NotSame(t, first.st, e.st, tc.name)
		}
		require.Equal(t, derived(s.newPodEntry(tc.pod, "", nil, true).st), derived(e.st), "%s: as made from scratch", tc.name)
	}
}

// derived is what statics derive from the containers and annotations.
func derived(st *statics) []any { return []any{st.containers, st.totalReq, st.podIdle} }

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
