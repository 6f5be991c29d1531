package sim

import (
	"slices"
	"time"
)

// Key is the place an event takes in the engine's order: the time it is
// due and the sequence number a timer scheduled at the moment of Reserve
// would have taken, with the trace record current then (its cause).
type Key struct {
	At    time.Duration
	seq   uint64
	cause int64
}

// Less reports whether the event of k runs before the event of b.
func (k Key) Less(b Key) bool {
	if k.At != b.At {
		return k.At < b.At
	}
	return k.seq < b.seq
}

// Reserve takes the key a timer scheduled now at t (clamped to now) would
// take, and queues nothing: a component that runs many events through
// one batch slot (NewBatch) reserves each event's key at the moment it
// would have scheduled the event's own timer, so that every other timer
// takes exactly the sequence number it would have.
func (e *Engine) Reserve(t time.Duration) Key {
	if t < e.now {
		t = e.now
	}
	e.seq++
	return Key{At: t, seq: e.seq, cause: e.trace.CurrentCause()}
}

// NewBatch returns a batch slot in lane l (nil: the heap), not queued.
// A batch stands for many events with reserved keys (a group of watches
// with one delivery latency, each delivery an event): the component
// keeps its slot queued at the least key of the events it holds (Hold),
// and when the slot is due the engine calls fire without counting an
// event. fire runs the events in key order, each through RunEvent while
// Runs says no other event comes before it, and holds the slot again at
// the first one left. So every event runs exactly when a timer of its
// own would have, for one engine step where each took one.
func (e *Engine) NewBatch(l *Lane, fire func()) *Timer {
	return &Timer{name: "batch", fn: fire, lane: l, batch: true}
}

// Hold queues the batch slot tm at k unless it is queued at or before
// k. The slot must be queued only at keys of events not run yet. Moved
// to an earlier key, the slot leaves a stale one behind (the queue drops
// it lazily); held at that key again while it is still queued (a member
// armed with a shorter latency ran first), the stale slot is live again,
// and it is the one: a second would run the batch twice at one key and
// leave the queue's count of stale slots wrong.
func (e *Engine) Hold(tm *Timer, k Key) {
	if tm.queued {
		if !k.Less(Key{At: tm.at, seq: tm.seq}) {
			return
		}
		if tm.left == nil {
			tm.left = new([]uint64)
		}
		*tm.left = append(*tm.left, tm.seq)
		e.Cancel(tm)
	}
	e.queue.mods++
	tm.at, tm.seq, tm.queued = k.At, k.seq, true
	if tm.left != nil {
		if i := slices.Index(*tm.left, k.seq); i >= 0 {
			*tm.left = slices.Delete(*tm.left, i, i+1)
			if tm.lane != nil {
				e.queue.inLanes++
			} else {
				e.queue.stale--
			}
			return
		}
	}
	if tm.lane != nil {
		e.queue.pushLane(tm.lane, queued{at: k.At, key: k.seq, tm: tm})
		return
	}
	e.queue.push(queued{at: k.At, key: k.seq, tm: tm})
}

// Release takes the batch slot tm out of the queue (its last event went
// away).
func (e *Engine) Release(tm *Timer) { e.Cancel(tm) }

// Runs reports whether the event of k is the one to run next, inside a
// batch's fire: it is due now, no queued event comes before it, the
// engine may go on (not stopped, not interrupted) and, under StepOne, the
// slot has not run an event yet.
func (e *Engine) Runs(k Key) bool {
	if k.At != e.now || e.err != nil || e.interrupted.Load() || (e.one && e.slotEvents > 0) {
		return false
	}
	_, x := e.queue.next()
	return x == nil || !x.less(queued{at: k.At, key: k.seq})
}

// RunEvent runs fn as the event of k (see Runs), exactly as a timer
// scheduled at its Reserve would have run: caused by the trace record
// current then, counted towards the instant's bound, checked by
// AfterStep. It returns false if the engine stopped.
func (e *Engine) RunEvent(k Key, name string, fn func()) bool {
	return e.run(k.cause, name, fn)
}
