package action

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// API is one write made through the Kubernetes API (`kubesim serve`, i.e.
// the real kubectl or client-go), as the session recorded it. It is
// already resolved: a patch is stored as the object it produced, so
// replaying it needs neither HTTP nor the patch machinery, only the
// simulated API server's client call.
type API struct {
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

func (*API) ActionName() string { return "api" }

// APIVerbs are the verbs of an API action.
var APIVerbs = []string{"create", "update", "status", "delete", "bind", "evict", "scale"}

var apiFields = []string{"verb", "user", "kind", "namespace", "name", "object", "node", "replicas", "gracePeriodSeconds", "propagationPolicy"}

func init() {
	Register(Entry[*API]{
		Example:     "{verb: delete, kind: Pod, namespace: default, name: web-1}",
		Fields:      apiFields,
		ParseFields: parseAPI,
		Run:         func(env *Env, a *API) { _, _ = RunAPI(env, a) }, // the outcome is noted
		Write:       writeAPI,
	})
}

// parseAPI reads a recorded API request. The object is decoded as the API
// server received it (not validated here: a refused write is part of the
// recorded story and fails again, the same way, on replay).
func parseAPI(d Decoder, f *Fields) (*API, bool) {
	var ok bool
	before := d.Errors()
	r := &API{}
	if r.Verb, ok = d.RequiredString(f, "verb", "api"); ok && !slices.Contains(APIVerbs, r.Verb) {
		d.Errorf(f.Vals["verb"], textdist.DidYouMean(r.Verb, APIVerbs, "verbs"), "api: unknown verb %q", r.Verb)
	}
	var info *store.KindInfo
	if r.Kind, ok = d.RequiredString(f, "kind", "api"); ok {
		if info, ok = store.LookupKind(r.Kind); !ok {
			d.Errorf(f.Vals["kind"], textdist.DidYouMean(r.Kind, store.Kinds(), "kinds"), "api: unknown kind %q", r.Kind)
		}
	}
	for _, s := range []struct {
		name string
		dst  *string
	}{{"user", &r.User}, {"namespace", &r.Namespace}, {"name", &r.Name}, {"node", &r.Node}, {"propagationPolicy", &r.Propagation}} {
		if v, ok := f.Vals[s.name]; ok {
			*s.dst, _ = d.String(v, "api."+s.name)
		}
	}
	if v, ok := f.Vals["replicas"]; ok {
		n, _ := d.Integer(v, "api.replicas", 0, 1<<31-1)
		r.Replicas = int32(n)
	}
	if v, ok := f.Vals["gracePeriodSeconds"]; ok {
		g, _ := d.Integer(v, "api.gracePeriodSeconds", 0, 1<<40)
		r.GracePeriodSeconds = &g
	}
	if v, ok := f.Vals["object"]; ok && info != nil {
		obj := info.New()
		if d.Object(v, "api.object", obj) {
			r.Object = obj
		}
	}
	return r, d.Errors() == before
}

// APIObject returns a fresh copy of the request's object (the API server
// owns what it is given).
func (r *API) APIObject() store.Object {
	if r.Object == nil {
		return nil
	}
	return r.Object.DeepCopyObject().(store.Object)
}

// RunAPI performs a recorded Kubernetes API write through the simulated
// API server and notes it. It returns the object as the API answers it:
// the stored object after the write (for a delete, the object being
// deleted, or its last version once gone).
func RunAPI(env *Env, a *API) (store.Object, error) {
	user := cmp.Or(a.User, "kubectl")
	c := env.Cluster.Client(user)
	st := env.Cluster.Store
	var obj store.Object
	var err error
	name := a.Name
	switch a.Verb {
	case "create":
		obj, err = c.Create(a.APIObject())
		if err == nil {
			name = obj.GetName()
		}
	case "update":
		obj, err = c.Update(a.APIObject())
	case "status":
		obj, err = c.UpdateStatus(a.APIObject())
	case "delete", "evict":
		old, _ := st.Get(a.Kind, a.Namespace, a.Name)
		opts := apiserver.DeleteOptions{GracePeriodSeconds: a.GracePeriodSeconds, Propagation: metav1.DeletionPropagation(a.Propagation)}
		if a.Verb == "delete" {
			err = c.Delete(a.Kind, a.Namespace, a.Name, opts)
		} else {
			err = c.EvictWithOptions(a.Namespace, a.Name, opts)
		}
		obj = old
		if cur, ok := st.Get(a.Kind, a.Namespace, a.Name); ok {
			obj = cur
		}
	case "bind":
		err = c.Bind(a.Namespace, a.Name, a.Node)
		obj, _ = st.Get(a.Kind, a.Namespace, a.Name)
	case "scale":
		err = c.Scale(a.Kind, a.Namespace, a.Name, a.Replicas)
		obj, _ = st.Get(a.Kind, a.Namespace, a.Name)
	}
	env.Note("api "+a.Verb, strings.ToLower(a.Kind)+"/"+name, "", err)
	return obj, err
}

// writeAPI renders a recorded API write as a timeline entry's value.
func writeAPI(r *API) (any, error) {
	m := map[string]any{"verb": r.Verb, "kind": r.Kind}
	for _, kv := range [][2]string{{"user", r.User}, {"namespace", r.Namespace}, {"name", r.Name}, {"node", r.Node}, {"propagationPolicy", r.Propagation}} {
		if kv[1] != "" {
			m[kv[0]] = kv[1]
		}
	}
	if r.Verb == "scale" || r.Replicas != 0 {
		m["replicas"] = int64(r.Replicas)
	}
	if r.GracePeriodSeconds != nil {
		m["gracePeriodSeconds"] = *r.GracePeriodSeconds
	}
	if r.Object != nil {
		obj, err := ObjectMap(r.Object)
		if err != nil {
			return nil, err
		}
		m["object"] = obj
	}
	return m, nil
}

// ObjectMap is the whole object (status and server-set metadata included:
// an update carries its resourceVersion) as plain YAML-encodable values,
// integers kept as integers.
func ObjectMap(o store.Object) (map[string]any, error) {
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
