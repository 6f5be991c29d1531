package live

import (
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// APIWrite performs one write of the Kubernetes API (kubesim serve) at the
// current virtual time and records it, so that a kubectl session replays
// like any other. resolve runs inside the simulation, between events, at
// the very point where the recorded action will run on replay; it reads
// the cluster (e.g. applies a patch to the current object) and returns the
// write to make, or an error, in which case nothing is written or
// recorded. The returned object is the store's (shared, immutable).
func (s *Session) APIWrite(resolve func(c *cluster.Cluster) (*scenarios.APIRequest, error)) (store.Object, error) {
	if !s.lockOpen() {
		return nil, ErrClosed
	}
	if err := s.stoppedLocked(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	c := s.c
	at := c.Engine.Elapsed()
	req, obj, err := s.run.InjectAPI(func() (*scenarios.APIRequest, error) { return resolve(c) })
	if req == nil && err == nil {
		// The engine stopped before the write's turn came (a livelock
		// in the instant, or Close): nothing was written.
		err = s.haltErrLocked()
		s.mu.Unlock()
		return nil, err
	}
	if req != nil {
		rec := Recorded{At: at, Action: scenarios.Action{At: at, Do: req},
			Command: Command{Verb: "api", Kind: req.Kind, Namespace: req.Namespace, Name: req.Name}}
		if err != nil {
			rec.Err = err.Error()
		}
		s.recorded = append(s.recorded, rec)
	}
	s.refreshLocked()
	s.mu.Unlock()
	s.poke() // the write may have scheduled work before the loop's next wake
	s.publish()
	return obj, err
}
