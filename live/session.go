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
package live

import (
	"errors"
	"math"
	"sync"
	"time"

	"github.com/kubesim/kubesim/scenarios"
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
	// Tick is the wall-clock period of the pacing loop (default 1/30 s).
	Tick time.Duration
	// Until, if non-zero, pauses the session when virtual time reaches it
	// (default: the scenario's duration, if any; runs on after a resume).
	Until time.Duration
}

// Session is one running simulation shared by interactive frontends. All
// methods are safe for concurrent use.
type Session struct {
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
	view     *View
	hist     *history

	subsMu sync.Mutex
	subs   map[*subscriber]struct{}

	wake   chan struct{}
	done   chan struct{}
	closed bool
	wg     sync.WaitGroup
	seed   uint64
}

// New builds the scenario's cluster at virtual time zero. Call Start to
// begin pacing; until then the session only moves by Step.
func New(s *scenarios.Scenario, opts Options) (*Session, error) {
	run, err := runner.Start(s, runner.Options{Seed: opts.Seed})
	if err != nil {
		return nil, err
	}
	ss := &Session{
		scenario: s, run: run, c: run.Cluster,
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
	ss.refreshLocked()
	return ss, nil
}

// Scenario is the scenario the session started from.
func (s *Session) Scenario() *scenarios.Scenario { return s.scenario }

// Start runs the pacing loop in its own goroutine.
func (s *Session) Start() {
	s.wg.Add(1)
	go s.loop()
}

// Close stops the pacing loop and every subscription.
func (s *Session) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
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

// loop advances virtual time by speed x wall time every tick.
func (s *Session) loop() {
	defer s.wg.Done()
	t := time.NewTicker(s.tick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		case <-t.C:
		}
		now := time.Now()
		wall := now.Sub(last)
		last = now
		s.advance(wall)
	}
}

// maxEventsPerTick bounds the work of one tick at "as fast as possible",
// so commands and snapshots are served between bursts.
const maxEventsPerTick = 20000

func (s *Session) advance(wall time.Duration) {
	s.mu.Lock()
	if s.closed || s.paused {
		s.mu.Unlock()
		return
	}
	e := s.c.Engine
	changed := false
	if math.IsInf(s.speed, 1) {
		for i := 0; i < maxEventsPerTick; i++ {
			next, ok := e.NextAt()
			if !ok || (s.until > 0 && next > s.until) {
				break
			}
			e.Step()
			changed = true
		}
		if next, ok := e.NextAt(); !ok || (s.until > 0 && next > s.until) {
			s.reachUntilLocked()
		}
	} else {
		target := e.Elapsed() + time.Duration(float64(wall)*s.speed)
		if s.until > 0 && target >= s.until && e.Elapsed() < s.until {
			target = s.until
		}
		before := e.Steps()
		e.RunUntil(target)
		changed = e.Steps() != before || wall > 0
		if s.until > 0 && e.Elapsed() >= s.until && !s.pastUntil() {
			s.paused = true
		}
	}
	if changed {
		s.refreshLocked()
	}
	s.mu.Unlock()
	if changed {
		s.publish()
	}
}

func (s *Session) reachUntilLocked() {
	if s.until > 0 && s.c.Engine.Elapsed() < s.until {
		s.c.Engine.RunUntil(s.until)
	}
	if s.until > 0 {
		s.paused = true
	}
}

// pastUntil reports whether the user resumed after the scenario's end
// (then the session runs on without stopping).
func (s *Session) pastUntil() bool { return s.until > 0 && s.c.Engine.Elapsed() > s.until }

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

// Step runs exactly the next event (pausing the session first) and
// reports whether there was one.
func (s *Session) Step() bool {
	s.mu.Lock()
	s.paused = true
	ok := s.c.Engine.Step()
	s.refreshLocked()
	s.mu.Unlock()
	s.publish()
	return ok
}

// RunFor advances virtual time by d at once, as fast as possible (tests,
// "skip ahead" buttons). The session stays paused or running as it was.
func (s *Session) RunFor(d time.Duration) {
	s.mu.Lock()
	s.c.Engine.RunUntil(s.c.Engine.Elapsed() + d)
	s.refreshLocked()
	s.mu.Unlock()
	s.publish()
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
