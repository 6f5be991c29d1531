package kubectl

import (
	"cmp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// Env is what a command runs against.
type Env struct {
	Engine *sim.Engine
	// Client writes to the API server (component "kubectl").
	Client *apiserver.Client
	// Rollback rolls a Deployment back to toRevision (0 = the previous
	// one); the deployment controller package provides it. Nil makes
	// rollout undo fail.
	Rollback func(ns, name string, toRevision int64) error
	// ReadFile returns the objects of a manifest for apply -f.
	ReadFile func(path string) ([]store.Object, error)
	// Done is called once when an asynchronous command (drain) finishes,
	// with the output printed after Run returned and the final error. It
	// is called only if Run returned a nil error, always from an engine
	// event, never from inside Run.
	Done func(output string, err error)
	// Progress, if set, receives asynchronous output as it is printed
	// (for a live view); Done still gets all of it at the end.
	Progress func(output string)
}

// Run executes the command. It returns what kubectl prints on stdout and
// an error worded as kubectl prints it on stderr; both can be non-empty
// when a multi-object command partly fails.
func (c *Command) Run(env *Env) (string, error) {
	if env == nil || env.Client == nil {
		return "", errorf("no cluster to run against")
	}
	r := &runner{c: c, env: env, st: env.Client.Server().Store()}
	switch c.Verb {
	case Scale:
		return r.scale()
	case Apply:
		return r.apply()
	case Delete:
		return r.delete()
	case Cordon, Uncordon:
		return r.cordon(c.Verb == Cordon)
	case Drain:
		return r.drain()
	case Taint:
		return r.taint()
	case Label, Annotate:
		return r.meta()
	case RolloutUndo:
		return r.rolloutUndo()
	case RolloutRestart:
		return r.rolloutRestart()
	case SetImage:
		return r.setImage()
	case CreateDeployment:
		return r.createDeployment()
	case Expose:
		return r.expose()
	case RunPod:
		return r.run()
	}
	return "", errorf("unknown command %q", c.Verb)
}

// runner carries one execution's state and accumulates its output.
type runner struct {
	c   *Command
	env *Env
	st  *store.Store
	out strings.Builder
}

func (r *runner) printf(line string) {
	r.out.WriteString(line)
	r.out.WriteByte('\n')
}

func (r *runner) ns() string {
	return cmp.Or(r.c.Namespace, metav1.NamespaceDefault)
}

// nsFor is the namespace of kind (empty for cluster-scoped kinds).
func (r *runner) nsFor(kind string) string {
	if info, ok := store.LookupKind(kind); ok && !info.Namespaced {
		return ""
	}
	return r.ns()
}

// get reads one object, with the API's NotFound error.
func (r *runner) get(t Target) (store.Object, error) {
	o, ok := r.st.Get(t.Kind, r.nsFor(t.Kind), t.Name)
	if !ok {
		info, _ := store.LookupKind(t.Kind)
		return nil, apierrors.NewNotFound(info.GroupResource(), t.Name)
	}
	return o, nil
}

// targets expands -l/--all into the matching objects' names; named targets
// are returned as given. A selector matching nothing prints kubectl's
// "No resources found".
func (r *runner) targets() []Target {
	if len(r.c.Targets) > 0 || r.c.Kind == "" {
		return r.c.Targets
	}
	sel := labels.Everything()
	if r.c.Selector != "" {
		sel, _ = labels.Parse(r.c.Selector)
	}
	var out []Target
	for _, o := range r.st.Select(r.c.Kind, r.nsFor(r.c.Kind), sel) {
		out = append(out, Target{Kind: r.c.Kind, Name: o.GetName()})
	}
	if len(out) == 0 {
		if ns := r.nsFor(r.c.Kind); ns != "" {
			r.printf("No resources found in " + ns + " namespace.")
		} else {
			r.printf("No resources found")
		}
	}
	return out
}

// each runs fn on every target, collecting kubectl-worded errors and
// carrying on like kubectl does with the remaining objects.
// eachObject is each over the targets' stored objects: a target that
// does not exist is an error of its own.
func (r *runner) eachObject(fn func(t Target, o store.Object) error) (string, error) {
	return r.each(func(t Target) error {
		o, err := r.get(t)
		if err != nil {
			return err
		}
		return fn(t, o)
	})
}

func (r *runner) each(fn func(t Target) error) (string, error) {
	var errs []error
	for _, t := range r.targets() {
		if err := fn(t); err != nil {
			errs = append(errs, serverError(err))
		}
	}
	return r.out.String(), joinErrors(errs)
}
