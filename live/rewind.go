package live

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/sim/runner"
)

// Rewind travels back to virtual time t: the simulation is deterministic,
// so the session rebuilds the cluster from the scenario and replays the
// commands recorded up to t. Commands recorded after t are dropped: the
// session continues from there, paused. Rewinding forward (t beyond now)
// just runs ahead.
func (s *Session) Rewind(t time.Duration) error {
	if t < 0 {
		return fmt.Errorf("live: cannot rewind to %s", t)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if t >= s.c.Engine.Elapsed() {
		s.c.Engine.RunUntil(t)
	} else if err := s.rebuildLocked(t); err != nil {
		s.mu.Unlock()
		return err
	}
	s.paused = true
	s.refreshLocked()
	s.mu.Unlock()
	s.publish()
	return nil
}

func (s *Session) rebuildLocked(t time.Duration) error {
	seed := s.seed
	run, err := runner.Start(s.scenario, runner.Options{Seed: &seed})
	if err != nil {
		return err
	}
	hist := newHistory(run.Cluster)
	var kept []Recorded
	for _, r := range s.recorded {
		if r.At > t {
			break
		}
		run.Cluster.Engine.RunUntil(r.At)
		run.Inject(r.Action)
		kept = append(kept, r)
	}
	run.Cluster.Engine.RunUntil(t)
	s.c.Etcd.Close()
	s.run, s.c, s.hist, s.recorded = run, run.Cluster, hist, kept
	return nil
}
