package sim

import (
	"bytes"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEngineOrdersByTimeThenSequence(t *testing.T) {
	e := NewEngine(1)
	var got []string
	add := func(d time.Duration, s string) { e.After(d, s, func() { got = append(got, s) }) }
	add(2*time.Second, "c")
	add(time.Second, "a")
	add(time.Second, "b")
	add(0, "now")
	e.RunUntil(time.Minute)
	require.Equal(t, []string{"now", "a", "b", "c"}, got)
	require.Equal(t, time.Minute, e.Elapsed())
	require.Equal(t, Epoch.Add(time.Minute), e.Now())
}

func TestEngineCancelAndPastClamp(t *testing.T) {
	e := NewEngine(1)
	fired := 0
	tm := e.After(time.Second, "x", func() { fired++ })
	e.Cancel(tm)
	e.Cancel(tm) // twice is a no-op
	e.RunUntil(2 * time.Second)
	require.Zero(t, fired)
	e.At(0, "past", func() { fired++ })
	require.True(t, e.Step())
	require.Equal(t, 2*time.Second, e.Elapsed(), "an event in the past runs now, not back in time")
	require.False(t, e.Step())
}

func TestInstantHookRunsWhenTimeAdvances(t *testing.T) {
	e := NewEngine(1)
	var log []string
	e.OnInstantEnd(func() { log = append(log, "end") })
	e.After(time.Second, "a", func() { log = append(log, "a") })
	e.After(time.Second, "b", func() { log = append(log, "b") })
	e.After(2*time.Second, "c", func() { log = append(log, "c") })
	e.RunUntil(time.Hour)
	require.Equal(t, []string{"a", "b", "end", "c", "end"}, log)
}

func TestStreamsIndependentAndSeeded(t *testing.T) {
	a, b := NewStreams(7), NewStreams(7)
	x := a.Get("scheduler").Uint64()
	b.Get("other").Uint64() // drawing from another stream does not shift this one
	require.Equal(t, x, b.Get("scheduler").Uint64())
	require.NotEqual(t, x, NewStreams(8).Get("scheduler").Uint64())
}

func TestTraceCanonicalJSONAndHash(t *testing.T) {
	tr := NewTrace()
	var buf bytes.Buffer
	tr.SetWriter(&buf)
	tr.Add(Record{T: 1500 * time.Millisecond, Component: "scheduler", Verb: "bind", Kind: "Pod",
		Namespace: "default", Name: "web-1", RV: 42, Summary: "node=<a>\"q\"\n"})
	require.Equal(t, `{"t":"1.5s","c":"scheduler","v":"bind","k":"Pod","o":"default/web-1","rv":42,"s":"node=\u003ca\u003e\"q\"\n"}`+"\n", buf.String())
	h1 := tr.Hash()
	tr2 := NewTrace()
	tr2.Add(tr.kept0(t))
	require.Equal(t, h1, tr2.Hash())
	tr2.Add(Record{Name: "x"})
	require.NotEqual(t, h1, tr2.Hash())
	require.EqualValues(t, 2, tr2.Len())
}

// kept0 rebuilds the first record for the hash comparison.
func (tr *Trace) kept0(t *testing.T) Record {
	t.Helper()
	return Record{T: 1500 * time.Millisecond, Component: "scheduler", Verb: "bind", Kind: "Pod",
		Namespace: "default", Name: "web-1", RV: 42, Summary: "node=<a>\"q\"\n"}
}

func TestAtEndRunsAfterEveryOrdinaryEventOfItsInstant(t *testing.T) {
	e := NewEngine(1)
	var got []string
	e.AtEnd(time.Second, "input", func() { got = append(got, "input") })
	e.At(time.Second, "a", func() {
		got = append(got, "a")
		e.After(0, "b", func() { got = append(got, "b") }) // scheduled later, still first
	})
	e.At(2*time.Second, "c", func() { got = append(got, "c") })
	e.RunUntil(time.Minute)
	require.Equal(t, []string{"a", "b", "input", "c"}, got)
}

// TestLivelockStopsTheRunAndNamesTheLoop: a component that keeps
// rescheduling itself at the current instant cannot hang a run; the engine
// stops with an error naming the event, the component and the key.
func TestLivelockStopsTheRunAndNamesTheLoop(t *testing.T) {
	e := NewEngine(1)
	e.MaxEventsPerInstant = 1000
	var ticks int
	e.After(time.Second, "clock", func() { ticks++ })
	var spin func()
	spin = func() {
		e.Note("deployment-controller", "default/web")
		e.After(0, "workqueue", spin)
	}
	e.At(500*time.Millisecond, "workqueue", spin)
	e.RunUntil(time.Hour)
	var ll *LivelockError
	require.ErrorAs(t, e.Err(), &ll)
	require.Equal(t, 500*time.Millisecond, ll.At)
	require.Equal(t, "workqueue", ll.Event)
	require.Equal(t, "deployment-controller", ll.Component)
	require.Equal(t, "default/web", ll.Key)
	require.InDelta(t, 1.0, ll.Share, 0.001)
	require.Equal(t, uint64(1000+livelockSample), ll.Events)
	require.Contains(t, ll.Error(), `livelock at virtual time 500ms`)
	require.Contains(t, ll.Error(), `deployment-controller (event workqueue) repeats on key "default/web"`)
	require.Equal(t, 500*time.Millisecond, e.Elapsed(), "the clock stays where the run stopped")
	require.Zero(t, ticks)
	require.False(t, e.Step(), "a stopped engine runs nothing more")
}

// TestBusyInstantBelowTheBoundRuns: many events at one instant that do end
// are not a livelock.
func TestBusyInstantBelowTheBoundRuns(t *testing.T) {
	e := NewEngine(1)
	e.MaxEventsPerInstant = 100
	n := 0
	for i := 0; i < 5000; i++ { // past the bound, but finite
		e.At(time.Second, "burst", func() { n++ })
	}
	e.RunUntil(time.Minute)
	require.NoError(t, e.Err())
	require.Equal(t, 5000, n)
	require.Equal(t, uint64(5000), e.BusiestInstant())
}

// TestInterruptFromAnotherGoroutine: Interrupt stops a run that would
// otherwise never end, between two events.
func TestInterruptFromAnotherGoroutine(t *testing.T) {
	e := NewEngine(1)
	var tick func()
	tick = func() { e.After(time.Millisecond, "tick", tick) }
	e.After(0, "tick", tick)
	done := make(chan struct{})
	go func() {
		e.RunUntil(1 << 62) // centuries of virtual time
		close(done)
	}()
	e.Interrupt()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("RunUntil did not return after Interrupt")
	}
	require.ErrorIs(t, e.Err(), ErrInterrupted)
}

// TestQueueOrderWithCancels checks the lazily cancelling queue against a
// plain model: after random schedules, reschedules, AtEnd timers and
// cancellations (enough to sweep the stale slots several times), the
// timers fire in (time, late, scheduling order), each pending one once,
// and Pending counts only pending ones. A third of the timers wait in
// one lane and a third in another (AtIn), scheduled in random time order
// (most are inserted before the lane's last): a lane changes where a
// timer waits, never when it runs.
func TestQueueOrderWithCancels(t *testing.T) {
	e := NewEngine(1)
	r := e.Rand("test")
	lanes := []*Lane{nil, e.NewLane(), e.NewLane()}
	type want struct {
		at   time.Duration
		late bool
		seq  int
	}
	var fired []int
	model := map[int]want{}
	timers := map[int]*Timer{}
	seq := 0
	schedule := func(id int, late bool) {
		at := time.Duration(r.IntN(50)) * time.Millisecond
		seq++
		model[id] = want{at, late, seq}
		fn := func() { fired = append(fired, id) }
		switch {
		case late:
			e.Cancel(timers[id])
			timers[id] = e.AtEnd(at, "t", fn)
		case timers[id] != nil && r.IntN(2) == 0:
			e.Reschedule(timers[id], at)
		case lanes[id%3] != nil:
			e.Cancel(timers[id])
			timers[id] = e.AtIn(lanes[id%3], at, "t", fn)
		default:
			e.Cancel(timers[id])
			timers[id] = e.At(at, "t", fn)
		}
	}
	for i := range 20_000 {
		id := r.IntN(3000)
		switch r.IntN(4) {
		case 0:
			e.Cancel(timers[id])
			delete(model, id)
		case 1:
			schedule(id, true)
		default:
			schedule(id, false)
		}
		if i%997 == 0 {
			e.Cancel(nil)
		}
	}
	require.Equal(t, len(model), e.Pending())
	var order []int
	for id := range model {
		order = append(order, id)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := model[order[i]], model[order[j]]
		if a.at != b.at {
			return a.at < b.at
		}
		if a.late != b.late {
			return !a.late
		}
		return a.seq < b.seq
	})
	e.RunUntil(time.Second)
	require.Equal(t, order, fired)
	require.Zero(t, e.Pending())
}

// TestQueueSweepOfOnlyStaleSlots: the cancel that makes the sweep worth
// doing may be of the last live timer (Reschedule cancels before it
// pushes), leaving nothing to rebuild. The queue must come out empty and
// take the rescheduled timer, which fires once.
func TestQueueSweepOfOnlyStaleSlots(t *testing.T) {
	e := NewEngine(1)
	fired := 0
	beat := e.At(time.Millisecond, "beat", func() { fired++ })
	far := make([]*Timer, minStaleSweep-1)
	for i := range far {
		far[i] = e.At(time.Hour, "far", func() { t.Fatal("a cancelled timer fired") })
	}
	for _, tm := range far {
		e.Cancel(tm) // behind beat at the top: they stay as stale slots
	}
	require.Equal(t, 1, e.Pending())
	e.Reschedule(beat, 2*time.Millisecond) // the 1,024th stale slot, none live
	require.Equal(t, 1, e.Pending())
	e.RunUntil(2 * time.Hour)
	require.Equal(t, 1, fired)
	require.Zero(t, e.Pending())
}

// The engine finds the next event once per step; an instant hook that
// changes the queue as time is about to advance (schedules work at the
// instant ending, cancels or moves the next event, in the heap or in a
// lane) must make it look again, through Step, RunUntil and RunWhile.
func TestInstantHookChangingTheQueue(t *testing.T) {
	for _, drive := range []string{"Step", "RunUntil", "RunWhile"} {
		t.Run(drive, func(t *testing.T) {
			e := NewEngine(1)
			l := e.NewLane()
			var log []string
			add := func(s string) func() { return func() { log = append(log, s) } }
			var b, c *Timer
			e.After(time.Second, "a", add("a"))
			b = e.AtIn(l, 2*time.Second, "b", add("b"))
			c = e.After(3*time.Second, "c", add("c"))
			e.After(4*time.Second, "d", add("d"))
			ends := 0
			e.OnInstantEnd(func() {
				ends++
				switch ends {
				case 1: // after a: work at a's instant, and b moved past c
					e.At(e.Elapsed(), "now", add("now"))
					e.Reschedule(b, 3500*time.Millisecond)
				case 3: // after c: d cancelled, e in a lane before it
					e.Cancel(c) // fired: a no-op
					e.AtIn(l, 3600*time.Millisecond, "e", add("e"))
				}
			})
			switch drive {
			case "Step":
				for e.Step() {
				}
			case "RunUntil":
				e.RunUntil(time.Hour)
			case "RunWhile":
				e.RunWhile(time.Hour, func() bool { return true })
			}
			require.Equal(t, []string{"a", "now", "c", "b", "e", "d"}, log)
		})
	}
}

// Recurring timers moved into a named lane at their first firing
// (RescheduleIn) fire exactly when those rescheduled in the heap do:
// beside other timers at colliding instants, with cancels and restarts,
// the two engines run the same events in the same order. A name gives
// one lane, whichever component asks.
func TestRescheduleInRunsAsReschedule(t *testing.T) {
	run := func(inLane bool) []int {
		e := NewEngine(1)
		r := e.Rand("test")
		var fired []int
		const period = 10 * time.Millisecond
		ticks := make([]*Timer, 200)
		var tick func(id int) func()
		tick = func(id int) func() {
			return func() {
				fired = append(fired, id)
				switch {
				case r.IntN(50) == 0: // stops; another tick starts at a new phase
					next := len(ticks)
					ticks = append(ticks, e.At(e.Elapsed()+time.Duration(r.IntN(int(period))), "tick", tick(next)))
				case inLane:
					e.RescheduleIn(ticks[id], e.NamedLane("ticks"), e.Elapsed()+period)
				default:
					e.Reschedule(ticks[id], e.Elapsed()+period)
				}
			}
		}
		for id := range ticks {
			ticks[id] = e.At(time.Duration(r.IntN(int(period)))/time.Millisecond*time.Millisecond, "tick", tick(id))
		}
		for i := range 2000 {
			id := -1 - i
			e.At(time.Duration(r.IntN(1000))*time.Millisecond, "other", func() {
				fired = append(fired, id)
				if r.IntN(3) == 0 {
					e.Cancel(ticks[r.IntN(len(ticks))])
				}
			})
		}
		e.RunUntil(time.Second)
		if inLane {
			require.Same(t, e.NamedLane("ticks"), e.NamedLane("ticks"))
			require.Equal(t, 1, e.Lanes())
		}
		return fired
	}
	heap, lane := run(false), run(true)
	require.Greater(t, len(heap), 5000)
	require.Equal(t, heap, lane)
}
