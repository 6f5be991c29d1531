package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
)

// delivered is what a watcher was told, as "time type name rv".
type delivered []string

func (d *delivered) handler(e *sim.Engine) Handler {
	return func(ev Event) {
		*d = append(*d, fmt.Sprint(e.Elapsed(), " ", ev.Type, " ", ev.Object.GetName(), " ", ev.Rev))
	}
}

// TestWatchQueuesShareRecords: watchers with different latencies and
// filters, fed a burst at one instant (as when the replica set
// controllers create every pod at once) and then changes spread over
// time, including changes a handler makes while its watcher delivers,
// each get exactly their events, in revision order, latency after each
// change; a watcher stopped by its own handler gets nothing more; and no
// queue array keeps a delivered record reachable, past its length or
// before its head.
func TestWatchQueuesShareRecords(t *testing.T) {
	e := sim.NewEngine(1)
	s := New(e)
	var fast, slow, filtered, onNode, stopped delivered
	s.Watch("Pod", 2*time.Millisecond, fast.handler(e))
	s.Watch("Pod", 10*time.Millisecond, slow.handler(e))
	s.WatchFiltered("Pod", 3*time.Millisecond, func(ev Event) bool { return ev.Type != Modified }, filtered.handler(e))
	s.WatchIndex("Pod", NodeNameIndex, "n1", time.Millisecond, onNode.handler(e))
	var stop func()
	stop = s.Watch("Pod", 2*time.Millisecond, func(ev Event) {
		stopped.handler(e)(ev)
		if len(stopped) == 3 {
			stop()
		}
	})
	// The reaction a handler causes: each delivery of pod "p7" writes a
	// pod "echo", queued behind while the watchers deliver.
	echoes := 0
	s.Watch("Pod", 4*time.Millisecond, func(ev Event) {
		if ev.Object.GetName() == "p7" && echoes < 2 {
			echoes++
			_, err := s.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: fmt.Sprint("echo", echoes)}})
			require.NoError(t, err)
		}
	})
	const burst = 3000
	e.At(time.Second, "burst", func() {
		for i := range burst {
			node := "n2"
			if i%2 == 0 {
				node = "n1"
			}
			_, err := s.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: fmt.Sprint("p", i)},
				Spec: corev1.PodSpec{NodeName: node}})
			require.NoError(t, err)
		}
	})
	for i := range 20 { // spread: one change every 1.5 ms, some while others wait
		e.At(time.Second+time.Duration(i)*1500*time.Microsecond+time.Microsecond, "spread", func() {
			o, _ := s.Get("Pod", "default", fmt.Sprint("p", i))
			_, err := s.Update(o.(*corev1.Pod).DeepCopy())
			require.NoError(t, err)
			if i%5 == 0 {
				_, err = s.Delete("Pod", "default", fmt.Sprint("p", burst-1-i))
				require.NoError(t, err)
			}
		})
	}
	e.RunUntil(time.Minute)

	// What each watcher must have been told, built from the changes.
	var changes []Event
	var times []time.Duration
	rev := int64(0)
	add := func(at time.Duration, typ EventType, name, node string) {
		rev++
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: node}}
		changes = append(changes, Event{Type: typ, Object: p, Rev: rev})
		times = append(times, at)
	}
	node := func(i int) string {
		if i%2 == 0 {
			return "n1"
		}
		return "n2"
	}
	for i := range burst {
		add(time.Second, Added, fmt.Sprint("p", i), node(i))
	}
	echoAt := []time.Duration{}
	for i := range 20 {
		at := time.Second + time.Duration(i)*1500*time.Microsecond + time.Microsecond
		add(at, Modified, fmt.Sprint("p", i), node(i))
		if i%5 == 0 {
			add(at, Deleted, fmt.Sprint("p", burst-1-i), node(burst-1-i))
		}
		if i == 7 {
			// p7 is delivered to the echoing watcher 4 ms after its
			// creation and 4 ms after its update.
			echoAt = append(echoAt, time.Second+4*time.Millisecond, at+4*time.Millisecond)
		}
	}
	// The echoes are written at echoAt; insert them in revision order.
	type ch struct {
		at time.Duration
		ev Event
	}
	var all []ch
	for i := range changes {
		all = append(all, ch{times[i], changes[i]})
	}
	for n, at := range echoAt {
		all = append(all, ch{at, Event{Type: Added, Object: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("echo", n+1)}}}})
	}
	// Stable by time: within an instant the order above is the write order
	// (the echoes are the only writes at their instants).
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].at < all[j-1].at; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	want := func(latency time.Duration, keep func(Event) bool) (d delivered) {
		for i, c := range all {
			if keep == nil || keep(c.ev) {
				d = append(d, fmt.Sprint(c.at+latency, " ", c.ev.Type, " ", c.ev.Object.GetName(), " ", i+1))
			}
		}
		return d
	}
	require.Equal(t, want(2*time.Millisecond, nil), fast)
	require.Equal(t, want(10*time.Millisecond, nil), slow)
	require.Equal(t, want(3*time.Millisecond, func(ev Event) bool { return ev.Type != Modified }), filtered)
	require.Equal(t, want(time.Millisecond, func(ev Event) bool { return ev.Object.(*corev1.Pod).Spec.NodeName == "n1" }), onNode)
	require.Equal(t, want(2*time.Millisecond, nil)[:3], stopped)
	require.Equal(t, 2, echoes)

	for _, t0 := range s.byKind {
		for _, w := range t0.watchers {
			requireNoStaleRecord(t, w)
		}
	}
	for _, byVal := range s.tables["Pod"].watchIdx {
		for _, ws := range byVal {
			for _, w := range ws {
				requireNoStaleRecord(t, w)
			}
		}
	}
}

func requireNoStaleRecord(t *testing.T, w *watcher) {
	t.Helper()
	require.Nil(t, w.front(), "everything was delivered")
	require.Equal(t, len(w.queue), w.head, "everything was delivered")
	for i, q := range w.queue[:cap(w.queue)] {
		require.Nil(t, q, "slot %d of a queue array still holds a delivered record", i)
	}
	require.LessOrEqual(t, cap(w.queue), maxQueueKept, "a burst-sized array is let go")
}

// TestWatchQueueCompacts: a watcher that always has events waiting (a
// change every millisecond, delivered 5 ms later) keeps a queue of about
// five, not one growing with every change ever queued.
func TestWatchQueueCompacts(t *testing.T) {
	e := sim.NewEngine(1)
	s := New(e)
	var got delivered
	// (Filtered: a watch of every change follows the feed, and has no queue.)
	s.WatchFiltered("Pod", 5*time.Millisecond, func(Event) bool { return true }, got.handler(e))
	w := s.tables["Pod"].watchers[0]
	require.False(t, w.follows)
	maxCap := 0
	for i := range 10000 {
		e.At(time.Duration(i)*time.Millisecond, "write", func() {
			_, err := s.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: fmt.Sprint("p", i)}})
			require.NoError(t, err)
			maxCap = max(maxCap, cap(w.queue))
			for _, q := range w.queue[:w.head] {
				require.Nil(t, q, "a delivered slot keeps its record")
			}
		})
	}
	e.RunUntil(time.Minute)
	require.Len(t, got, 10000)
	require.LessOrEqual(t, maxCap, 16)
}

// TestWatchLanesKeepOrder: the deliveries of watches waiting in engine
// lanes (one per latency, up to maxLanes; the rest in the engine's heap)
// run in exactly the order they run when every watch waits in the heap:
// random writes at random times, filtered watches of six latencies,
// handlers that write in turn and timers of other components between
// them.
func TestWatchLanesKeepOrder(t *testing.T) {
	run := func(lanes bool) []string {
		e := sim.NewEngine(1)
		s := New(e)
		if !lanes { // every lane taken by latencies no watch has
			s.lanes = map[time.Duration]*sim.Lane{}
			for i := range maxLanes {
				s.lanes[time.Duration(i+1)*time.Hour] = e.NewLane()
			}
		}
		r := e.Rand("test")
		var got []string
		writes := 0
		write := func() {
			writes++
			name := fmt.Sprint("p", r.IntN(40))
			if o, ok := s.Get("Pod", "default", name); ok {
				p := o.(*corev1.Pod).DeepCopy()
				p.Labels = map[string]string{"n": fmt.Sprint(writes)}
				_, err := s.Update(p)
				require.NoError(t, err)
				return
			}
			_, err := s.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}})
			require.NoError(t, err)
		}
		for w := range 12 {
			latency := time.Duration(1+w%6) * time.Millisecond
			// Watches of one latency keep different events, so that a
			// delivery is rescheduled before ones queued in the meantime.
			keep := func(ev Event) bool { return (ev.Rev+int64(w/6))%3 != 0 }
			s.WatchFiltered("Pod", latency, keep, func(ev Event) {
				got = append(got, fmt.Sprint(e.Elapsed(), " w", w, " ", ev.Rev))
				if r.IntN(40) == 0 { // 12 watches: fewer than one write per write
					write()
				}
				if r.IntN(8) == 0 {
					e.After(time.Duration(r.IntN(3))*time.Millisecond, "other", func() { got = append(got, fmt.Sprint(e.Elapsed(), " other")) })
				}
			})
		}
		for range 400 {
			e.At(time.Duration(r.IntN(200))*time.Millisecond/4, "write", write)
		}
		e.RunUntil(time.Second)
		return got
	}
	withLanes := run(true)
	require.Greater(t, len(withLanes), 3000)
	require.Equal(t, run(false), withLanes)
}

// TestEventsCarryTheObjectsSlot: every event of an object, from Added to
// Deleted (a lease renewal's too), carries the slot the object holds in
// the store, and live objects hold different slots; a deleted object's
// slot goes to a later object.
func TestEventsCarryTheObjectsSlot(t *testing.T) {
	e := sim.NewEngine(1)
	s := New(e)
	slots := map[string][]int32{} // by "kind/name", one per event
	for _, kind := range []string{"Pod", "Lease"} {
		s.Watch(kind, 0, func(ev Event) {
			slots[kind+"/"+ev.Object.GetName()] = append(slots[kind+"/"+ev.Object.GetName()], ev.Slot)
		})
	}
	pod := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	}
	for _, name := range []string{"a", "b"} {
		_, err := s.Create(pod(name))
		require.NoError(t, err)
	}
	o, ok := s.Get("Pod", "default", "a")
	require.True(t, ok)
	p := o.(*corev1.Pod).DeepCopy()
	p.Labels = map[string]string{"x": "y"}
	_, err := s.Update(p)
	require.NoError(t, err)
	_, err = s.Create(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-node-lease", Name: "n1"}})
	require.NoError(t, err)
	ref, _, ok := s.RefOf(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-node-lease", Name: "n1"}})
	require.True(t, ok)
	_, _, err = s.RenewLease(ref, metav1.NewMicroTime(e.Now()))
	require.NoError(t, err)
	_, err = s.Delete("Pod", "default", "a")
	require.NoError(t, err)
	_, err = s.Create(pod("c"))
	require.NoError(t, err)

	a, b, c, l := slots["Pod/a"], slots["Pod/b"], slots["Pod/c"], slots["Lease/n1"]
	require.Len(t, a, 3, "added, modified, deleted")
	require.Equal(t, []int32{a[0], a[0]}, a[1:], "one slot from Added to Deleted")
	require.Len(t, l, 2, "created and renewed")
	require.Equal(t, l[0], l[1])
	require.NotContains(t, []int32{b[0], l[0]}, a[0], "live objects hold different slots")
	require.NotEqual(t, b[0], l[0])
	require.Equal(t, a[0], c[0], "the deleted pod's slot goes to the next object")
}
