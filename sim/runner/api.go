package runner

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// api performs a recorded Kubernetes API write through the simulated API
// server and notes it in the timeline. It returns the object as the API
// answers it: the stored object after the write (for a delete, the object
// being deleted, or its last version once gone).
func (r *Running) api(a *scenarios.APIRequest) (store.Object, error) {
	user := a.User
	if user == "" {
		user = "kubectl"
	}
	c := r.Cluster.Client(user)
	st := r.Cluster.Store
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
	r.note("Action", "api "+a.Verb, strings.ToLower(a.Kind)+"/"+name, "", err)
	return obj, err
}

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
		obj, err = r.api(req)
	})
	for !done && e.Step() {
	}
	return req, obj, err
}
