package deployment

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
)

// sync reconciles one Deployment, as upstream's syncDeployment: claim its
// ReplicaSets, then either only scale (paused, or spec.replicas changed)
// or roll out with the strategy, and write status. The Deployment read
// from the store is never modified; each write returns the next version.
func (c *Controller) sync(key string) error {
	d, ok := controllerutil.Get[*appsv1.Deployment](c.Store, "Deployment", key)
	if !ok {
		return nil
	}
	sel, err := c.sels.Selector(d.UID, d.Spec.Selector)
	if err != nil {
		return nil
	}
	if sel.Empty() {
		c.Client.Event(d, corev1.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			st := d.Status
			st.ObservedGeneration = d.Generation
			_, err := c.writeStatus(d, st)
			return err
		}
		return nil
	}
	claimed, err := controllerutil.Claim(c.Client, "ReplicaSet", d, "Deployment", sel, d.Spec.Selector.MatchLabels)
	if err != nil {
		return err
	}
	rsList := make([]*appsv1.ReplicaSet, len(claimed))
	for i, o := range claimed {
		rsList[i] = o.(*appsv1.ReplicaSet)
	}
	if d.DeletionTimestamp != nil {
		return c.syncStatusOnly(d, rsList)
	}
	if d, err = c.checkPausedConditions(d); err != nil {
		return err
	}
	if d.Spec.Paused || c.isScalingEvent(d, rsList) {
		return c.syncScale(d, rsList)
	}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return c.rolloutRecreate(d, rsList)
	}
	return c.rolloutRolling(d, rsList)
}

// writeStatus replaces the Deployment's status and returns the stored
// result. The request carries only what the status subresource reads of
// it (name, namespace, resourceVersion and the status): the API server
// sets the status on a copy of the stored version and keeps nothing of
// the request (apiserver's TestUpdateStatusKeepsNoRequest), so the
// carrier is the controller's own, reused for each write, not a 1 KB copy
// of the Deployment per write (20,000 writes at 30,000 pods).
func (c *Controller) writeStatus(d *appsv1.Deployment, st appsv1.DeploymentStatus) (*appsv1.Deployment, error) {
	n := &c.carrier
	n.Name, n.Namespace, n.ResourceVersion, n.Status = d.Name, d.Namespace, d.ResourceVersion, st
	out, err := c.Client.UpdateStatus(n)
	*n = appsv1.Deployment{} // it holds no status between writes
	if err != nil {
		return d, err
	}
	return out.(*appsv1.Deployment), nil
}

func (c *Controller) syncStatusOnly(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, d, err := c.getAllReplicaSetsAndSyncRevision(d, rsList, false)
	if err != nil {
		return err
	}
	return c.syncDeploymentStatus(append(oldRSs, newRS), newRS, d)
}

func (c *Controller) syncDeploymentStatus(allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) error {
	st := CalculateStatus(allRSs, newRS, d, c.now())
	if statusEqual(d.Status, st) {
		return nil
	}
	_, err := c.writeStatus(d, st)
	return err
}

// checkPausedConditions records pausing and resuming in the Progressing
// condition (which stops the progress deadline while paused).
func (c *Controller) checkPausedConditions(d *appsv1.Deployment) (*appsv1.Deployment, error) {
	if !hasProgressDeadline(d) {
		return d, nil
	}
	cond := getCondition(d.Status, appsv1.DeploymentProgressing)
	if cond != nil && cond.Reason == TimedOutReason {
		return d, nil
	}
	paused := cond != nil && cond.Reason == PausedDeployReason
	if d.Spec.Paused == paused {
		return d, nil // nothing to record (every sync of a running Deployment): no copy
	}
	st := d.Status
	st.Conditions = append([]appsv1.DeploymentCondition(nil), d.Status.Conditions...)
	if d.Spec.Paused {
		setCondition(&st, newCondition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, PausedDeployReason, "Deployment is paused", c.now()))
	} else {
		setCondition(&st, newCondition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, ResumedDeployReason, "Deployment is resumed", c.now()))
	}
	return c.writeStatus(d, st)
}

// isScalingEvent reports whether spec.replicas differs from what an
// active ReplicaSet was last sized for (its desired-replicas annotation).
func (c *Controller) isScalingEvent(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) bool {
	for _, rs := range activeRS(rsList) {
		if desired, ok := intAnnotation(rs, DesiredReplicasAnnotation); ok && desired != replicas(d.Spec.Replicas) {
			return true
		}
	}
	return false
}

// findNewRS is the oldest ReplicaSet whose template equals the
// Deployment's apart from the hash label.
func (c *Controller) findNewRS(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	var best *appsv1.ReplicaSet
	for _, rs := range rsList {
		if c.equalIgnoreHash(rs, d) && (best == nil || byCreation(rs, best) < 0) {
			best = rs
		}
	}
	return best
}

// getAllReplicaSetsAndSyncRevision splits the ReplicaSets into the new one
// (created if asked and missing) and all old ones, bringing revision
// annotations up to date on the new ReplicaSet and the Deployment.
func (c *Controller) getAllReplicaSetsAndSyncRevision(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet, create bool) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet, *appsv1.Deployment, error) {
	existing := c.findNewRS(d, rsList)
	var oldRSs []*appsv1.ReplicaSet
	for _, rs := range rsList {
		if rs != existing {
			oldRSs = append(oldRSs, rs)
		}
	}
	oldRSs = sortedRS(oldRSs, byCreation)
	newRevision := maxRevision(oldRSs) + 1
	if existing != nil {
		newRS, d, err := c.syncExistingNewRS(d, existing, newRevision)
		return newRS, oldRSs, d, err
	}
	if !create {
		return nil, oldRSs, d, nil
	}
	newRS, d, err := c.createNewRS(d, oldRSs, newRevision)
	return newRS, oldRSs, d, err
}

func (c *Controller) syncExistingNewRS(d *appsv1.Deployment, rs *appsv1.ReplicaSet, newRevision int64) (*appsv1.ReplicaSet, *appsv1.Deployment, error) {
	// newRSAnnotations of an existing ReplicaSet changes its annotations
	// only, in a copy of the map it makes if one changes: the ReplicaSet
	// is deep-copied only when it is written (not on every sync).
	probe := *rs
	changed := newRSAnnotations(d, &probe, newRevision, true)
	if changed || rs.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
		cp := rs.DeepCopy()
		if changed {
			cp.Annotations = probe.Annotations
		}
		cp.Spec.MinReadySeconds = d.Spec.MinReadySeconds
		out, err := c.Client.Update(cp)
		if err != nil {
			return rs, d, err
		}
		return out.(*appsv1.ReplicaSet), d, nil
	}
	d, err := c.setDeploymentRevision(d, rs.Annotations[RevisionAnnotation])
	if err != nil {
		return rs, d, err
	}
	if hasProgressDeadline(d) && getCondition(d.Status, appsv1.DeploymentProgressing) == nil {
		d, err = c.writeProgressing(d, corev1.ConditionTrue, FoundNewRSReason, fmt.Sprintf("Found new replica set %q", rs.Name))
	}
	return rs, d, err
}

// setDeploymentRevision writes the revision annotation on the Deployment
// if it changed (kubectl rollout history reads it).
func (c *Controller) setDeploymentRevision(d *appsv1.Deployment, rev string) (*appsv1.Deployment, error) {
	if rev == "" || d.Annotations[RevisionAnnotation] == rev {
		return d, nil
	}
	cp := d.DeepCopy()
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations[RevisionAnnotation] = rev
	out, err := c.Client.Update(cp)
	if err != nil {
		return d, err
	}
	return out.(*appsv1.Deployment), nil
}

// createNewRS creates "<deployment>-<hash>" with the pod-template-hash
// label on its labels, selector and template, sized by the strategy.
func (c *Controller) createNewRS(d *appsv1.Deployment, oldRSs []*appsv1.ReplicaSet, newRevision int64) (*appsv1.ReplicaSet, *appsv1.Deployment, error) {
	rs := newReplicaSet(d)
	*rs.Spec.Replicas = newRSReplicas(d, append(oldRSs, rs), rs)
	newRSAnnotations(d, rs, newRevision, false)
	out, err := c.Client.Create(rs)
	switch {
	case apierrors.IsAlreadyExists(err):
		return c.onNameTaken(d, rs)
	case err != nil:
		return nil, d, c.failedRSCreate(d, rs.Name, err)
	}
	created := out.(*appsv1.ReplicaSet)
	if n := *created.Spec.Replicas; n > 0 {
		c.Client.Event(d, corev1.EventTypeNormal, "ScalingReplicaSet", fmt.Sprintf("Scaled up replica set %s from 0 to %d", created.Name, n))
	}
	d, err = c.setDeploymentRevision(d, strconv.FormatInt(newRevision, 10))
	if err != nil {
		return created, d, err
	}
	if hasProgressDeadline(d) {
		d, err = c.writeProgressing(d, corev1.ConditionTrue, NewReplicaSetReason, fmt.Sprintf("Created new replica set %q", created.Name))
	}
	return created, d, err
}

func newReplicaSet(d *appsv1.Deployment) *appsv1.ReplicaSet {
	tmpl := d.Spec.Template.DeepCopy()
	hash := controllerutil.ComputeHash(tmpl, d.Status.CollisionCount)
	tmpl.Labels = controllerutil.CloneAndAddLabel(d.Spec.Template.Labels, HashLabel, hash)
	sel := d.Spec.Selector.DeepCopy()
	sel.MatchLabels = controllerutil.CloneAndAddLabel(sel.MatchLabels, HashLabel, hash)
	zero := int32(0)
	ref := controllerutil.NewControllerRef(d, "Deployment")
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: d.Name + "-" + hash, Namespace: d.Namespace,
			OwnerReferences: []metav1.OwnerReference{ref}, Labels: tmpl.Labels,
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: &zero, MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: *tmpl},
	}
}

// onNameTaken handles a ReplicaSet name that exists: ours with the same
// template is simply the new ReplicaSet; anything else is a hash
// collision, counted in status.collisionCount so the next hash differs.
func (c *Controller) onNameTaken(d *appsv1.Deployment, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, *appsv1.Deployment, error) {
	o, ok := c.Store.Get("ReplicaSet", rs.Namespace, rs.Name)
	if ok {
		ex := o.(*appsv1.ReplicaSet)
		if ref := podutil.ControllerOf(ex); ref != nil && ref.UID == d.UID && EqualIgnoreHash(&d.Spec.Template, &ex.Spec.Template) {
			return ex, d, nil
		}
	}
	st := d.Status
	n := int32(0)
	if st.CollisionCount != nil {
		n = *st.CollisionCount
	}
	n++
	st.CollisionCount = &n
	if _, err := c.writeStatus(d, st); err != nil {
		return nil, d, err
	}
	return nil, d, fmt.Errorf("deployment: hash collision for replica set %q", rs.Name)
}

func (c *Controller) failedRSCreate(d *appsv1.Deployment, name string, err error) error {
	msg := fmt.Sprintf("Failed to create new replica set %q: %v", name, err)
	if hasProgressDeadline(d) {
		_, _ = c.writeProgressing(d, corev1.ConditionFalse, FailedRSCreateReason, msg)
	}
	c.Client.Event(d, corev1.EventTypeWarning, FailedRSCreateReason, msg)
	return err
}

// newRSReplicas is the size the new ReplicaSet may grow to now: for a
// rolling update as far as maxSurge allows over the sum of all
// ReplicaSets, never beyond spec.replicas; for Recreate spec.replicas.
func newRSReplicas(d *appsv1.Deployment, allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) int32 {
	want := replicas(d.Spec.Replicas)
	if d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
		return want
	}
	surge := MaxSurge(d)
	current := sumSpec(allRSs)
	maxTotal := want + surge
	if current >= maxTotal {
		return *newRS.Spec.Replicas
	}
	up := min(maxTotal-current, want-*newRS.Spec.Replicas)
	return *newRS.Spec.Replicas + up
}

// writeProgressing writes d's status with its Progressing condition set
// to status, reason and message.
func (c *Controller) writeProgressing(d *appsv1.Deployment, status corev1.ConditionStatus, reason, msg string) (*appsv1.Deployment, error) {
	st := d.Status
	st.Conditions = append([]appsv1.DeploymentCondition(nil), d.Status.Conditions...)
	setCondition(&st, newCondition(appsv1.DeploymentProgressing, status, reason, msg, c.now()))
	return c.writeStatus(d, st)
}
