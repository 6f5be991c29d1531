package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// A Ref is never stale: through updates, a deletion, the name created
// again, an update through the Ref and a restore, Follow returns exactly
// what Get returns.
func TestRefFollowsWhatGetFinds(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	var ref store.Ref
	check := func(step string) {
		t.Helper()
		want, wantOK := s.Get("Pod", "default", "a")
		got, ok := s.Follow(&ref, "Pod", "default", "a")
		require.Equal(t, wantOK, ok, step)
		if wantOK {
			require.Same(t, want, got, step)
		}
	}
	check("before the pod exists")
	_, err := s.UpdateRef(ref, pod("a", "n1", nil))
	require.True(t, apierrors.IsNotFound(err), "the zero Ref holds nothing")

	first, err := s.Create(pod("a", "n1", nil))
	require.NoError(t, err)
	check("created")
	held := ref

	upd := first.(*corev1.Pod).DeepCopy()
	upd.Labels = map[string]string{"v": "2"}
	_, err = s.Update(upd)
	require.NoError(t, err)
	check("updated by name")

	viaRef := pod("a", "n1", map[string]string{"v": "3"})
	out, err := s.UpdateRef(ref, viaRef)
	require.NoError(t, err)
	require.Same(t, viaRef, out)
	check("updated through the ref")
	require.Equal(t, []store.Object{viaRef}, s.Select("Pod", "default", mustSelector(t, "v=3")), "indexes moved as Update moves them")

	_, err = s.Delete("Pod", "default", "a")
	require.NoError(t, err)
	check("deleted")
	_, err = s.UpdateRef(held, pod("a", "n1", nil))
	require.True(t, apierrors.IsNotFound(err), "a deleted object's slot takes no writes")

	_, err = s.Create(pod("a", "n2", nil))
	require.NoError(t, err)
	check("created again under the name")
	_, err = s.UpdateRef(held, pod("a", "n1", nil))
	require.True(t, apierrors.IsNotFound(err), "the old slot is not the new object's")
	require.Equal(t, "n2", s.ByIndex("Pod", store.NodeNameIndex, "n2")[0].(*corev1.Pod).Spec.NodeName)

	s.Restore(s.Rev(), []store.Object{pod("a", "n3", nil)})
	check("restored")
	got, _ := s.Follow(&ref, "Pod", "default", "a")
	require.Equal(t, "n3", got.(*corev1.Pod).Spec.NodeName)
}

// An Event, kept packed, is followed like any object.
func TestRefFollowsAPackedObject(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "e"}, Reason: "R"}
	_, err := s.Create(ev)
	require.NoError(t, err)
	var ref store.Ref
	got, ok := s.Follow(&ref, "Event", "default", "e")
	require.True(t, ok)
	require.Equal(t, "R", got.(*corev1.Event).Reason)
	_, err = s.Delete("Event", "default", "e")
	require.NoError(t, err)
	_, ok = s.Follow(&ref, "Event", "default", "e")
	require.False(t, ok)
}

func mustSelector(t *testing.T, q string) labels.Selector {
	t.Helper()
	sel, err := labels.Parse(q)
	require.NoError(t, err)
	return sel
}

// RefOf finds what Get finds under an object's kind, namespace and name,
// and its Ref writes to that object's slot.
func TestRefOfFindsTheStoredVersion(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	_, _, ok := s.RefOf(pod("a", "n1", nil))
	require.False(t, ok, "nothing stored yet")
	_, _, ok = s.RefOf(&corev1.Pod{})
	require.False(t, ok, "no such name")
	stored, err := s.Create(pod("a", "n1", nil))
	require.NoError(t, err)
	_, _, ok = s.RefOf(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "a"}})
	require.False(t, ok, "another kind's name")
	ref, got, ok := s.RefOf(pod("a", "n2", nil))
	require.True(t, ok)
	require.Same(t, stored, got)
	next := pod("a", "n2", nil)
	_, err = s.UpdateRef(ref, next)
	require.NoError(t, err)
	now, _ := s.Get("Pod", "default", "a")
	require.Same(t, next, now)
}

// OnWrite's hook runs as its object is created, updated (by name or
// through a Ref), deleted and created again, once each and before the
// write returns, and for no other object; a restore runs every hook.
func TestOnWriteRunsOnEveryWriteOfItsObject(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	var a, other int
	s.OnWrite("Pod", "default", "a", func() { a++ })
	s.OnWrite("Pod", "default", "other", func() { other++ })
	s.OnWrite("Unknown", "", "a", func() { t.Fatal("a hook of an unknown kind ran") })()
	removed := s.OnWrite("Pod", "default", "a", func() { t.Fatal("a removed hook ran") })
	removed()
	var ref store.Ref
	for _, tc := range []struct {
		name         string
		write        func() error
		wantA, wantO int
	}{
		{"created", func() error { _, err := s.Create(pod("a", "n1", nil)); return err }, 1, 0},
		{"another pod created", func() error { _, err := s.Create(pod("b", "n1", nil)); return err }, 0, 0},
		{"updated by name", func() error { _, err := s.Update(pod("a", "n2", nil)); return err }, 1, 0},
		{"updated through a Ref", func() error {
			s.Follow(&ref, "Pod", "default", "a")
			_, err := s.UpdateRef(ref, pod("a", "n3", nil))
			return err
		}, 1, 0},
		{"deleted", func() error { _, err := s.Delete("Pod", "default", "a"); return err }, 1, 0},
		{"created again", func() error { _, err := s.Create(pod("a", "n1", nil)); return err }, 1, 0},
		{"restored", func() error { s.Restore(s.Rev(), []store.Object{pod("a", "n4", nil)}); return nil }, 1, 1},
	} {
		a0, o0 := a, other
		require.NoError(t, tc.write(), tc.name)
		require.Equal(t, tc.wantA, a-a0, tc.name)
		require.Equal(t, tc.wantO, other-o0, tc.name)
	}
}
