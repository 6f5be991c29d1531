package queue

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
)

func pod(name string, prio int32) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.PodSpec{Priority: &prio}}
}

// queueWithPod is a queue with the default configuration on a fresh
// engine, holding the active pod default/p.
func queueWithPod() (*sim.Engine, *Queue) {
	e := sim.NewEngine(1)
	q := New(e, DefaultConfig)
	q.Add(pod("p", 0))
	return e, q
}

func TestBackoffDuration(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		require.Equal(t, w, DefaultConfig.BackoffDuration(i+1), "attempt %d", i+1)
	}
}

func TestActiveOrder(t *testing.T) {
	e := sim.NewEngine(1)
	q := New(e, DefaultConfig)
	q.Add(pod("low-old", 0))
	e.RunUntil(time.Millisecond)
	q.Add(pod("high", 100))
	q.Add(pod("low-new", 0))
	var got []string
	for p := q.Pop(); p != nil; p = q.Pop() {
		got = append(got, p.Pod.Name)
	}
	require.Equal(t, []string{"high", "low-old", "low-new"}, got)
}

// fail pops the pod and reports it unschedulable by plugin.
func fail(q *Queue, plugin string) *QueuedPodInfo {
	p := q.Pop()
	if plugin != "" {
		p.UnschedulablePlugins = []string{plugin}
	}
	q.AddUnschedulable(p, q.SchedulingCycle())
	return p
}

func TestErrorGoesToBackoffAndFlushesOnTick(t *testing.T) {
	e, q := queueWithPod()
	e.RunUntil(300 * time.Millisecond)
	fail(q, "") // error: backoffQ, 1 s -> expires at 1.3 s
	a, b, u := q.Lens()
	require.Equal(t, [3]int{0, 1, 0}, [3]int{a, b, u})
	e.RunUntil(1999 * time.Millisecond) // ticks at 1 s (not yet expired)
	a, b, _ = q.Lens()
	require.Equal(t, [2]int{0, 1}, [2]int{a, b})
	e.RunUntil(2 * time.Second) // the 2 s tick moves it
	a, b, _ = q.Lens()
	require.Equal(t, [2]int{1, 0}, [2]int{a, b})
}

func TestUnschedulablePool(t *testing.T) {
	e, q := queueWithPod()
	fail(q, "NodeResourcesFit")
	_, _, u := q.Lens()
	require.Equal(t, 1, u)

	// An event that cannot help leaves it; one that can moves it.
	q.MoveAllToActiveOrBackoff(func(p *QueuedPodInfo) bool { return p.UnschedulablePlugins[0] == "TaintToleration" })
	_, _, u = q.Lens()
	require.Equal(t, 1, u)
	e.RunUntil(500 * time.Millisecond)
	q.MoveAllToActiveOrBackoff(nil)
	a, b, u := q.Lens()
	require.Equal(t, [3]int{0, 1, 0}, [3]int{a, b, u}, "still backing off (1 s)")
	e.RunUntil(time.Second)
	a, _, _ = q.Lens()
	require.Equal(t, 1, a)
}

func TestEventDuringCycleSendsToBackoff(t *testing.T) {
	_, q := queueWithPod()
	p := q.Pop()
	q.MoveAllToActiveOrBackoff(nil) // e.g. a node was added while scheduling
	p.UnschedulablePlugins = []string{"NodeResourcesFit"}
	q.AddUnschedulable(p, q.SchedulingCycle())
	_, b, u := q.Lens()
	require.Equal(t, [2]int{1, 0}, [2]int{b, u})
}

func TestUnschedulableFlushAfterFiveMinutes(t *testing.T) {
	e, q := queueWithPod()
	fail(q, "NodeResourcesFit") // at t=0
	e.RunUntil(5 * time.Minute) // the 5m tick: not strictly longer than 5m
	_, _, u := q.Lens()
	require.Equal(t, 1, u)
	e.RunUntil(5*time.Minute + 30*time.Second)
	a, _, u := q.Lens()
	require.Equal(t, [2]int{1, 0}, [2]int{a, u})
}

func TestDeleteAndIdle(t *testing.T) {
	e, q := queueWithPod()
	fail(q, "")
	q.Delete(pod("p", 0))
	require.False(t, q.Has("default", "p"))
	e.RunUntil(time.Minute)
	require.Equal(t, 0, e.Pending(), "no flush timers while queues are empty")
}

// TestDrainedQueueStartsAFreshMap: a queue that held a burst of pods
// replaces its map (and heap arrays) once the last one is done, and goes
// on working; a small queue keeps its map.
func TestDrainedQueueStartsAFreshMap(t *testing.T) {
	e := sim.NewEngine(1)
	q := New(e, DefaultConfig)
	for i := range drainedMapPeak {
		q.Add(pod(strconv.Itoa(i), 0))
	}
	q.Delete(pod("0", 0))
	for p := q.Pop(); p != nil; p = q.Pop() {
		require.Equal(t, drainedMapPeak, q.podsPeak, "the map is replaced only once it is empty")
		q.Done(p)
	}
	require.Empty(t, q.pods)
	require.Zero(t, q.podsPeak, "a drained burst leaves a fresh map")
	require.Nil(t, q.active.items)
	q.Add(pod("late", 0))
	require.True(t, q.Has("default", "late"))
	p := q.Pop()
	require.Equal(t, "late", p.Pod.Name)
	q.Done(p)
	require.False(t, q.Has("default", "late"))
	require.Equal(t, 1, q.podsPeak, "below the threshold the map is kept")
}

// activeQ pops in PrioritySort order (priority, then timestamp, then
// arrival) through random adds, deletions from anywhere in the heap and
// priority changes of waiting pods, as a sorted reference list does.
func TestActiveOrderMatchesSortedReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	e := sim.NewEngine(1)
	q := New(e, DefaultConfig)
	type ref struct {
		name string
		prio int32
		ts   time.Duration
		seq  int
	}
	var want []ref
	seq := 0
	popRef := func() string {
		best := 0
		for i, x := range want {
			b := want[best]
			if x.prio > b.prio || (x.prio == b.prio && (x.ts < b.ts || (x.ts == b.ts && x.seq < b.seq))) {
				best = i
			}
		}
		name := want[best].name
		want = slices.Delete(want, best, best+1)
		return name
	}
	for i := range 3000 {
		switch op := r.IntN(10); {
		case op < 5 || len(want) == 0:
			name := "p" + strconv.Itoa(i)
			prio := int32(r.IntN(3))
			q.Add(pod(name, prio))
			seq++
			want = append(want, ref{name, prio, e.Elapsed(), seq})
		case op < 7:
			j := r.IntN(len(want))
			q.Delete(pod(want[j].name, 0))
			want = slices.Delete(want, j, j+1)
		case op < 8:
			j := r.IntN(len(want))
			want[j].prio = int32(r.IntN(3))
			q.Update(pod(want[j].name, want[j].prio), false)
		default:
			p := q.Pop()
			require.Equal(t, popRef(), p.Pod.Name)
			q.Done(p)
		}
		if r.IntN(4) == 0 {
			e.RunUntil(e.Elapsed() + time.Millisecond)
		}
	}
	for len(want) > 0 {
		p := q.Pop()
		require.Equal(t, popRef(), p.Pod.Name)
		q.Done(p)
	}
	require.Nil(t, q.Pop())
}

// Done forgets the pod it is given only while that pod is the one the
// queue tracks under its name: a pod deleted in flight, or deleted and
// added again (a new QueuedPodInfo under the same key), is left as the
// queue holds it.
func TestDoneForgetsOnlyItsOwnPod(t *testing.T) {
	for _, tc := range []struct {
		name       string
		meanwhile  func(q *Queue)
		wantHas    bool
		wantActive int
	}{
		{"bound", func(*Queue) {}, false, 0},
		{"deleted in flight", func(q *Queue) { q.Delete(pod("p", 0)) }, false, 0},
		{"deleted and added again", func(q *Queue) { q.Delete(pod("p", 0)); q.Add(pod("p", 0)) }, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := New(sim.NewEngine(1), DefaultConfig)
			q.Add(pod("p", 0))
			p := q.Pop()
			tc.meanwhile(q)
			q.Done(p)
			require.Equal(t, tc.wantHas, q.Has("default", "p"))
			active, _, _ := q.Lens()
			require.Equal(t, tc.wantActive, active)
			require.Equal(t, nowhere, p.where)
		})
	}
}
