package store_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// TestIndexesFollowEveryChange: an update that keeps an object's index
// values touches no index set (the sets hold the object's slot, which the
// new version fills), one that changes them moves the object. After every
// kind of change — labels, owners and node kept (the same map and slice,
// or equal copies) or changed, deletes, re-creates — every index answer
// (ByIndex, CountIndex, CountLabel, Select, a custom index) equals the answer computed
// from the objects themselves, and gives back the current versions.
func TestIndexesFollowEveryChange(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	const custom = "custom"
	s.AddIndex("Pod", custom, func(o store.Object) []string {
		if v := o.GetAnnotations()["c"]; v != "" {
			if o.GetAnnotations()["twice"] != "" {
				return []string{v, v} // one set, joined once
			}
			return []string{v}
		}
		return nil
	})
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...string) string { return vals[r.IntN(len(vals))] }
	const (
		apps  = 3
		nodes = 3
		names = 12
	)
	fresh := func(p *corev1.Pod) {
		p.Labels = map[string]string{"app": fmt.Sprint("a", r.IntN(apps))}
		if r.IntN(2) == 0 {
			p.Labels["tier"] = pick("x", "y")
		}
		p.OwnerReferences = nil
		for range r.IntN(3) { // none, one, or two owners (perhaps the same twice)
			p.OwnerReferences = append(p.OwnerReferences, metav1.OwnerReference{UID: types.UID(pick("o1", "o2"))})
		}
		p.Spec.NodeName = pick("", "n0", "n1", "n2")
		p.Annotations = map[string]string{"c": pick("", "c1", "c2"), "twice": pick("", "y")}
	}
	for step := 0; step < 3000; step++ {
		name := fmt.Sprint("p", r.IntN(names))
		cur, ok := s.Get("Pod", "default", name)
		switch {
		case !ok:
			p := pod(name, "", nil)
			fresh(p)
			_, err := s.Create(p)
			require.NoError(t, err)
		case r.IntN(6) == 0:
			_, err := s.Delete("Pod", "default", name)
			require.NoError(t, err)
		default:
			p := *cur.(*corev1.Pod) // shallow: shares the labels map and owners slice
			p.ResourceVersion = ""
			switch r.IntN(4) {
			case 0: // a status update: every index value kept, maps shared
				p.Status.Message = fmt.Sprint(step)
			case 1: // equal copies of the index values
				p.Labels = maps.Clone(p.Labels)
				p.OwnerReferences = slices.Clone(p.OwnerReferences)
			default:
				fresh(&p)
			}
			_, err := s.Update(&p)
			require.NoError(t, err)
		}
		if r.IntN(3) == 0 {
			// (Not at every step: the sets sorted when read take several
			// writes, and deletions, out of order between reads.)
			checkIndexes(t, s, custom, step)
		}
		// List walks the entries it keeps sorted (appended on create,
		// removed on delete): the current version of every object, by key.
		var want []store.Object
		for i := range names {
			if o, ok := s.Get("Pod", "default", fmt.Sprint("p", i)); ok {
				want = append(want, o)
			}
		}
		slices.SortFunc(want, func(a, b store.Object) int { return store.CompareKeys(a, b) })
		got := s.List("Pod", "default")
		require.Len(t, got, len(want), "step %d", step)
		for i := range want {
			require.Same(t, want[i], got[i], "step %d: List", step)
		}
	}
}

// checkIndexes compares every index answer with the one computed from
// List.
func checkIndexes(t *testing.T, s *store.Store, custom string, step int) {
	all := s.List("Pod", "")
	want := func(keep func(p *corev1.Pod) bool) []store.Object {
		var out []store.Object
		for _, o := range all {
			if keep(o.(*corev1.Pod)) {
				out = append(out, o)
			}
		}
		return out
	}
	same := func(what string, want, got []store.Object) {
		t.Helper()
		require.Equal(t, len(want), len(got), "step %d: %s", step, what)
		for i := range want {
			require.Same(t, want[i], got[i], "step %d: %s: not the current version, or out of order", step, what)
		}
	}
	for _, n := range []string{"n0", "n1", "n2"} {
		w := want(func(p *corev1.Pod) bool { return p.Spec.NodeName == n })
		same("node "+n, w, s.ByIndex("Pod", store.NodeNameIndex, n))
		require.Equal(t, len(w), s.CountIndex("Pod", store.NodeNameIndex, n))
	}
	for _, o := range []string{"o1", "o2"} {
		same("owner "+o, want(func(p *corev1.Pod) bool {
			return slices.ContainsFunc(p.OwnerReferences, func(r metav1.OwnerReference) bool { return string(r.UID) == o })
		}), s.ByIndex("Pod", store.OwnerIndex, o))
	}
	for _, c := range []string{"c1", "c2"} {
		same("custom "+c, want(func(p *corev1.Pod) bool { return p.Annotations["c"] == c }), s.ByIndex("Pod", custom, c))
	}
	for _, q := range []string{"app=a0", "app=a1,tier=x", "app in (a0,a2)", "tier in (x,y),app!=a1", "tier"} {
		sel, err := labels.Parse(q)
		require.NoError(t, err)
		same("select "+q, want(func(p *corev1.Pod) bool { return sel.Matches(labels.Set(p.Labels)) }), s.Select("Pod", "default", sel))
		require.Empty(t, s.Select("Pod", "other", sel))
	}
	for _, l := range []string{"app=a0", "app=a1", "app=a2", "tier=x", "tier=y"} {
		k, v, _ := strings.Cut(l, "=")
		w := want(func(p *corev1.Pod) bool { return p.Labels[k] == v })
		same("label "+l, w, s.ByIndex("Pod", store.LabelIndex, l))
		require.Equal(t, len(w), s.CountLabel("Pod", k, v), "step %d: CountLabel %s", step, l)
	}
}
