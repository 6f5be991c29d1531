package scenarios

import (
	"encoding/json"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/sim/store"
)

// APIRequest is one write made through the Kubernetes API (`kubesim
// serve`, i.e. the real kubectl or client-go), as the session recorded it.
// It is already resolved: a patch is stored as the object it produced, so
// replaying it needs neither HTTP nor the patch machinery, only the
// simulated API server's client call.
type APIRequest struct {
	// Verb is the client call: create, update, status (UpdateStatus),
	// delete, bind, evict or scale.
	Verb string
	// User is the component the write is attributed to in the trace
	// (default "kubectl").
	User            string
	Kind, Namespace string
	Name            string
	// Object is the object sent (create, update, status).
	Object store.Object
	// Node is the target of a bind.
	Node string
	// Replicas is the scale's spec.replicas.
	Replicas int32
	// GracePeriodSeconds and Propagation are a delete's (or eviction's)
	// options; nil / "" = defaults.
	GracePeriodSeconds *int64
	Propagation        string
}

// APIVerbs are the verbs of an APIRequest.
var APIVerbs = []string{"create", "update", "status", "delete", "bind", "evict", "scale"}

var apiFields = []string{"verb", "user", "kind", "namespace", "name", "object", "node", "replicas", "gracePeriodSeconds", "propagationPolicy"}

// api reads a recorded API request. The object is decoded as the API
// server received it (not validated here: a refused write is part of the
// recorded story and fails again, the same way, on replay).
func (p *parser) api(n *yaml.Node) (*APIRequest, bool) {
	f, ok := p.mapping(n, "api", apiFields...)
	if !ok {
		return nil, false
	}
	before := len(p.errs)
	r := &APIRequest{}
	if r.Verb, ok = p.requiredString(f, "verb", "api"); ok && !slices.Contains(APIVerbs, r.Verb) {
		p.errorf(f.vals["verb"], didYouMean(r.Verb, APIVerbs, "verbs"), "api: unknown verb %q", r.Verb)
	}
	var info *store.KindInfo
	if r.Kind, ok = p.requiredString(f, "kind", "api"); ok {
		if info, ok = store.LookupKind(r.Kind); !ok {
			p.errorf(f.vals["kind"], didYouMean(r.Kind, store.Kinds(), "kinds"), "api: unknown kind %q", r.Kind)
		}
	}
	for _, s := range []struct {
		name string
		dst  *string
	}{{"user", &r.User}, {"namespace", &r.Namespace}, {"name", &r.Name}, {"node", &r.Node}, {"propagationPolicy", &r.Propagation}} {
		if v, ok := f.vals[s.name]; ok {
			*s.dst, _ = p.str(v, "api."+s.name)
		}
	}
	if v, ok := f.vals["replicas"]; ok {
		n, _ := p.integer(v, "api.replicas", 0, 1<<31-1)
		r.Replicas = int32(n)
	}
	if v, ok := f.vals["gracePeriodSeconds"]; ok {
		g, _ := p.integer(v, "api.gracePeriodSeconds", 0, 1<<40)
		r.GracePeriodSeconds = &g
	}
	if v, ok := f.vals["object"]; ok && info != nil {
		r.Object = p.apiObject(v, info)
	}
	return r, len(p.errs) == before
}

func (p *parser) apiObject(n *yaml.Node, info *store.KindInfo) store.Object {
	w, ok := p.toJSON(n)
	if !ok {
		return nil
	}
	obj := info.New()
	if err := json.Unmarshal(w.buf.Bytes(), obj); err != nil {
		p.errorf(n, "", "api.object: %v", err)
		return nil
	}
	return obj
}

// APIObject returns a fresh copy of the request's object (the runner hands
// it to the API server, which owns what it is given).
func (r *APIRequest) APIObject() store.Object {
	if r.Object == nil {
		return nil
	}
	return r.Object.DeepCopyObject().(store.Object)
}
