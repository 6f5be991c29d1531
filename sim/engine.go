// Package sim is the deterministic discrete-event engine every simulated
// component runs on: a virtual clock, an event queue ordered by
// (time, sequence), seeded random streams and the trace of state changes.
//
// Nothing in this package (or any package under sim/) reads the wall clock,
// starts goroutines, uses the global random source or ranges over a map
// without sorting: the same scenario and seed give the same trace, byte for
// byte, on every machine.
package sim

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
	"time"
)

// Epoch is virtual time zero unless the scenario names its own start
// (SetStart). Every timestamp the simulation writes into an object
// (creationTimestamp, lastTransitionTime, ...) is the start plus the
// virtual time elapsed, so traces do not depend on when a run happens.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Engine owns virtual time and the queue of pending events. It is not safe
// for concurrent use: one goroutine drives it (the live session wraps it for
// interactive use).
type Engine struct {
	start   time.Time // virtual time zero as a timestamp
	now     time.Duration
	seq     uint64
	queue   eventQueue
	streams *Streams
	trace   *Trace
	steps   uint64           // queue slots run (a batch's slot once, however many events it runs)
	events  uint64           // events run, each of a batch's counted
	named   map[string]*Lane // the lanes made by name (NamedLane)
	busy    bool             // events ran since the last instant end
	// one: StepOne is running, so a batch's slot runs one event and is
	// held again at the next (Runs); slotEvents counts the events run
	// since the running slot left the queue.
	one        bool
	slotEvents uint64
	// requeued is the quiet timer whose event is running (Quiet), and
	// requeue the event's function, requeueQuiet, made once.
	requeued *Timer
	requeue  func()

	// AfterStep, if set, runs after every event; tests use it to check
	// invariants, the runner to evaluate "always" expectations.
	AfterStep func()
	// instantHooks run whenever virtual time is about to advance past an
	// instant in which events ran (e.g. to commit the instant's writes as
	// one batch).
	instantHooks []func()

	// MaxEventsPerInstant bounds the events that may run at one virtual
	// instant. Virtual time only moves when a component lets it, so a
	// component that keeps rescheduling itself "now" would spin forever;
	// past the bound the run stops with a *LivelockError naming it. Zero
	// means DefaultMaxEventsPerInstant.
	MaxEventsPerInstant uint64
	instantAt           time.Duration
	instantEvents       uint64
	busiestInstant      uint64
	note                [2]string // component and key the running event said it works on
	diag                map[[3]string]uint64
	err                 error
	interrupted         atomic.Bool
}

// DefaultMaxEventsPerInstant is far above what any legitimate instant
// needs (creating a 10,000-node cluster runs well under 100,000 events at
// one instant) and low enough that a livelock is reported within seconds.
const DefaultMaxEventsPerInstant = 200_000

// livelockSample is how many events past the bound are watched to find
// the one that repeats.
const livelockSample = 10_000

// ErrInterrupted is Err after Interrupt.
var ErrInterrupted = errors.New("sim: interrupted")

// LivelockError reports a run that stopped itself: virtual time could not
// advance because events kept being scheduled at the same instant.
type LivelockError struct {
	At     time.Duration // the virtual instant that never ended
	Events uint64        // events run at that instant
	// Event, Component and Key describe the most frequent event among the
	// last ones: the engine timer's name and what the component said it
	// was working on (a controller and its work-queue key).
	Event, Component, Key string
	Share                 float64 // that event's share of the sample
}

func (e *LivelockError) Error() string {
	who := e.Event
	if e.Component != "" && e.Component != e.Event {
		who = e.Component + " (event " + e.Event + ")"
	}
	key := ""
	if e.Key != "" {
		key = fmt.Sprintf(" on key %q", e.Key)
	}
	return fmt.Sprintf("simulation stopped itself: livelock at virtual time %v: %d events ran without time advancing; "+
		"%s repeats%s (%.0f%% of the last %d events). This is a bug in the simulated component; "+
		"please report it with the scenario and seed (raise the bound with --max-events-per-instant if the instant is legitimately huge)",
		e.At, e.Events, who, key, e.Share*100, livelockSample)
}

// Timer is a scheduled event. Cancel removes it from the queue.
type Timer struct {
	at  time.Duration
	seq uint64 // the key of its slot in the queue, while queued
	// quiet, while at is before it, makes the timer's event the no-op
	// Quiet declared. It and the flags are read with at and seq, so they
	// are kept beside them.
	quiet  time.Duration
	queued bool // pending: not fired nor cancelled
	batch  bool // a Batch's slot: fn runs its events itself (RunEvent)
	name   string
	fn     func()
	cause  int64 // the trace record current when it was scheduled
	lane   *Lane // the lane it is queued in, nil for the heap (see Lane)
	// left is a batch slot's keys that Hold moved it off (to an earlier
	// one) whose stale slots are still queued: held there again, such a
	// slot is live again, and must not be queued twice.
	left   *[]uint64
	period time.Duration // how much later a quiet event queues the timer again
}

// At returns the virtual time the timer fires at.
func (t *Timer) At() time.Duration { return t.at }

// Name is the label the timer was scheduled with (for debugging).
func (t *Timer) Name() string { return t.name }

// NewEngine returns an engine at virtual time zero whose random streams
// derive from seed.
func NewEngine(seed uint64) *Engine {
	e := &Engine{start: Epoch, streams: NewStreams(seed), trace: NewTrace()}
	e.requeue = e.requeueQuiet
	return e
}

// SetStart makes t virtual time zero (instead of Epoch). It must be
// called before anything reads the clock: a served session starts at the
// wall-clock time it began, recorded in the scenario so a replay starts
// there too.
func (e *Engine) SetStart(t time.Time) { e.start = t.UTC() }

// Start is virtual time zero as a timestamp.
func (e *Engine) Start() time.Time { return e.start }

// Now is the current virtual time as a wall-clock-like timestamp.
func (e *Engine) Now() time.Time { return e.start.Add(e.now) }

// Elapsed is the virtual time since the start of the run.
func (e *Engine) Elapsed() time.Duration { return e.now }

// Steps is the number of queue slots run so far: every event's, but a
// batch's slot once for all the events it runs (see NewBatch).
func (e *Engine) Steps() uint64 { return e.steps }

// Events is the number of events run so far, each of a batch's counted:
// what Steps counted before batches, and what a run's cost is compared
// by across versions.
func (e *Engine) Events() uint64 { return e.events }

// Pending is the number of slots in the queue: a batch's slot (NewBatch)
// is one, however many events it holds.
func (e *Engine) Pending() int { return e.queue.len() }

// Trace is the run's trace.
func (e *Engine) Trace() *Trace { return e.trace }

// Rand returns the named random stream (see Streams).
func (e *Engine) Rand(stream string) *Rand { return e.streams.Get(stream) }

// Keyed is Streams.Keyed of the engine's streams.
func (e *Engine) Keyed(name string, key uint64) *Rand { return e.streams.Keyed(name, key) }

// Keyer is Keyed(name, ·) for a caller that draws from many keys of one
// name in turn, without allocating per key.
func (e *Engine) Keyer(name string) *Keyer { return e.streams.Keyer(name) }

// Seed is the root seed.
func (e *Engine) Seed() uint64 { return e.streams.seed }

// OnInstantEnd registers fn to run each time the clock is about to move
// forward after events ran at the current instant, and at the end of a run.
func (e *Engine) OnInstantEnd(fn func()) { e.instantHooks = append(e.instantHooks, fn) }

// At schedules fn at absolute virtual time t (clamped to now: the past
// cannot be changed).
func (e *Engine) At(t time.Duration, name string, fn func()) *Timer {
	tm := &Timer{name: name, fn: fn}
	e.push(tm, t, false)
	return tm
}

// push queues tm at t (not before now) with the next sequence number, as
// a newly scheduled event; late ones run after every ordinary event of
// their instant.
func (e *Engine) push(tm *Timer, t time.Duration, late bool) {
	if t < e.now {
		t = e.now
	}
	e.seq++
	e.queue.mods++
	tm.at, tm.seq, tm.queued, tm.cause = t, e.seq, true, e.trace.CurrentCause()
	key := e.seq
	if late {
		key |= lateBit
	}
	if tm.lane != nil && !late {
		e.queue.pushLane(tm.lane, queued{at: t, key: key, tm: tm})
		return
	}
	e.queue.push(queued{at: t, key: key, tm: tm})
}

// NewLane returns a new lane of the engine's queue (see Lane).
func (e *Engine) NewLane() *Lane {
	l := &Lane{}
	e.queue.lanes = append(e.queue.lanes, l)
	return l
}

// NamedLane is the engine's lane of that name, made on its first use:
// components that each keep a recurring timer firing at one fixed period
// after its previous firing (every kubelet's node status tick) share one,
// and RescheduleIn then appends each timer to its end.
func (e *Engine) NamedLane(name string) *Lane {
	if l := e.named[name]; l != nil {
		return l
	}
	if e.named == nil {
		e.named = map[string]*Lane{}
	}
	l := e.NewLane()
	e.named[name] = l
	return l
}

// Lanes is the number of lanes the engine has.
func (e *Engine) Lanes() int { return len(e.queue.lanes) }

// AtIn is At for a timer queued in lane l (see Lane) whenever it is
// scheduled, by this call or by Reschedule. It runs exactly when At's
// timer would: a lane changes where a timer waits, never the order.
func (e *Engine) AtIn(l *Lane, t time.Duration, name string, fn func()) *Timer {
	tm := &Timer{name: name, fn: fn, lane: l}
	e.push(tm, t, false)
	return tm
}

// Reschedule queues tm again at absolute virtual time t, exactly as At
// with the timer's name and function would (a new sequence number, the
// current cause), but without allocating: a component that keeps one
// timer for a recurring event (a watch's deliveries) reuses it. A pending
// tm is moved; a fired or cancelled one is queued again. It ends a Quiet.
func (e *Engine) Reschedule(tm *Timer, t time.Duration) {
	e.Cancel(tm)
	e.push(tm, t, false)
}

// Quiet declares the events of the recurring timer tm that are due
// before until no-ops but for queueing tm again period later (in its
// lane, if it has one): a component that keeps one timer for a periodic
// tick (every kubelet's node status, every 10 s) and knows that its
// ticks will find nothing to do until then, unless something else first
// changes its state (then it calls Wake). The engine runs each such
// event itself, without calling tm's function or reading anything of
// the component: the same event, counted, checked by AfterStep and
// ending its instant as the function's would, and tm queued again as
// the function would have queued it (RescheduleIn at the event's time
// plus period: a new sequence number, the same cause). So nothing else
// in the run can tell a quiet tick from the tick itself.
func (e *Engine) Quiet(tm *Timer, period, until time.Duration) {
	tm.period, tm.quiet = period, until
}

// Wake ends tm's Quiet: its next event calls its function again.
func (e *Engine) Wake(tm *Timer) { tm.quiet = 0 }

// RescheduleIn is Reschedule, with tm queued in lane l from now on (see
// Lane): it runs exactly when Reschedule's would. A timer first
// scheduled with At, at a random phase, moves to the lane of its period
// at its first firing, where it is appended, not inserted.
func (e *Engine) RescheduleIn(tm *Timer, l *Lane, t time.Duration) {
	e.Cancel(tm)
	tm.lane = l
	e.push(tm, t, false)
}

// AtEnd schedules fn at virtual time t after every ordinary event of that
// instant, including ones scheduled later. Outside inputs (a scenario's
// timeline, a person's command in a live session) enter this way: a live
// session injects a command after running everything up to now, and a
// replay of the recorded command must land at the same place.
func (e *Engine) AtEnd(t time.Duration, name string, fn func()) *Timer {
	tm := &Timer{name: name, fn: fn}
	e.push(tm, t, true)
	return tm
}

// After schedules fn d after the current virtual time.
func (e *Engine) After(d time.Duration, name string, fn func()) *Timer {
	return e.At(e.now+d, name, fn)
}

// Cancel removes t from the queue if it is still pending. Cancelling a nil,
// fired or already cancelled timer is a no-op.
func (e *Engine) Cancel(t *Timer) {
	if t == nil {
		return
	}
	t.quiet = 0 // its owner takes it back
	if !t.queued {
		return
	}
	t.queued = false
	e.queue.mods++
	if t.lane != nil {
		e.queue.laneCancelled(t.lane)
		return
	}
	e.queue.cancelled()
}

// NextAt reports the time of the next pending event.
func (e *Engine) NextAt() (time.Duration, bool) {
	if e.queue.len() == 0 {
		return 0, false
	}
	return e.queue.top().at, true
}

// Note records what the running event works on (a component and a key),
// for the livelock report. Work queues call it before each reconcile.
func (e *Engine) Note(component, key string) { e.note = [2]string{component, key} }

// Interrupt makes the engine stop before its next event, with Err
// returning ErrInterrupted. It is the one method safe to call from another
// goroutine (a signal handler, a closing session).
func (e *Engine) Interrupt() { e.interrupted.Store(true) }

// BusiestInstant is the most events that ran at one virtual instant so far
// (how close a run came to MaxEventsPerInstant).
func (e *Engine) BusiestInstant() uint64 { return max(e.busiestInstant, e.instantEvents) }

// Err is why the engine stopped running events: nil while it can run, a
// *LivelockError or ErrInterrupted once Step refused to go on.
func (e *Engine) Err() error { return e.err }

// Step runs the next queue slot: the next event, or all the events of a
// batch's slot (NewBatch) that come before any other. It returns false
// when the queue is empty or the engine stopped (see Err). Loops that run
// the simulation forward use it; StepOne is for a person stepping through
// events and for checks that must see the state after every event.
func (e *Engine) Step() bool {
	l, x := e.queue.next()
	return e.stepFrom(l, x)
}

// StepOne is Step that runs exactly one event: a batch's slot runs its
// first event and is queued again at its next, so the events and their
// order are Step's, one call each.
func (e *Engine) StepOne() bool {
	e.one = true
	defer func() { e.one = false }()
	return e.Step()
}

// stepFrom is Step, handed the queue's next slot and its lane as
// eventQueue.next found them (nil if the queue is empty): the loops that
// look at the next event's time before running it find the front once
// per event, not three times (the fronts of the lanes and the heap's top
// compared each time).
func (e *Engine) stepFrom(l *Lane, x *queued) bool {
	if e.err != nil {
		return false
	}
	if e.interrupted.Load() {
		e.err = ErrInterrupted
		return false
	}
	if x == nil {
		e.endInstant()
		return false
	}
	if x.at > e.now {
		mods := e.queue.mods
		e.endInstant()
		// A hook may have scheduled work at the current instant (or
		// cancelled everything): then the front is found again (x may
		// even point into a moved array).
		if e.queue.mods != mods {
			if l, x = e.queue.next(); x == nil {
				return false
			}
		}
	}
	tm := e.queue.popFrom(l)
	tm.queued = false
	e.now = tm.at
	e.steps++
	e.slotEvents = 0
	if tm.batch {
		tm.fn()
		return e.err == nil
	}
	if tm.at < tm.quiet {
		e.requeued = tm
		return e.run(tm.cause, tm.name, e.requeue)
	}
	return e.run(tm.cause, tm.name, tm.fn)
}

// requeueQuiet is the event of a quiet timer (Quiet), e.requeued: it
// is queued again its period later, as its function would have done.
func (e *Engine) requeueQuiet() {
	tm := e.requeued
	e.requeued = nil
	e.push(tm, e.now+tm.period, false)
}

// run runs fn as one event at the current instant, caused by the trace
// record cause: counted towards the instant's bound, checked by
// AfterStep.
func (e *Engine) run(cause int64, name string, fn func()) bool {
	e.trace.startEvent(cause)
	e.events++
	e.slotEvents++
	e.busy = true
	if e.now != e.instantAt || e.events == 1 {
		e.busiestInstant = max(e.busiestInstant, e.instantEvents)
		e.instantAt, e.instantEvents, e.diag = e.now, 0, nil
	}
	e.instantEvents++
	if e.instantEvents > e.maxPerInstant() {
		e.note = [2]string{}
		fn()
		e.watchLivelock(name)
		return e.err == nil
	}
	fn()
	if e.AfterStep != nil {
		e.AfterStep()
	}
	// Whatever is scheduled between events (a person's command in a live
	// session) was caused by nothing in the simulation.
	e.trace.startEvent(0)
	return true
}

func (e *Engine) maxPerInstant() uint64 {
	if e.MaxEventsPerInstant > 0 {
		return e.MaxEventsPerInstant
	}
	return DefaultMaxEventsPerInstant
}

// watchLivelock samples the events past the bound and, after
// livelockSample of them, stops the run naming the most frequent one.
func (e *Engine) watchLivelock(name string) {
	if e.diag == nil {
		e.diag = map[[3]string]uint64{}
	}
	e.diag[[3]string{name, e.note[0], e.note[1]}]++
	if e.instantEvents-e.maxPerInstant() < livelockSample {
		return
	}
	keys := make([][3]string, 0, len(e.diag))
	for k := range e.diag {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := e.diag[keys[i]], e.diag[keys[j]]
		if a != b {
			return a > b
		}
		return keys[i][0]+"\x00"+keys[i][1]+"\x00"+keys[i][2] < keys[j][0]+"\x00"+keys[j][1]+"\x00"+keys[j][2]
	})
	top := keys[0]
	e.err = &LivelockError{At: e.now, Events: e.instantEvents, Event: top[0], Component: top[1], Key: top[2],
		Share: float64(e.diag[top]) / livelockSample}
}

// RunUntil runs every event scheduled at or before t, then sets the clock
// to t. If the engine stops (Err), the clock stays where it stopped.
func (e *Engine) RunUntil(t time.Duration) {
	for {
		l, x := e.queue.next()
		if x == nil || x.at > t {
			break
		}
		if !e.stepFrom(l, x) {
			return
		}
	}
	e.endInstant()
	if t > e.now {
		e.now = t
	}
}

// RunWhile runs events while cond holds and events remain before limit.
// It returns true if cond became false.
func (e *Engine) RunWhile(limit time.Duration, cond func() bool) bool {
	for cond() {
		l, x := e.queue.next()
		if x == nil || x.at > limit {
			e.endInstant()
			return !cond()
		}
		if !e.stepFrom(l, x) {
			return false
		}
	}
	return true
}

func (e *Engine) endInstant() {
	if !e.busy {
		return
	}
	e.busy = false
	for _, h := range e.instantHooks {
		h()
	}
}

// eventQueue is a 4-ary min-heap of timers ordered by (time, late,
// sequence): events at the same instant run in the order they were
// scheduled, late ones (AtEnd) after all others. Each slot carries its
// timer's ordering key, so that sifting compares and moves contiguous
// values and never follows a pointer to a timer.
//
// Cancelling is lazy: a cancelled or rescheduled timer's slot stays in
// the heap, stale (the timer is no longer queued, or queued under a newer
// sequence number), and is dropped when it reaches the top. So a timer
// needs no back-pointer to its position, and sifting writes nothing into
// the timers (keeping each timer's index up to date cost a load and a
// store into a cold timer per level). The order of the live slots is a
// total order on (time, key), so which stale slots sit where cannot change
// which timer runs next. The top slot is always live (clean), and stale
// slots are swept out once they are most of the heap, so a timer
// cancelled far ahead of its time keeps nothing alive for long.
type eventQueue struct {
	h     []queued
	stale int // slots in h whose timer was cancelled or moved
	// lanes hold the timers scheduled in them (Engine.AtIn), each lane
	// sorted; inLanes is how many live slots they hold.
	lanes   []*Lane
	inLanes int
	// mods counts the pushes and cancels: a caller holding the slot
	// next found can tell that it may have moved.
	mods uint64
}

// Lane is a queue of timers beside the engine's heap, for timers that a
// component schedules in (nearly) increasing time order: every watch of
// the store with the same delivery latency is due that latency after its
// change, and changes come in time order, so its deliveries (most of a
// run's events) mostly append to the end of their lane, at a constant
// cost where the heap costs a logarithmic sift for each push and pop.
// A timer that is due before the lane's last is inserted in place, so a
// lane is always sorted by (time, sequence), and the next event is the
// least of the heap's top and the lanes' fronts: exactly the event the
// heap alone would run next. Cancelling is lazy, as in the heap; a stale
// slot is dropped when it reaches the front, which it does by its time.
// An engine has few lanes (the next event compares their fronts).
type Lane struct {
	q    []queued // q[head:] are the slots, sorted
	head int
}

// pushLane queues x in lane l.
func (q *eventQueue) pushLane(l *Lane, x queued) {
	q.inLanes++
	n := len(l.q)
	if n == l.head || !x.less(l.q[n-1]) {
		l.q = append(l.q, x)
		return
	}
	// Due before the last: x goes after every slot that comes before it
	// by (time, key) — a timer's new key is the newest, a batch's held key
	// (Hold) may be an older one.
	i, _ := sort.Find(n-l.head, func(i int) int {
		if x.less(l.q[l.head+i]) {
			return -1
		}
		return 1
	})
	l.q = append(l.q, queued{})
	copy(l.q[l.head+i+1:], l.q[l.head+i:n])
	l.q[l.head+i] = x
}

// laneCancelled notes that one slot of l went stale, and keeps its front
// clean.
func (q *eventQueue) laneCancelled(l *Lane) {
	q.inLanes--
	l.clean()
}

// clean drops stale slots from the front of l, and lets the array's
// spent front go.
func (l *Lane) clean() {
	for l.head < len(l.q) && !l.q[l.head].live() {
		l.q[l.head].dropped()
		l.q[l.head] = queued{}
		l.head++
	}
	switch waiting := len(l.q) - l.head; {
	case waiting == 0:
		l.q, l.head = l.q[:0], 0
	case l.head >= minLaneCompact && l.head > waiting:
		n := copy(l.q, l.q[l.head:])
		clear(l.q[n:])
		l.q, l.head = l.q[:n], 0
	}
}

// minLaneCompact is the fewest spent slots a lane moves its waiting
// slots over (each slot moves at most once per time the array fills).
const minLaneCompact = 64

// next is the queue's next slot (nil if the queue is empty) and the lane
// it is the front of (nil if it is the heap's top). The slot stays valid
// until the queue is changed (see mods).
func (q *eventQueue) next() (*Lane, *queued) {
	var best *Lane
	var at *queued
	if len(q.h) > 0 {
		at = &q.h[0]
	}
	for _, l := range q.lanes {
		if l.head < len(l.q) && (at == nil || l.q[l.head].less(*at)) {
			best, at = l, &l.q[l.head]
		}
	}
	return best, at
}

type queued struct {
	at  time.Duration
	key uint64 // the sequence number, with lateBit for an AtEnd timer
	tm  *Timer
}

const lateBit = 1 << 63

func (a queued) less(b queued) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.key < b.key
}

// dropped tells a stale slot's timer that the slot is out of the queue:
// a batch slot held at its key again needs a slot of its own (Hold).
func (a queued) dropped() {
	if left := a.tm.left; left != nil {
		*left = slices.DeleteFunc(*left, func(k uint64) bool { return k == a.key })
	}
}

// live reports whether the slot is its timer's current one.
func (a queued) live() bool { return a.tm.queued && a.tm.seq == a.key&^lateBit }

// minStaleSweep is the fewest stale slots worth a sweep of the heap.
const minStaleSweep = 1024

// len is the number of pending timers.
func (q *eventQueue) len() int { return len(q.h) - q.stale + q.inLanes }

// top is the next timer's slot; the queue must not be empty.
func (q *eventQueue) top() *queued {
	_, x := q.next()
	return x
}

func (q *eventQueue) push(x queued) {
	q.h = append(q.h, x)
	h := q.h
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !x.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
}

// popFrom removes the top slot, the front of lane l or the heap's top if
// l is nil (as next found it), and returns its timer, then drops the
// stale slots that came to the front.
func (q *eventQueue) popFrom(l *Lane) *Timer {
	if l != nil {
		tm := l.q[l.head].tm
		l.q[l.head] = queued{}
		l.head++
		q.inLanes--
		l.clean()
		return tm
	}
	tm := q.popSlot()
	q.clean()
	return tm
}

func (q *eventQueue) popSlot() *Timer {
	h := q.h
	tm := h[0].tm
	n := len(h) - 1
	last := h[n]
	h[n] = queued{}
	q.h = h[:n]
	if n > 0 {
		q.down(0, last)
	}
	return tm
}

// cancelled notes that one slot went stale, and keeps the top clean.
func (q *eventQueue) cancelled() {
	q.stale++
	if q.stale >= minStaleSweep && q.stale > len(q.h)/2 {
		q.sweep()
		return
	}
	q.clean()
}

// clean drops stale slots from the top.
func (q *eventQueue) clean() {
	for len(q.h) > 0 && !q.h[0].live() {
		q.h[0].dropped()
		q.popSlot()
		q.stale--
	}
}

// sweep drops every stale slot and rebuilds the heap of the live ones.
func (q *eventQueue) sweep() {
	h := q.h[:0]
	for _, x := range q.h {
		if x.live() {
			h = append(h, x)
		} else {
			x.dropped()
		}
	}
	clear(q.h[len(h):])
	q.h, q.stale = h, 0
	if len(h) < 2 {
		return // already a heap (and for none, (len-2)/4 is 0: Go rounds toward zero)
	}
	for i := (len(h) - 2) / 4; i >= 0; i-- {
		q.down(i, h[i])
	}
}

// down places x in the hole at position i, sifting it down.
func (q *eventQueue) down(i int, x queued) {
	h := q.h
	n := len(h)
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j, end := c+1, min(c+4, n); j < end; j++ {
			if h[j].less(h[m]) {
				m = j
			}
		}
		if !h[m].less(x) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = x
}
