package live

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/explain"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/runner"
)

// Rewind travels back to virtual time t: the simulation is deterministic,
// so the session rebuilds the cluster from the scenario and replays the
// commands recorded up to t. Commands recorded after t are dropped: the
// session continues from there, paused. Rewinding forward (t beyond now)
// just runs ahead.
//
// The session pauses at once; the new cluster is built without holding
// the session (the old one still answers reads meanwhile) and swapped in
// at the end. A Close during the rebuild ends it with ErrClosed.
func (s *Session) Rewind(t time.Duration) error {
	if t < 0 {
		return fmt.Errorf("live: cannot rewind to %s", t)
	}
	s.travelMu.Lock()
	defer s.travelMu.Unlock()
	if !s.lockOpen() {
		return ErrClosed
	}
	s.paused = true
	now := s.c.Engine.Elapsed()
	recorded := append([]Recorded(nil), s.recorded...)
	s.refreshLocked()
	s.mu.Unlock()
	s.publish()
	if t >= now {
		return s.runTo(t)
	}
	run, why, hist, kept, err := s.rebuild(t, recorded)
	if err != nil {
		return err
	}
	if !s.lockOpen() {
		run.Cluster.Etcd.Close()
		return ErrClosed
	}
	s.c.Etcd.Close()
	s.run, s.c, s.hist, s.recorded, s.why = run, run.Cluster, hist, kept, why
	s.engine.Store(run.Cluster.Engine)
	s.paused = true
	s.refreshLocked()
	s.mu.Unlock()
	s.publish()
	s.poke()
	return nil
}

// rebuild replays the scenario and the commands recorded up to t on a new
// cluster of its own (no lock needed), checking for Close between events.
func (s *Session) rebuild(t time.Duration, recorded []Recorded) (*runner.Running, *explain.Recorder, *history, []Recorded, error) {
	seed := s.seed
	run, why, err := start(s.scenario, &seed)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	hist := newHistory(run.Cluster)
	var kept []Recorded
	e := run.Cluster.Engine
	for _, r := range recorded {
		if r.At > t {
			break
		}
		if err := s.runEngine(e, r.At); err != nil {
			run.Cluster.Etcd.Close()
			return nil, nil, nil, nil, err
		}
		run.Inject(r.Action)
		kept = append(kept, r)
	}
	if err := s.runEngine(e, t); err != nil {
		run.Cluster.Etcd.Close()
		return nil, nil, nil, nil, err
	}
	return run, why, hist, kept, nil
}

// runEngine is e.RunUntil(t) that gives up with ErrClosed when the
// session closes (or with the engine's error if it stopped itself).
func (s *Session) runEngine(e *sim.Engine, t time.Duration) error {
	for {
		next, ok := e.NextAt()
		if !ok || next > t {
			break
		}
		if s.closed.Load() {
			return ErrClosed
		}
		if !e.Step() {
			if s.closed.Load() {
				return ErrClosed // interrupted by Close after the check above
			}
			return e.Err()
		}
	}
	e.RunUntil(t)
	return e.Err()
}
