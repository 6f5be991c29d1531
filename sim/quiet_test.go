package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A quiet timer's events (Quiet) are those of a timer whose function
// does nothing but RescheduleIn itself a period later: beside other
// timers at colliding instants, with wakes, cancels and restarts, the
// engine runs the same events in the same order, ends the same instants,
// counts and checks the same events and gives every event scheduled the
// same cause, while the function runs only for the ticks outside the
// quiet spans.
func TestQuietTimerRunsAsItsNoOpTicks(t *testing.T) {
	type result struct {
		log      []string
		instants []time.Duration
		events   uint64
		checked  int
		calls    int
	}
	run := func(useQuiet bool) result {
		e := NewEngine(1)
		var res result
		e.OnInstantEnd(func() { res.instants = append(res.instants, e.Elapsed()) })
		e.AfterStep = func() { res.checked++ }
		const period = 10 * time.Millisecond
		lane := e.NamedLane("ticks")
		ticks := make([]*Timer, 50)
		// quietUntil is each tick's own record of its quiet span: a tick
		// inside it does nothing but queue itself again.
		quietUntil := make([]time.Duration, len(ticks))
		for id := range ticks {
			ticks[id] = e.At(time.Duration(id%10)*time.Millisecond, "tick", func() {
				res.calls++
				now, cause := e.Elapsed(), e.Trace().CurrentCause()
				e.RescheduleIn(ticks[id], lane, now+period)
				if now < quietUntil[id] {
					return
				}
				e.Trace().Add(Record{T: now, Component: "tick", Name: fmt.Sprint(id)})
				e.RescheduleIn(ticks[id], lane, now+period) // caused by the record
				res.log = append(res.log, fmt.Sprintf("%v tick %d of %d", now, id, cause))
				if r := e.Keyed("tick", uint64(id)<<32|uint64(now/time.Millisecond)); r.IntN(3) > 0 {
					quietUntil[id] = now + time.Duration(1+r.IntN(300))*time.Millisecond
					if useQuiet {
						e.Quiet(ticks[id], period, quietUntil[id])
					}
				}
			})
		}
		r := e.Rand("other")
		for i := range 3000 {
			e.At(time.Duration(r.IntN(1000))*time.Millisecond, "other", func() {
				res.log = append(res.log, fmt.Sprintf("%v other %d", e.Elapsed(), i))
				id := r.IntN(len(ticks))
				switch r.IntN(8) {
				case 0: // something changed for the tick
					quietUntil[id] = 0
					e.Wake(ticks[id])
				case 1: // stopped, and started again in a while
					e.Cancel(ticks[id])
					e.At(e.Elapsed()+time.Duration(r.IntN(30))*time.Millisecond, "restart", func() {
						e.RescheduleIn(ticks[id], lane, e.Elapsed()+period)
					})
				case 2: // an event at a tick's instant, scheduled later than it
					cause := e.Trace().CurrentCause()
					e.At(ticks[id].At(), "echo", func() {
						res.log = append(res.log, fmt.Sprintf("%v echo %d of %d", e.Elapsed(), id, cause))
					})
				}
			})
		}
		e.RunUntil(time.Second)
		res.events = e.Events()
		return res
	}
	ref, quiet := run(false), run(true)
	require.Greater(t, len(ref.log), 4000)
	require.Less(t, quiet.calls, ref.calls*2/3, "the quiet ticks ran the function")
	ref.calls, quiet.calls = 0, 0
	require.Equal(t, ref, quiet)
}
