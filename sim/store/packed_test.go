package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// createEventsAt schedules the creation of an Event of each name in
// "default" at virtual time at.
func createEventsAt(t *testing.T, e *sim.Engine, s *store.Store, at time.Duration, names ...string) {
	t.Helper()
	e.At(at, "create", func() {
		for _, n := range names {
			_, err := s.Create(event("default", n, e.Now()))
			require.NoError(t, err)
		}
	})
}

func event(ns, name string, at time.Time) *corev1.Event {
	now := metav1.NewTime(at)
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("u-" + name), CreationTimestamp: now},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: ns, Name: "web-1",
			UID: "pod-uid", ResourceVersion: "7", FieldPath: "spec.containers{app}"},
		Reason: "Started", Message: "Started container app", Type: corev1.EventTypeNormal, Count: 1,
		Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
		FirstTimestamp: now, LastTimestamp: now, ReportingController: "kubelet",
	}
}

// draft is the draft of event(ns, name, at) but for its UID.
func draft(ns, name string, at time.Time) store.EventDraft {
	now := metav1.NewTime(at)
	return store.EventDraft{
		Name: name, Namespace: ns, CreationTimestamp: now,
		Kind: "Pod", APIVersion: "v1", ObjectNamespace: ns, ObjectName: "web-1", ObjectUID: "pod-uid",
		ObjectResourceVersion: "7", FieldPath: "spec.containers{app}",
		Reason: "Started", Message: "Started container app", Type: corev1.EventTypeNormal, Count: 1,
		Component: "kubelet", Host: "node-1", FirstTimestamp: now, LastTimestamp: now, ReportingController: "kubelet",
	}
}

// TestPackedEventsReadBackExactly: Events are kept as their encoding, and
// every read (Get, List, Select, ByIndex, a watch's old and deleted
// versions) gives back exactly what was written, sub-second timestamps
// included; the log is handed the encoding it then shares.
func TestPackedEventsReadBackExactly(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	log := &recLog{}
	s.SetLog(log)
	at := sim.Epoch.Add(90*time.Second + 123456789*time.Nanosecond)
	a := event("default", "a.1", at)
	b := event("kube-system", "b.1", at.Add(time.Millisecond))
	b.Labels = map[string]string{"app": "x"}
	odd := event("default", "odd.1", at)
	odd.Annotations = map[string]string{} // empty but not nil: the encoding would lose it
	var watched []store.Event
	s.Watch("Event", 0, func(ev store.Event) { watched = append(watched, ev) })
	e.At(time.Millisecond, "create", func() {
		for _, ev := range []*corev1.Event{a, b, odd} {
			_, err := s.Create(ev)
			require.NoError(t, err)
		}
	})
	e.RunUntil(time.Second)
	require.Len(t, log.batches, 1)
	require.NotNil(t, log.batches[0][0].Encoded, "a packed Event hands its encoding to the log")
	require.Nil(t, log.batches[0][2].Encoded, "an Event that does not pack is encoded by the log")

	want := map[string]*corev1.Event{"a.1": a.DeepCopy(), "b.1": b.DeepCopy(), "odd.1": odd.DeepCopy()}
	got, ok := s.Get("Event", "default", "a.1")
	require.True(t, ok)
	require.Equal(t, want["a.1"], got)
	require.Equal(t, at, got.(*corev1.Event).LastTimestamp.Time, "nanoseconds and location kept")
	list := s.List("Event", "")
	require.Len(t, list, 3)
	for _, o := range list {
		require.Equal(t, want[o.GetName()], o)
	}
	require.Equal(t, []store.Object{want["b.1"]}, s.List("Event", "kube-system"))
	require.Equal(t, []store.Object{want["b.1"]}, s.Select("Event", "", labels.SelectorFromSet(labels.Set{"app": "x"})))
	require.Equal(t, []store.Object{want["b.1"]}, s.ByIndex("Event", store.LabelIndex, "app=x"))
	var each []store.Object
	s.EachByIndex("Event", store.LabelIndex, "app=x", func(o store.Object) { each = append(each, o) })
	require.Equal(t, []store.Object{want["b.1"]}, each, "EachByIndex unpacks as ByIndex does")
	require.Equal(t, 3, s.Len("Event"))

	upd := got.(*corev1.Event).DeepCopy()
	upd.Count = 2
	upd.LastTimestamp = metav1.NewTime(at.Add(time.Second + 7))
	_, err := s.Update(upd)
	require.NoError(t, err)
	got, _ = s.Get("Event", "default", "a.1")
	require.Equal(t, upd, got)
	_, err = s.Delete("Event", "kube-system", "b.1")
	require.NoError(t, err)
	require.Empty(t, s.ByIndex("Event", store.LabelIndex, "app=x"))
	require.Len(t, watched, 5)
	require.Equal(t, want["a.1"], watched[3].Old, "the version an update replaced")
	require.Equal(t, want["b.1"], watched[4].Object, "the version a deletion removed")
	_, ok = s.Get("Event", "kube-system", "b.1")
	require.False(t, ok)
	require.Equal(t, 2, s.Len("Event"))
}

// TestTTL: an object of a kind with a TTL is deleted (watchers told, the
// log handed the deletion) once it went the TTL without a write; a write
// starts its TTL afresh.
func TestTTL(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	log := &recLog{}
	s.SetLog(log)
	s.SetTTL("Event", time.Hour)
	var deleted []string
	s.Watch("Event", 0, func(ev store.Event) {
		if ev.Type == store.Deleted {
			deleted = append(deleted, ev.Object.GetName())
		}
	})
	createEventsAt(t, e, s, time.Minute, "a", "b")
	e.At(40*time.Minute, "update b", func() {
		o, _ := s.Get("Event", "default", "b")
		ev := o.(*corev1.Event).DeepCopy()
		ev.Count++
		_, err := s.Update(ev)
		require.NoError(t, err)
	})
	e.At(61*time.Minute, "tick", func() {})
	e.RunUntil(90 * time.Minute)
	require.Equal(t, []string{"a"}, deleted, "a expired at 1:01; b was written again at 0:40")
	e.At(100*time.Minute, "tick", func() {})
	e.RunUntil(2 * time.Hour)
	require.Equal(t, []string{"a", "b"}, deleted)
	require.Zero(t, s.Len("Event"))
	last := log.batches[len(log.batches)-1]
	require.Equal(t, store.Deleted, last[0].Type)
	require.Equal(t, "default/b", last[0].Key)
}

// TestCreateFromKeepsNothingLent: CreateFrom's writer reuses its object
// after the call. What the store hands out afterwards (reads, the log's
// encoding, watchers' copies) is what was written, whatever the writer
// then does to its object; without watchers the log gets only the
// encoding. An object that does not pack is copied.
func TestCreateFromKeepsNothingLent(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	log := &recLog{}
	s.SetLog(log)
	at := sim.Epoch.Add(90*time.Second + 123456789*time.Nanosecond)
	lent := event("default", "a.1", at)
	e.At(time.Millisecond, "unwatched", func() {
		require.NoError(t, s.CreateFrom(lent, "default/a.1"))
	})
	e.RunUntil(time.Second)
	want := event("default", "a.1", at)
	want.ResourceVersion = "1"
	require.Equal(t, "1", lent.ResourceVersion, "the writer's object gets its resourceVersion")
	*lent = corev1.Event{} // the writer reuses its object
	got, ok := s.Get("Event", "default", "a.1")
	require.True(t, ok)
	require.Equal(t, want, got)
	require.Len(t, log.batches, 1)
	m := log.batches[0][0]
	require.Nil(t, m.Object, "nothing watches: no copy decoded for the log")
	require.Equal(t, "default/a.1", m.Key)
	var dec corev1.Event
	require.NoError(t, dec.Unmarshal(m.Encoded.Bytes))
	require.Equal(t, want.Message, dec.Message)

	var watched []store.Object
	s.Watch("Event", time.Millisecond, func(ev store.Event) { watched = append(watched, ev.Object) })
	odd := event("default", "odd.1", at)
	odd.Annotations = map[string]string{} // does not pack: kept as a copy
	b := event("kube-system", "b.1", at)
	e.At(2*time.Second, "watched", func() {
		require.NoError(t, s.CreateFrom(b, "")) // the key built by the store
		require.NoError(t, s.CreateFrom(odd, "default/wrong"))
		*b, *odd = corev1.Event{}, corev1.Event{}
	})
	e.RunUntil(3 * time.Second)
	wantB, wantOdd := event("kube-system", "b.1", at), event("default", "odd.1", at)
	wantOdd.Annotations = map[string]string{}
	wantB.ResourceVersion, wantOdd.ResourceVersion = "2", "3"
	require.Equal(t, []store.Object{wantB, wantOdd}, watched)
	got, ok = s.Get("Event", "kube-system", "b.1")
	require.True(t, ok)
	require.Equal(t, wantB, got)
	got, ok = s.Get("Event", "default", "odd.1")
	require.True(t, ok, "a wrong key is not used")
	require.Equal(t, wantOdd, got)
	require.Equal(t, wantOdd, log.batches[1][1].Object)
	require.ErrorContains(t, s.CreateFrom(event("default", "a.1", at), ""), "already exists")
	require.ErrorContains(t, s.CreateFrom(event("default", "a.1", at), "default/a.1"), "already exists")
	require.ErrorContains(t, s.CreateFrom(event("default", "odd.1", at), "default/wrong"), "already exists")
}

// TestTTLAfterRestore: a restore keeps the objects' revisions, so what
// was due to expire still expires then; an object restored at another
// revision than the write its expiry was for does not.
func TestTTLAfterRestore(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	s.SetTTL("Event", time.Hour)
	createEventsAt(t, e, s, time.Minute, "a", "b")
	e.At(2*time.Minute, "restore", func() {
		a, _ := s.Get("Event", "default", "a")
		b, _ := s.Get("Event", "default", "b")
		b = b.(*corev1.Event).DeepCopy()
		b.SetResourceVersion("02") // not the revision "2" its expiry is for
		s.Restore(s.Rev(), []store.Object{a, b})
	})
	e.At(62*time.Minute, "tick", func() {})
	e.RunUntil(90 * time.Minute)
	_, ok := s.Get("Event", "default", "a")
	require.False(t, ok, "a expired at 1:01")
	_, ok = s.Get("Event", "default", "b")
	require.True(t, ok)
}

// TestTTLUnwatched: with nothing watching, an expired Event is deleted
// without being decoded, yet exactly as Delete would: the log is handed
// the deletion, and a labelled one leaves the label index.
func TestTTLUnwatched(t *testing.T) {
	e := sim.NewEngine(1)
	s := store.New(e)
	log := &recLog{}
	s.SetLog(log)
	s.SetTTL("Event", time.Hour)
	e.At(time.Minute, "create", func() {
		a, b := event("default", "a", e.Now()), event("default", "b", e.Now())
		b.Labels = map[string]string{"app": "x"}
		for _, ev := range []*corev1.Event{a, b} {
			_, err := s.Create(ev)
			require.NoError(t, err)
		}
	})
	e.At(62*time.Minute, "tick", func() {})
	e.RunUntil(90 * time.Minute)
	require.Zero(t, s.Len("Event"))
	require.Empty(t, s.ByIndex("Event", store.LabelIndex, "app=x"))
	last := log.batches[len(log.batches)-1]
	require.Len(t, last, 2)
	for i, key := range []string{"default/a", "default/b"} {
		require.Equal(t, store.Deleted, last[i].Type)
		require.Equal(t, key, last[i].Key)
		require.EqualValues(t, 3+i, last[i].Rev)
	}
}

// CreateEvent writes what CreateFrom of the same Event with its UID
// writes: the log's encoding and Mutation, what Get reads back and what
// watchers are handed, whether the Event table is watched, indexed
// beyond the built-in indexes or neither (where the UID and
// resourceVersion are written into the encoding from bytes), and for an
// Event that does not pack (a timestamp outside UTC: kept unpacked).
func TestCreateEventIsCreateFrom(t *testing.T) {
	at := sim.Epoch.Add(90*time.Second + 123456789*time.Nanosecond)
	const uid = "0b6f3e1a-9c2d-4e5f-8a7b-6c5d4e3f2a1b"
	cases := []struct {
		name  string
		setup func(*store.Store, *[]store.Event)
		edit  func(*store.EventDraft)
	}{
		{"unwatched", func(*store.Store, *[]store.Event) {}, func(*store.EventDraft) {}},
		{"watched", func(s *store.Store, seen *[]store.Event) {
			s.Watch("Event", 0, func(ev store.Event) { *seen = append(*seen, ev) })
		}, func(*store.EventDraft) {}},
		{"indexed", func(s *store.Store, _ *[]store.Event) {
			s.AddIndex("Event", "reason", func(o store.Object) []string { return []string{o.(*corev1.Event).Reason} })
		}, func(*store.EventDraft) {}},
		{"not UTC", func(*store.Store, *[]store.Event) {}, func(d *store.EventDraft) {
			d.FirstTimestamp = metav1.NewTime(at.In(time.FixedZone("CET", 3600)))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs [2]*recLog
			var seen [2][]store.Event
			var got [2]store.Object
			for i := range 2 {
				e := sim.NewEngine(1)
				s := store.New(e)
				logs[i] = &recLog{}
				s.SetLog(logs[i])
				c.setup(s, &seen[i])
				e.At(time.Millisecond, "create", func() {
					_, err := s.Create(event("default", "first", at)) // a resourceVersion of its own
					require.NoError(t, err)
					d := draft("default", "web-1.18a2b3c4d5e6f7a8", at)
					c.edit(&d)
					if i == 0 {
						ev := d.Event()
						ev.UID = uid
						require.NoError(t, s.CreateFrom(ev, "default/"+ev.Name))
					} else {
						require.NoError(t, s.CreateEvent(&d, "default/"+d.Name, []byte(uid)))
					}
					d = store.EventDraft{} // lent: the store keeps nothing of it
				})
				e.RunUntil(time.Second)
				var ok bool
				got[i], ok = s.Get("Event", "default", "web-1.18a2b3c4d5e6f7a8")
				require.True(t, ok)
			}
			d := draft("default", "web-1.18a2b3c4d5e6f7a8", at)
			c.edit(&d)
			want := d.Event()
			want.UID, want.ResourceVersion = uid, "2"
			require.Equal(t, want, got[0])
			require.Equal(t, got[0], got[1])
			require.Equal(t, logs[0].batches, logs[1].batches)
			require.Equal(t, seen[0], seen[1])
		})
	}
}

// UpdateEvent writes what Get, DeepCopy, a change and Update write: the
// same object back, log and watch events (the old version unchanged),
// for a packed Event, one that does not pack, one the table keeps
// unpacked because it is watched, and none (not found, nothing written).
func TestUpdateEventIsGetCopyUpdate(t *testing.T) {
	at := sim.Epoch.Add(90*time.Second + 123456789*time.Nanosecond)
	later := metav1.NewTime(at.Add(time.Minute + 7*time.Nanosecond))
	change := func(ev *corev1.Event) {
		ev.Count, ev.LastTimestamp, ev.Message = 5, later, "(combined from similar events): Created pod: web-9"
	}
	cases := []struct {
		name    string
		watched bool
		edit    func(*corev1.Event)
		missing bool
	}{
		{"packed", false, func(*corev1.Event) {}, false},
		{"not packable", false, func(ev *corev1.Event) { ev.Annotations = map[string]string{} }, false},
		{"labelled", false, func(ev *corev1.Event) { ev.Labels = map[string]string{"app": "x"} }, false},
		{"watched", true, func(*corev1.Event) {}, false},
		{"missing", false, func(*corev1.Event) {}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs [2]*recLog
			var seen [2][]store.Event
			var got [2]store.Object
			var found [2]bool
			for i := range 2 {
				e := sim.NewEngine(1)
				s := store.New(e)
				logs[i] = &recLog{}
				s.SetLog(logs[i])
				if c.watched {
					s.Watch("Event", 0, func(ev store.Event) { seen[i] = append(seen[i], ev) })
				}
				e.At(time.Millisecond, "create", func() {
					ev := event("default", "web.1", at)
					c.edit(ev)
					_, err := s.Create(ev)
					require.NoError(t, err)
				})
				name := "web.1"
				if c.missing {
					name = "web.2"
				}
				e.At(time.Second, "recount", func() {
					if i == 0 {
						o, ok := s.Get("Event", "default", name)
						if found[i] = ok; ok {
							ev := o.(*corev1.Event).DeepCopy()
							change(ev)
							got[i], _ = s.Update(ev)
						}
						return
					}
					out, ok, err := s.UpdateEvent("default", name, change)
					require.NoError(t, err)
					got[i], found[i] = out, ok
				})
				e.RunUntil(2 * time.Second)
			}
			require.Equal(t, !c.missing, found[1])
			require.Equal(t, found[0], found[1])
			require.Equal(t, got[0], got[1])
			require.Equal(t, logs[0].batches, logs[1].batches)
			require.Equal(t, seen[0], seen[1])
			if c.watched {
				require.Len(t, seen[1], 2)
				old := seen[1][1].Old.(*corev1.Event)
				require.Equal(t, int32(1), old.Count, "the old version is left as it was")
				require.Equal(t, "Started container app", old.Message)
			}
		})
	}
}
