package deployment

import (
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// ErrSkipped is returned (wrapped) by Rollback when the Deployment already
// runs the requested revision; kubectl prints it and exits 0.
type ErrSkipped struct{ Revision int64 }

func (e ErrSkipped) Error() string {
	return fmt.Sprintf("skipped rollback (current template already matches revision %d)", e.Revision)
}

// Rollback is `kubectl rollout undo deployment/<name> [--to-revision=N]`:
// find the ReplicaSet of revision toRevision (0: the previous revision),
// copy its pod template, minus the pod-template-hash label, and its
// annotations into the Deployment and update it. The controller then
// rolls out as for any template change, reusing that ReplicaSet.
func Rollback(client *apiserver.Client, st *store.Store, ns, name string, toRevision int64) error {
	o, err := client.Get("Deployment", ns, name)
	if err != nil {
		return err
	}
	d := o.(*appsv1.Deployment)
	if d.Spec.Paused {
		return fmt.Errorf("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/%s' and try again", name)
	}
	rs, err := revisionRS(st, d, toRevision)
	if err != nil {
		return err
	}
	if EqualIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
		r, _ := Revision(rs)
		return ErrSkipped{Revision: r}
	}
	cp := d.DeepCopy()
	cp.Spec.Template = *rs.Spec.Template.DeepCopy()
	delete(cp.Spec.Template.Labels, HashLabel)
	ann := map[string]string{}
	for k := range skipCopy {
		if v, ok := d.Annotations[k]; ok {
			ann[k] = v
		}
	}
	for k, v := range rs.Annotations {
		if !skipCopy[k] {
			ann[k] = v
		}
	}
	cp.Annotations = ann
	_, err = client.Update(cp)
	return err
}

// revisionRS is kubectl's deploymentRevision: the ReplicaSet with the
// given revision, or for 0 the one with the second-highest revision.
func revisionRS(st *store.Store, d *appsv1.Deployment, toRevision int64) (*appsv1.ReplicaSet, error) {
	var latest, previous *appsv1.ReplicaSet
	latestRev, previousRev := int64(-1), int64(-1)
	for _, o := range controllerutil.ControlledBy(st, "ReplicaSet", d) {
		rs := o.(*appsv1.ReplicaSet)
		v, err := Revision(rs)
		if err != nil {
			continue
		}
		switch {
		case toRevision > 0:
			if v == toRevision {
				return rs, nil
			}
		case latestRev < v:
			previousRev, previous = latestRev, latest
			latestRev, latest = v, rs
		case previousRev < v:
			previousRev, previous = v, rs
		}
	}
	if toRevision > 0 {
		return nil, fmt.Errorf("unable to find specified revision %d in history", toRevision)
	}
	if previous == nil {
		return nil, fmt.Errorf("no rollout history found for deployment %q", d.Name)
	}
	return previous, nil
}

// Restart is `kubectl rollout restart deployment/<name>`: stamp the pod
// template with kubectl.kubernetes.io/restartedAt (RFC 3339, virtual
// time), which changes the template and so rolls every pod.
func Restart(client *apiserver.Client, ns, name string) error {
	o, err := client.Get("Deployment", ns, name)
	if err != nil {
		return err
	}
	d := o.(*appsv1.Deployment)
	if d.Spec.Paused {
		return errors.New("can't restart paused deployment (run rollout resume first)")
	}
	cp := d.DeepCopy()
	if cp.Spec.Template.Annotations == nil {
		cp.Spec.Template.Annotations = map[string]string{}
	}
	cp.Spec.Template.Annotations[RestartedAtAnnotation] = client.Server().Now().Format(time.RFC3339)
	_, err = client.Update(cp)
	return err
}
