// Package live owns a running simulation for interactive use: the terminal
// UI, the web UI and the Kubernetes API all drive a Session, never the
// engine directly.
//
// The engine is single-threaded and deterministic; a Session wraps it in
// one goroutine that paces virtual time against the wall clock (pause,
// step, speed x0.25 ... x1000 or as fast as possible), injects commands at
// the current virtual time and records them, so that a session saved as a
// scenario file replays to the same trace hash. Frontends read immutable
// View snapshots and listen to a change feed; they never touch the store.
//
// The loop never holds the session's lock for long: it runs events in
// chunks bounded by a number of events and a slice of wall time, and lets
// commands and reads in between, so every call is answered promptly at any
// speed and Close returns promptly even in the middle of a burst. An idle
// session (paused, or paced with nothing due) sleeps until the next event
// is due or a command arrives.
package live

import (
	"errors"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubesim/kubesim/explain"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/runner"
)

// Speeds a frontend offers, in virtual seconds per wall second.
var Speeds = []float64{0.25, 0.5, 1, 2, 5, 10, 30, 100, 300, 1000}

// AsFastAsPossible is the speed that runs events without pacing.
var AsFastAsPossible = math.Inf(1)

// ErrClosed is returned by calls on a closed session.
var ErrClosed = errors.New("live: session closed")

// Options tune a session.
type Options struct {
	// Seed overrides the scenario's seed when non-nil.
	Seed *uint64
	// Speed is the initial speed (default 1 = real time).
	Speed float64
	// Paused starts the session paused.
	Paused bool
	// Tick is the shortest wall-clock sleep of the pacing loop and the
	// shortest interval between two views published while time runs
	// (default 1/30 s).
	Tick time.Duration
	// Until, if non-zero, pauses the session when virtual time reaches it
	// (default: the scenario's duration, if any; runs on after a resume).
	Until time.Duration
}

// Bounds of the work done while holding the session's lock: one chunk
// runs at most chunkSteps events and stops after chunkBudget of wall time,
// whatever the speed; reads, commands and Close get in between chunks.
const (
	chunkSteps  = 5000
	chunkBudget = 5 * time.Millisecond
	// maxLag is how far (in wall time) the simulation may fall behind its
	// pace before the lag is dropped: a cluster too big for the speed
	// runs as fast as it can instead of bursting to catch up later.
	maxLag = time.Second
	// idleWake is the longest the loop sleeps while virtual time runs with
	// nothing due: the view's clock moves on at least this often.
	idleWake = 250 * time.Millisecond
)

// Session is one running simulation shared by interactive frontends. All
// methods are safe for concurrent use.
type Session struct {
	// mu guards the cluster (engine and store) and the fields below it.
	// It is held for bounded chunks of work only.
	mu       sync.Mutex
	scenario *scenarios.Scenario
	run      *runner.Running
	c        *cluster.Cluster
	speed    float64
	paused   bool
	until    time.Duration
	tick     time.Duration
	recorded []Recorded
	version  uint64
	hist     *history
	why      *explain.Recorder // the trace's recent records and causes, for Explain
	// behind says the last chunk could not reach the pace's target: the
	// cluster is too big for the speed and the view runs late.
	behind bool
	// viewSteps is the engine's step count the current view was built at.
	viewSteps   uint64
	viewWall    time.Time
	refreshCost time.Duration
	memo        viewMemo // the last refresh's pod and node views

	// view is the latest snapshot, read without the lock.
	view atomic.Pointer[View]
	// engine is s.c.Engine, for Close to interrupt without the lock.
	engine atomic.Pointer[sim.Engine]

	subsMu sync.Mutex
	subs   map[*subscriber]struct{}

	travelMu sync.Mutex // one rewind at a time

	wake   chan struct{}
	done   chan struct{}
	closed atomic.Bool
	wakes  atomic.Uint64 // pacing loop iterations (tests: no busy polling)
	once   sync.Once
	wg     sync.WaitGroup
	seed   uint64
}

// New builds the scenario's cluster at virtual time zero. Call Start to
// begin pacing; until then the session only moves by Step and RunFor.
func New(s *scenarios.Scenario, opts Options) (*Session, error) {
	run, why, err := start(s, opts.Seed)
	if err != nil {
		return nil, err
	}
	ss := &Session{
		scenario: s, run: run, c: run.Cluster, why: why,
		speed: opts.Speed, paused: opts.Paused, until: opts.Until, tick: opts.Tick,
		subs: map[*subscriber]struct{}{}, wake: make(chan struct{}, 1), done: make(chan struct{}),
		seed: run.Cluster.Engine.Seed(),
		hist: newHistory(run.Cluster),
	}
	if ss.speed == 0 {
		ss.speed = 1
	}
	if ss.tick == 0 {
		ss.tick = time.Second / 30
	}
	if ss.until == 0 {
		ss.until = s.Duration
	}
	ss.engine.Store(run.Cluster.Engine)
	ss.refreshLocked()
	return ss, nil
}

// explainKeep is how many of the newest trace records a session keeps for
// Explain (a few hundred bytes each): enough for the stories of the last
// minutes of a large cluster. The recorder stays within twice this over
// hours; the trace's cause links still grow by 8 bytes a record.
const explainKeep = 200_000

// start builds the scenario's cluster with a recorder of its trace's
// causes attached from the first event, and the store's index of events
// by involved object kept from the first event too, so that a drawer's
// first open reads a handful of events instead of indexing them all.
func start(s *scenarios.Scenario, seed *uint64) (*runner.Running, *explain.Recorder, error) {
	var why *explain.Recorder
	run, err := runner.Start(s, runner.Options{Seed: seed, Observe: func(c *cluster.Cluster) {
		why = explain.Attach(c.Engine.Trace())
		why.Bound(explainKeep)
		indexEvents(c.Store)
	}})
	return run, why, err
}

// Scenario is the scenario the session started from.
func (s *Session) Scenario() *scenarios.Scenario { return s.scenario }

// Start runs the pacing loop in its own goroutine.
func (s *Session) Start() {
	s.wg.Add(1)
	go s.loop()
}

// Close stops the pacing loop and every subscription. It returns promptly
// whatever the loop is doing: the loop and every long operation (RunFor,
// Rewind) check the closed flag between events.
func (s *Session) Close() {
	first := false
	s.once.Do(func() {
		first = true
		s.closed.Store(true)
		s.engine.Load().Interrupt() // a write's or command's instant ends at once
		close(s.done)
	})
	if !first {
		return
	}
	s.wg.Wait()
	s.mu.Lock()
	s.c.Etcd.Close() // raft's goroutines end with the session
	s.mu.Unlock()
	s.subsMu.Lock()
	for sub := range s.subs {
		close(sub.ch)
		delete(s.subs, sub)
	}
	s.subsMu.Unlock()
}

// Closed reports whether Close was called.
func (s *Session) Closed() bool { return s.closed.Load() }

// Err is why the simulation stopped itself (a *sim.LivelockError: virtual
// time could not advance), or nil. A stopped session stays paused: it
// still answers reads, and refuses commands with this error.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stoppedLocked()
}

// haltErrLocked is why the engine refuses to run: ErrClosed for a
// closing session, else the engine's own error.
func (s *Session) haltErrLocked() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.c.Engine.Err(); err != nil {
		return err
	}
	return errors.New("live: the simulation did not run the input")
}

// stoppedLocked is the engine's error unless it is the interruption of a
// closing session.
func (s *Session) stoppedLocked() error {
	if err := s.c.Engine.Err(); err != nil && !s.closed.Load() {
		return err
	}
	return nil
}

// loop paces virtual time against the wall clock: virtual time moves by
// speed x wall time, in bounded chunks; between chunks it sleeps until
// the next event is due, a command arrives or the session closes.
func (s *Session) loop() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	p := pacer{wall: time.Now()}
	for !s.closed.Load() {
		sleep := s.advance(&p)
		if sleep == 0 {
			runtime.Gosched()
			continue
		}
		var fire <-chan time.Time
		if sleep > 0 {
			timer.Reset(sleep)
			fire = timer.C
		}
		select {
		case <-s.done:
			return
		case <-s.wake:
		case <-fire:
		}
		if sleep > 0 && !timer.Stop() {
			select { // drain a fired timer that the select did not take
			case <-timer.C:
			default:
			}
		}
	}
}

// pacer is the loop's position: the virtual time it heads for and the
// wall time that target corresponds to.
type pacer struct {
	target time.Duration
	wall   time.Time
	// waited says the loop last waited for a command (paused, or
	// nothing to run): the wall time spent waiting does not count.
	waited bool
	// markWall and markTime start the window over which a session as
	// fast as possible is judged behind: slower than the wall clock.
	markWall time.Time
	markTime time.Duration
}

// fastBehind says whether a session running as fast as possible runs
// behind: with work left, virtual time moved slower than the wall clock
// over the last half second (a burst of thousands of pods at 200 nodes
// crawls at a fraction of x1). It is judged once per half second, so the
// state does not flicker between chunks.
func (p *pacer) fastBehind(now time.Time, elapsed time.Duration, reached, was bool) bool {
	if reached || p.markWall.IsZero() {
		p.markWall, p.markTime = now, elapsed
		return was && !reached
	}
	wall := now.Sub(p.markWall)
	if wall < maxLag/2 {
		return was
	}
	behind := elapsed-p.markTime < wall
	p.markWall, p.markTime = now, elapsed
	return behind
}

// advance runs one chunk and says how long to sleep: 0 to go on at once,
// a positive duration, or -1 to wait for a command.
func (s *Session) advance(p *pacer) time.Duration {
	s.wakes.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	wall := now.Sub(p.wall)
	p.wall = now
	if p.waited {
		wall, p.waited = 0, false
	}
	if s.closed.Load() {
		return -1
	}
	e := s.c.Engine
	if s.paused {
		p.target, p.waited, s.behind = e.Elapsed(), true, false
		p.markWall = time.Time{}
		return -1
	}
	if p.target < e.Elapsed() {
		p.target = e.Elapsed() // RunFor, Rewind or Step moved time
	}
	fast := math.IsInf(s.speed, 1)
	target := time.Duration(math.MaxInt64)
	if !fast {
		p.target += time.Duration(float64(wall) * s.speed)
		if lag := time.Duration(float64(maxLag) * s.speed); p.target-e.Elapsed() > lag {
			p.target = e.Elapsed() + lag
		}
		target = p.target
	}
	if s.until > 0 && e.Elapsed() <= s.until && target > s.until {
		target = s.until
	}
	reached := s.runLocked(target, now.Add(chunkBudget), fast && target == math.MaxInt64)
	if fast {
		s.behind = p.fastBehind(now, e.Elapsed(), reached, s.behind)
	} else {
		p.markWall = time.Time{}
		s.behind = !reached && p.target-e.Elapsed() > time.Duration(float64(maxLag)*s.speed/2)
	}
	stopped := (s.until > 0 && e.Elapsed() == s.until && reached) || e.Err() != nil
	if stopped {
		s.paused = true
	}
	if !reached {
		// More to do: publish at most every tick (or five times what a
		// view costs to build, for a huge cluster), and go on.
		if now.Sub(s.viewWall) >= max(s.tick, 5*s.refreshCost) {
			s.refreshLocked()
			s.publish()
		}
		return 0
	}
	if e.Steps() != s.viewSteps || stopped {
		s.refreshLocked()
	} else if v := s.view.Load(); v.Time != e.Elapsed() {
		s.retimeLocked()
	}
	s.publish()
	if s.paused || fast {
		p.waited = true
		return -1 // paused at the end, or nothing left to run
	}
	next, ok := e.NextAt()
	if !ok {
		return idleWake
	}
	due := time.Duration(float64(next-e.Elapsed()) / s.speed)
	if s.until > 0 && e.Elapsed() < s.until {
		due = min(due, time.Duration(float64(s.until-e.Elapsed())/s.speed))
	}
	return min(max(due, s.tick), idleWake)
}

// runLocked runs the events due at or before target, at most chunkSteps
// of them and until the wall-clock deadline, and reports whether it got
// there; then (unless open is set: as fast as possible with no end) the
// clock moves to target. It stops early when the session closes, and
// reports true when the engine stopped itself (a livelock: Engine.Err),
// after which nothing runs any more.
func (s *Session) runLocked(target time.Duration, deadline time.Time, open bool) bool {
	e := s.c.Engine
	for i := 0; ; i++ {
		next, ok := e.NextAt()
		if !ok || next > target {
			break
		}
		if i >= chunkSteps || (i&63 == 63 && time.Now().After(deadline)) || s.closed.Load() {
			return false
		}
		if !e.Step() {
			return true // the engine stopped itself (see stopLocked)
		}
	}
	if e.Err() != nil {
		return true
	}
	if !open && target > e.Elapsed() {
		e.RunUntil(target) // nothing is due: only moves the clock
	}
	return true
}

// Pause stops virtual time.
func (s *Session) Pause() { s.setPaused(true) }

// Resume restarts virtual time. Resuming at the scenario's end runs on
// past it.
func (s *Session) Resume() {
	s.mu.Lock()
	if s.until > 0 && s.c.Engine.Elapsed() >= s.until {
		s.until = 0
	}
	s.mu.Unlock()
	s.setPaused(false)
}

// TogglePause pauses a running session and resumes a paused one.
func (s *Session) TogglePause() {
	s.mu.Lock()
	p := s.paused
	s.mu.Unlock()
	if p {
		s.Resume()
	} else {
		s.Pause()
	}
}

func (s *Session) setPaused(p bool) {
	s.mu.Lock()
	s.paused = p
	s.refreshLocked()
	s.mu.Unlock()
	s.poke()
	s.publish()
}

// SetSpeed sets virtual seconds per wall second (AsFastAsPossible allowed).
func (s *Session) SetSpeed(x float64) {
	if x <= 0 || math.IsNaN(x) {
		return
	}
	s.mu.Lock()
	s.speed = x
	s.refreshLocked()
	s.mu.Unlock()
	s.poke()
	s.publish()
}

// Faster and Slower step through Speeds (then as fast as possible).
func (s *Session) Faster() { s.stepSpeed(+1) }

// Slower is the inverse of Faster.
func (s *Session) Slower() { s.stepSpeed(-1) }

func (s *Session) stepSpeed(dir int) {
	s.mu.Lock()
	cur := s.speed
	s.mu.Unlock()
	steps := append(append([]float64(nil), Speeds...), AsFastAsPossible)
	i := 0
	for i < len(steps) && steps[i] < cur {
		i++
	}
	if i < len(steps) && steps[i] == cur {
		i += dir
	} else if dir < 0 {
		i--
	}
	i = max(0, min(i, len(steps)-1))
	s.SetSpeed(steps[i])
}

// lockOpen locks the session and reports true, or reports false, holding
// nothing, once the session is closed.
func (s *Session) lockOpen() bool {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return false
	}
	return true
}

// Step runs exactly the next event (pausing the session first) and
// reports whether there was one.
func (s *Session) Step() bool {
	if !s.lockOpen() {
		return false
	}
	s.paused = true
	ok := s.c.Engine.StepOne()
	s.refreshLocked()
	s.mu.Unlock()
	s.publish()
	return ok
}

// RunFor advances virtual time by d, as fast as possible (tests, "skip
// ahead" buttons), in bounded chunks: reads and commands are served
// meanwhile, and a Close ends it early (it then returns ErrClosed). The
// session stays paused or running as it was. It returns the engine's
// error if the simulation stopped itself (see Err).
func (s *Session) RunFor(d time.Duration) error {
	s.mu.Lock()
	target := s.c.Engine.Elapsed() + d
	s.mu.Unlock()
	return s.runTo(target)
}

// runTo runs the session's cluster to virtual time t in chunks.
func (s *Session) runTo(t time.Duration) error {
	for {
		if !s.lockOpen() {
			return ErrClosed
		}
		e := s.c.Engine
		reached := e.Elapsed() >= t || s.runLocked(t, time.Now().Add(chunkBudget), false)
		err := e.Err()
		if err != nil {
			err = s.haltErrLocked() // ErrClosed if Close interrupted the engine
			s.paused = true
		}
		if reached || time.Since(s.viewWall) >= max(s.tick, 5*s.refreshCost) {
			s.refreshLocked()
		}
		s.mu.Unlock()
		s.publish()
		if reached {
			s.poke()
			return err
		}
		runtime.Gosched()
	}
}

// With runs fn with exclusive access to the cluster, between events.
// Frontends that must read the store directly (the Kubernetes API) use it;
// fn must not keep references to store objects it intends to modify.
func (s *Session) With(fn func(c *cluster.Cluster)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.c)
}

func (s *Session) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
