package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

func pod(name, node string, l map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: l},
		Spec: corev1.PodSpec{NodeName: node}}
}

func TestRevisionsConflictsAndIndexes(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	a, err := s.Create(pod("a", "n1", map[string]string{"app": "web"}))
	require.NoError(t, err)
	require.Equal(t, "1", a.GetResourceVersion())
	_, err = s.Create(pod("a", "", nil))
	require.True(t, apierrors.IsAlreadyExists(err))
	_, err = s.Create(pod("b", "n2", map[string]string{"app": "web", "tier": "x"}))
	require.NoError(t, err)

	stale := pod("a", "n2", map[string]string{"app": "db"})
	stale.ResourceVersion = "0"
	_, err = s.Update(stale)
	require.True(t, apierrors.IsConflict(err))

	upd := a.(*corev1.Pod).DeepCopy()
	upd.Labels = map[string]string{"app": "db"}
	upd.Spec.NodeName = "n2"
	out, err := s.Update(upd)
	require.NoError(t, err)
	require.Equal(t, "3", out.GetResourceVersion())

	names := func(objs []store.Object) (n []string) {
		for _, o := range objs {
			n = append(n, o.GetName())
		}
		return
	}
	require.Equal(t, []string{"a", "b"}, names(s.ByIndex("Pod", store.NodeNameIndex, "n2")))
	require.Empty(t, s.ByIndex("Pod", store.NodeNameIndex, "n1"))
	each := func(value string) (objs []store.Object) {
		s.EachByIndex("Pod", store.NodeNameIndex, value, func(o store.Object) { objs = append(objs, o) })
		return
	}
	require.Equal(t, s.ByIndex("Pod", store.NodeNameIndex, "n2"), each("n2"), "EachByIndex visits what ByIndex lists, in its order")
	require.Empty(t, each("n1"))
	sel := labels.SelectorFromSet(labels.Set{"app": "web"})
	require.Equal(t, []string{"b"}, names(s.Select("Pod", "default", sel)))
	sel2, _ := labels.Parse("app in (web,db),tier!=y")
	require.Equal(t, []string{"a", "b"}, names(s.Select("Pod", "", sel2)))

	_, err = s.Delete("Pod", "default", "a")
	require.NoError(t, err)
	require.Equal(t, []string{"b"}, names(s.List("Pod", "")))
	require.EqualValues(t, 4, s.Rev())
}

type recLog struct{ batches [][]store.Mutation }

func (l *recLog) Append(b []store.Mutation) error {
	l.batches = append(l.batches, append([]store.Mutation(nil), b...))
	return nil
}

func TestWatchLatencyAndBatching(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	log := &recLog{}
	s.SetLog(log)
	var got []string
	var at []time.Duration
	s.Watch("Pod", 10*time.Millisecond, func(ev store.Event) {
		got = append(got, ev.Type.String()+" "+ev.Object.GetName())
		at = append(at, e.Elapsed())
	})
	var onNode []string
	s.WatchIndex("Pod", store.NodeNameIndex, "n1", time.Millisecond, func(ev store.Event) {
		onNode = append(onNode, ev.Type.String()+" "+ev.Object.GetName())
	})
	e.At(time.Second, "w", func() {
		_, err := s.Create(pod("a", "n1", nil))
		require.NoError(t, err)
		_, err = s.Create(pod("b", "n2", nil))
		require.NoError(t, err)
	})
	e.At(time.Second+5*time.Millisecond, "w", func() { _, err := s.Delete("Pod", "default", "a"); require.NoError(t, err) })
	e.RunUntil(time.Minute)
	require.Equal(t, []string{"ADDED a", "ADDED b", "DELETED a"}, got)
	require.Equal(t, []time.Duration{1010 * time.Millisecond, 1010 * time.Millisecond, 1015 * time.Millisecond}, at)
	require.Equal(t, []string{"ADDED a", "DELETED a"}, onNode)
	require.Len(t, log.batches, 2, "one batch per virtual instant")
	require.Len(t, log.batches[0], 2)
}

// TestWatchFiltered: an event the filter refuses is never scheduled (no
// timer, no delivery); the accepted ones arrive as with Watch.
func TestWatchFiltered(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	var got []string
	s.WatchFiltered("Pod", 10*time.Millisecond, func(ev store.Event) bool { return ev.Type != store.Modified },
		func(ev store.Event) { got = append(got, ev.Type.String()+" "+ev.Object.GetName()) })
	a, err := s.Create(pod("a", "n1", nil))
	require.NoError(t, err)
	e.RunUntil(time.Second)
	require.Equal(t, []string{"ADDED a"}, got)
	_, err = s.Update(a)
	require.NoError(t, err)
	require.Zero(t, e.Pending(), "a refused event schedules nothing")
	_, err = s.Delete("Pod", "default", "a")
	require.NoError(t, err)
	e.RunUntil(2 * time.Second)
	require.Equal(t, []string{"ADDED a", "DELETED a"}, got)
}

// TestKindRev: a kind's revision moves with its own changes only.
func TestKindRev(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	require.Zero(t, s.KindRev("Pod"))
	require.Zero(t, s.KindRev("NoSuchKind"))
	a, err := s.Create(pod("a", "", nil))
	require.NoError(t, err)
	require.EqualValues(t, 1, s.KindRev("Pod"))
	_, err = s.Create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}})
	require.NoError(t, err)
	require.EqualValues(t, 1, s.KindRev("Pod"), "a Node does not move the Pods' revision")
	require.EqualValues(t, 2, s.KindRev("Node"))
	_, err = s.Update(a.(*corev1.Pod).DeepCopy())
	require.NoError(t, err)
	require.EqualValues(t, 3, s.KindRev("Pod"))
	_, err = s.Delete("Pod", "default", "a")
	require.NoError(t, err)
	require.EqualValues(t, 4, s.KindRev("Pod"))
	require.EqualValues(t, 2, s.KindRev("Node"))
	s.Restore(9, nil)
	require.EqualValues(t, 9, s.KindRev("Node"), "a restore replaces every kind")
}

// spyLog looks past the end of each batch it is handed, into the array
// the store reuses.
type spyLog struct{ stale int }

func (l *spyLog) Append(b []store.Mutation) error {
	for _, m := range b[len(b):cap(b)] {
		if m.Object != nil {
			l.stale++
		}
	}
	return nil
}

// TestBatchArrayKeepsNoObject: the store reuses its batch array from one
// instant to the next; a short batch after a long one must not leave the
// long one's objects reachable past its end (they would stay alive for
// the rest of the run).
func TestBatchArrayKeepsNoObject(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	log := &spyLog{}
	s.SetLog(log)
	e.At(time.Second, "burst", func() {
		for i := 0; i < 50; i++ {
			_, err := s.Create(pod(fmt.Sprint("p", i), "n1", nil))
			require.NoError(t, err)
		}
	})
	e.At(2*time.Second, "one", func() {
		_, err := s.Create(pod("q", "n1", nil))
		require.NoError(t, err)
	})
	e.RunUntil(time.Minute)
	require.Zero(t, log.stale, "objects of an earlier batch still reachable from the reused array")
}

// TestCompareKeys: pods order as their keys (namespace/name) do, also
// across namespaces where one is a prefix of the other.
func TestCompareKeys(t *testing.T) {
	pods := []*corev1.Pod{}
	for _, k := range [][2]string{{"a", "x"}, {"a-b", "x"}, {"a", "x-1"}, {"ab", "a"}, {"a", "y"}, {"b", ""}, {"a", "x"}} {
		pods = append(pods, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: k[0], Name: k[1]}})
	}
	for _, a := range pods {
		for _, b := range pods {
			want := strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
			if got := store.CompareKeys(a, b); got != want {
				t.Errorf("CompareKeys(%s/%s, %s/%s) = %d, want %d", a.Namespace, a.Name, b.Namespace, b.Name, got, want)
			}
		}
	}
}

// BenchmarkWatchBurst: 15 pod watchers (as many as a cluster runs) told
// of a burst of 5,000 pods created at one instant and of as many status
// updates spread over the following seconds.
func BenchmarkWatchBurst(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		e := sim.NewEngine(1)
		s := store.New(e)
		n := 0
		for i := range 15 {
			s.Watch("Pod", time.Duration(2+i%3)*time.Millisecond, func(store.Event) { n++ })
		}
		pods := make([]store.Object, 5000)
		e.At(time.Second, "burst", func() {
			for i := range pods {
				pods[i], _ = s.Create(pod(fmt.Sprint("p", i), "", nil))
			}
		})
		for i := range pods {
			e.At(2*time.Second+time.Duration(i)*time.Millisecond, "update", func() {
				p := *pods[i].(*corev1.Pod)
				p.ResourceVersion = ""
				_, _ = s.Update(&p)
			})
		}
		e.RunUntil(time.Minute)
		if n != 15*2*len(pods) {
			b.Fatal(n)
		}
	}
}

// BenchmarkUpdatePodStatus: a status write of a bound pod in a store
// watched as a cluster's is (15 pod watches, a field-selector watch per
// node), the store's share of the commonest write.
func BenchmarkUpdatePodStatus(b *testing.B) {
	e := sim.NewEngine(1)
	s := store.New(e)
	for i := range 15 {
		s.Watch("Pod", time.Duration(2+i%3)*time.Millisecond, func(store.Event) {})
	}
	const nodes, pods = 100, 3000
	for i := range nodes {
		s.WatchIndex("Pod", store.NodeNameIndex, fmt.Sprint("n", i), time.Millisecond, func(store.Event) {})
	}
	cur := make([]*corev1.Pod, pods)
	for i := range cur {
		p := pod(fmt.Sprint("p", i), "", map[string]string{"app": "web"})
		p.Spec.NodeName = fmt.Sprint("n", i%nodes)
		o, err := s.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		cur[i] = o.(*corev1.Pod)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := *cur[i%pods]
		p.ResourceVersion = ""
		p.Status.Phase = corev1.PodRunning
		o, err := s.Update(&p)
		if err != nil {
			b.Fatal(err)
		}
		cur[i%pods] = o.(*corev1.Pod)
		if i%pods == pods-1 {
			e.RunUntil(e.Elapsed() + time.Second) // deliver
		}
	}
}

// TestKindOfEveryKind: KindOf names every registered kind's objects by
// that kind, those it finds by a type switch as the others.
func TestKindOfEveryKind(t *testing.T) {
	for _, name := range store.Kinds() {
		info, ok := store.LookupKind(name)
		require.True(t, ok)
		got, err := store.KindOf(info.New())
		require.NoError(t, err)
		require.Same(t, info, got, name)
	}
	_, err := store.KindOf(&metav1.Status{})
	require.Error(t, err)
}

// TestWatchIndexNeedsItsIndex: a watch takes the index's function when it
// is first watched, so watching an index AddIndex never registered is a
// programming error said at once, not a nil call at the first write.
func TestWatchIndexNeedsItsIndex(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	require.PanicsWithValue(t, "store: WatchIndex on Pod index spec.nothing, which AddIndex has not registered", func() {
		s.WatchIndex("Pod", "spec.nothing", "x", time.Millisecond, func(store.Event) {})
	})
}

// BenchmarkCreateAndBindPods: the store's own share of a burst of pods
// as a cluster writes them, unwatched: 30,000 pods of 300 ReplicaSets
// (two labels and an owner each, as a Deployment's pods carry), each
// ReplicaSet's created at one instant, then each pod bound to one of
// 1,000 nodes a millisecond apart, then each looked up by name.
func BenchmarkCreateAndBindPods(b *testing.B) {
	const owners, perOwner, nodes = 300, 100, 1000
	names := make([]string, owners*perOwner)
	for i := range names {
		names[i] = fmt.Sprintf("app-%d-5d8f9c7b4-%05x", i/perOwner, (i*7919)%(1<<20))
	}
	b.ReportAllocs()
	for b.Loop() {
		e := sim.NewEngine(1)
		s := store.New(e)
		for r := range owners {
			rs := fmt.Sprint("app-", r)
			e.At(time.Duration(r)*time.Millisecond, "create", func() {
				for _, name := range names[r*perOwner : (r+1)*perOwner] {
					p := pod(name, "", map[string]string{"app": rs, "pod-template-hash": fmt.Sprint(r)})
					p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs, UID: types.UID("uid-" + rs)}}
					if _, err := s.Create(p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		for i, name := range names {
			e.At(time.Second+time.Duration(i)*time.Millisecond, "bind", func() {
				o, _ := s.Get("Pod", "default", name)
				p := *o.(*corev1.Pod)
				p.ResourceVersion = ""
				p.Spec.NodeName = fmt.Sprint("n", (i*31)%nodes)
				if _, err := s.Update(&p); err != nil {
					b.Fatal(err)
				}
			})
		}
		e.RunUntil(time.Hour)
		for _, name := range names {
			if _, ok := s.Get("Pod", "default", name); !ok {
				b.Fatal(name)
			}
		}
		if n := s.CountIndex("Pod", store.NodeNameIndex, "n7"); n != len(names)/nodes {
			b.Fatal(n)
		}
	}
}

// Every mutation of an object carries the object's slot: given at
// creation (the lowest never used, or the one freed last), kept through
// updates and lease renewals, freed by the deletion.
func TestMutationSlots(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	log := &mutationLog{}
	s.SetLog(log)
	steps := []struct {
		name  string
		write func() error
		kind  string
		key   string
		slot  int32
	}{
		{"create a", func() error { _, err := s.Create(pod("a", "n1", nil)); return err }, "Pod", "default/a", 0},
		{"create b", func() error { _, err := s.Create(pod("b", "n1", nil)); return err }, "Pod", "default/b", 1},
		{"create a lease", func() error { _, err := s.Create(nodeLease("n1", e.Now())); return err }, "Lease", "kube-node-lease/n1", 2},
		{"update a", func() error { _, err := s.Update(pod("a", "n2", nil)); return err }, "Pod", "default/a", 0},
		{"renew the lease", func() error {
			ref, _, ok := s.RefOf(nodeLease("n1", e.Now()))
			require.True(t, ok)
			_, _, err := s.RenewLease(ref, metav1.NewMicroTime(e.Now()))
			return err
		}, "Lease", "kube-node-lease/n1", 2},
		{"delete a", func() error { _, err := s.Delete("Pod", "default", "a"); return err }, "Pod", "default/a", 0},
		{"create c in a's slot", func() error { _, err := s.Create(pod("c", "n1", nil)); return err }, "Pod", "default/c", 0},
		{"create d in a new one", func() error { _, err := s.Create(pod("d", "n1", nil)); return err }, "Pod", "default/d", 3},
	}
	for i, st := range steps {
		e.At(time.Duration(i+1)*time.Second, "w", func() { require.NoError(t, st.write(), st.name) })
	}
	e.RunUntil(time.Minute)
	require.Len(t, log.got, len(steps))
	for i, st := range steps {
		m := log.got[i]
		require.Equal(t, []any{st.kind, st.key, st.slot}, []any{m.Kind, m.Key, m.Slot}, st.name)
	}
}
