package live

import (
	"bytes"
	"encoding/json"
	"strings"

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
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	c := s.c
	at := c.Engine.Elapsed()
	req, obj, err := s.run.InjectAPI(func() (*scenarios.APIRequest, error) { return resolve(c) })
	if req != nil {
		rec := Recorded{At: at, Action: scenarios.Action{At: at, API: req},
			Command: Command{Verb: "api", Kind: req.Kind, Namespace: req.Namespace, Name: req.Name}}
		if err != nil {
			rec.Err = err.Error()
		}
		s.recorded = append(s.recorded, rec)
	}
	s.refreshLocked()
	s.mu.Unlock()
	s.publish()
	return obj, err
}

// apiNode renders a recorded API write as a timeline entry's value.
func apiNode(r *scenarios.APIRequest) (map[string]any, error) {
	m := map[string]any{"verb": r.Verb, "kind": r.Kind}
	for _, kv := range [][2]string{{"user", r.User}, {"namespace", r.Namespace}, {"name", r.Name}, {"node", r.Node}, {"propagationPolicy", r.Propagation}} {
		if kv[1] != "" {
			m[kv[0]] = kv[1]
		}
	}
	if r.Verb == "scale" {
		m["replicas"] = int64(r.Replicas)
	}
	if r.GracePeriodSeconds != nil {
		m["gracePeriodSeconds"] = *r.GracePeriodSeconds
	}
	if r.Object != nil {
		obj, err := objectMap(r.Object)
		if err != nil {
			return nil, err
		}
		m["object"] = obj
	}
	return m, nil
}

// objectMap is the whole object (status and server-set metadata included:
// an update carries its resourceVersion) as plain YAML-encodable values,
// integers kept as integers.
func objectMap(o store.Object) (map[string]any, error) {
	info, err := store.KindOf(o)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	m["apiVersion"] = info.GroupVersion.String()
	m["kind"] = info.Kind
	return numbers(m).(map[string]any), nil
}

// numbers replaces json.Numbers by int64 or float64 (a yaml encoder would
// quote them as strings).
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil && !strings.ContainsAny(string(x), ".eE") {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
