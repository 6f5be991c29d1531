package runner

import (
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/action"
	"github.com/kubesim/kubesim/sim/store"
)

// InjectAPI performs one Kubernetes API write at the current virtual time,
// after every event of this instant (where the same request, replayed from
// a scenario file, runs). resolve runs there first and turns the request
// into the write to make, reading the cluster as it is at that moment (a
// patch applied to the current object); a resolve error means nothing is
// written and req is nil. The request performed is what a session records.
func (r *Running) InjectAPI(resolve func() (*scenarios.APIRequest, error)) (req *scenarios.APIRequest, obj store.Object, err error) {
	e := r.Cluster.Engine
	done := false
	e.AtEnd(e.Elapsed(), "input", func() {
		done = true
		req, err = resolve()
		if err != nil {
			req = nil
			return
		}
		obj, err = action.RunAPI(r.actions, req)
	})
	for !done && e.Step() {
	}
	return req, obj, err
}
