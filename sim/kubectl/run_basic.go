package kubectl

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

func (r *runner) scale() (string, error) {
	return r.eachObject(func(t Target, o store.Object) error {
		if want := r.c.CurrentReplicas; want >= 0 {
			if cur := replicasOf(o); cur != want {
				return errorf("Expected replicas to be %d, was %d", want, cur)
			}
		}
		if err := r.env.Client.Scale(t.Kind, r.nsFor(t.Kind), t.Name, r.c.Replicas); err != nil {
			return err
		}
		r.printf(ref(t.Kind, t.Name) + " scaled")
		return nil
	})
}

func replicasOf(o store.Object) int32 {
	var p *int32
	switch w := o.(type) {
	case *appsv1.Deployment:
		p = w.Spec.Replicas
	case *appsv1.ReplicaSet:
		p = w.Spec.Replicas
	case *appsv1.StatefulSet:
		p = w.Spec.Replicas
	case *corev1.ReplicationController:
		p = w.Spec.Replicas
	}
	if p == nil {
		return 1
	}
	return *p
}

// forceWarning is what kubectl prints before a --force deletion.
const forceWarning = "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely."

// delete deletes the targets; kubectl's default --wait would block until
// they are gone, the simulator reports at once (their finalisation shows
// in the trace).
func (r *runner) delete() (string, error) {
	var opts apiserver.DeleteOptions
	op := "deleted"
	if r.c.GracePeriod >= 0 {
		g := r.c.GracePeriod
		opts.GracePeriodSeconds = &g
	}
	if r.c.GracePeriod == 0 {
		op = "force deleted"
	}
	var errs []error
	warned := false
	for _, t := range r.targets() {
		if r.c.Force && !warned {
			r.printf(forceWarning)
			warned = true
		}
		err := r.env.Client.Delete(t.Kind, r.nsFor(t.Kind), t.Name, opts)
		if apierrors.IsNotFound(err) && r.c.IgnoreNotFound {
			continue
		}
		if err != nil {
			errs = append(errs, serverError(err))
			continue
		}
		r.printf(fmt.Sprintf("%s %q %s", kindString(t.Kind), t.Name, op))
	}
	return r.out.String(), joinErrors(errs)
}

// cordon sets or clears spec.unschedulable like kubectl cordon/uncordon.
func (r *runner) cordon(desired bool) (string, error) {
	return r.each(func(t Target) error {
		msg, err := r.setUnschedulable(t.Name, desired)
		if err != nil {
			return err
		}
		r.printf(msg)
		return nil
	})
}

// setUnschedulable returns kubectl's report: "node/x cordoned" or
// "node/x already cordoned".
func (r *runner) setUnschedulable(name string, desired bool) (string, error) {
	word := "cordoned"
	if !desired {
		word = "uncordoned"
	}
	o, err := r.get(Target{Kind: "Node", Name: name})
	if err != nil {
		return "", err
	}
	n := o.(*corev1.Node)
	if n.Spec.Unschedulable == desired {
		return ref("Node", name) + " already " + word, nil
	}
	cp := n.DeepCopy()
	cp.Spec.Unschedulable = desired
	if _, err := r.env.Client.Update(cp); err != nil {
		return "", err
	}
	return ref("Node", name) + " " + word, nil
}
