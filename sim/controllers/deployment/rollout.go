package deployment

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// rolloutRolling is one step of a rolling update: grow the new
// ReplicaSet within maxSurge, else shrink old ones within maxUnavailable,
// else (when complete) clean up history; then write status.
func (c *Controller) rolloutRolling(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, d, err := c.getAllReplicaSetsAndSyncRevision(d, rsList, true)
	if err != nil {
		return err
	}
	allRSs := append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	scaled, err := c.reconcileNewReplicaSet(allRSs, newRS, d)
	if err != nil {
		return err
	}
	if scaled {
		return c.syncRolloutStatus(allRSs, newRS, d)
	}
	scaled, err = c.reconcileOldReplicaSets(allRSs, activeRS(oldRSs), newRS, d)
	if err != nil {
		return err
	}
	if scaled {
		return c.syncRolloutStatus(allRSs, newRS, d)
	}
	if DeploymentComplete(d, &d.Status) {
		if err := c.cleanupDeployment(oldRSs, d); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(allRSs, newRS, d)
}

func (c *Controller) reconcileNewReplicaSet(allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) (bool, error) {
	want := replicas(d.Spec.Replicas)
	if *newRS.Spec.Replicas == want {
		return false, nil
	}
	if *newRS.Spec.Replicas > want {
		scaled, _, err := c.scaleAndRecord(newRS, want, d)
		return scaled, err
	}
	scaled, _, err := c.scaleAndRecord(newRS, newRSReplicas(d, allRSs, newRS), d)
	return scaled, err
}

// reconcileOldReplicaSets scales old ReplicaSets down: first their
// unhealthy pods (which cost no availability), then as many available
// ones as keep spec.replicas - maxUnavailable available.
func (c *Controller) reconcileOldReplicaSets(allRSs, oldRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) (bool, error) {
	if sumSpec(oldRSs) == 0 {
		return false, nil
	}
	minAvailable := replicas(d.Spec.Replicas) - MaxUnavailable(d)
	newUnavailable := *newRS.Spec.Replicas - newRS.Status.AvailableReplicas
	maxScaledDown := sumSpec(allRSs) - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	oldRSs, cleaned, err := c.cleanupUnhealthyReplicas(oldRSs, d, maxScaledDown)
	if err != nil {
		return false, err
	}
	allRSs = append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	down, err := c.scaleDownOldForRollingUpdate(allRSs, oldRSs, d)
	if err != nil {
		return false, err
	}
	return cleaned+down > 0, nil
}

func (c *Controller) cleanupUnhealthyReplicas(oldRSs []*appsv1.ReplicaSet, d *appsv1.Deployment, maxCleanup int32) ([]*appsv1.ReplicaSet, int32, error) {
	oldRSs = sortedRS(oldRSs, byCreation)
	var total int32
	for i, rs := range oldRSs {
		if total >= maxCleanup {
			break
		}
		if *rs.Spec.Replicas == 0 || *rs.Spec.Replicas == rs.Status.AvailableReplicas {
			continue
		}
		n := min(maxCleanup-total, *rs.Spec.Replicas-rs.Status.AvailableReplicas)
		_, out, err := c.scaleAndRecord(rs, *rs.Spec.Replicas-n, d)
		if err != nil {
			return nil, total, err
		}
		total += n
		oldRSs[i] = out
	}
	return oldRSs, total, nil
}

func (c *Controller) scaleDownOldForRollingUpdate(allRSs, oldRSs []*appsv1.ReplicaSet, d *appsv1.Deployment) (int32, error) {
	minAvailable := replicas(d.Spec.Replicas) - MaxUnavailable(d)
	available := sumStatus(allRSs, statusAvailable)
	if available <= minAvailable {
		return 0, nil
	}
	budget := available - minAvailable
	var total int32
	for _, rs := range sortedRS(oldRSs, byCreation) {
		if total >= budget {
			break
		}
		if *rs.Spec.Replicas == 0 {
			continue
		}
		n := min(*rs.Spec.Replicas, budget-total)
		if _, _, err := c.scaleAndRecord(rs, *rs.Spec.Replicas-n, d); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// rolloutRecreate scales every old ReplicaSet to zero, waits until none
// of their pods runs, then scales the new one to spec.replicas.
func (c *Controller) rolloutRecreate(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, d, err := c.getAllReplicaSetsAndSyncRevision(d, rsList, false)
	if err != nil {
		return err
	}
	allRSs := append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	scaled := false
	for _, rs := range activeRS(oldRSs) {
		s, _, err := c.scaleAndRecord(rs, 0, d)
		if err != nil {
			return err
		}
		scaled = scaled || s
	}
	if scaled || c.oldPodsRunning(newRS, oldRSs) {
		return c.syncRolloutStatus(allRSs, newRS, d)
	}
	if newRS == nil {
		if newRS, oldRSs, d, err = c.getAllReplicaSetsAndSyncRevision(d, rsList, true); err != nil {
			return err
		}
		allRSs = append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	}
	if _, _, err := c.scaleAndRecord(newRS, replicas(d.Spec.Replicas), d); err != nil {
		return err
	}
	if DeploymentComplete(d, &d.Status) {
		if err := c.cleanupDeployment(oldRSs, d); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(allRSs, newRS, d)
}

// oldPodsRunning reports whether an old ReplicaSet still reports pods, or
// any pod of one is not finished (terminating pods count: Recreate
// promises old and new never run together).
func (c *Controller) oldPodsRunning(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) bool {
	if sumStatus(oldRSs, statusReplicas) > 0 {
		return true
	}
	for _, rs := range oldRSs {
		if newRS != nil && rs.UID == newRS.UID {
			continue
		}
		for _, o := range controllerutil.ControlledBy(c.Store, "Pod", rs) {
			switch o.(*corev1.Pod).Status.Phase {
			case corev1.PodFailed, corev1.PodSucceeded:
			default:
				return true
			}
		}
	}
	return false
}

// scaleAndRecord scales rs to n (if it differs) and records the
// ScalingReplicaSet event.
func (c *Controller) scaleAndRecord(rs *appsv1.ReplicaSet, n int32, d *appsv1.Deployment) (bool, *appsv1.ReplicaSet, error) {
	if *rs.Spec.Replicas == n {
		return false, rs, nil
	}
	op := "up"
	if *rs.Spec.Replicas > n {
		op = "down"
	}
	return c.scaleReplicaSet(rs, n, d, op)
}

// scaleReplicaSet writes the new size and the desired/max replica
// annotations.
func (c *Controller) scaleReplicaSet(rs *appsv1.ReplicaSet, n int32, d *appsv1.Deployment, op string) (bool, *appsv1.ReplicaSet, error) {
	want := replicas(d.Spec.Replicas)
	maxR := want + MaxSurge(d)
	sizeChange := *rs.Spec.Replicas != n
	if !sizeChange && !replicasAnnotationsNeedUpdate(rs, want, maxR) {
		return false, rs, nil
	}
	old := *rs.Spec.Replicas
	cp := rs.DeepCopy()
	*cp.Spec.Replicas = n
	setReplicasAnnotations(cp, want, maxR)
	out, err := c.Client.Update(cp)
	if err != nil {
		return false, rs, err
	}
	nrs := out.(*appsv1.ReplicaSet)
	if sizeChange {
		c.Client.Event(d, corev1.EventTypeNormal, "ScalingReplicaSet", fmt.Sprintf("Scaled %s replica set %s from %d to %d", op, nrs.Name, old, n))
	}
	return sizeChange, nrs, nil
}

// syncRolloutStatus writes RolloutStatus and, while progressing, checks
// again when the progress deadline would pass.
func (c *Controller) syncRolloutStatus(allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) error {
	st := RolloutStatus(allRSs, newRS, d, c.now())
	if statusEqual(d.Status, st) {
		c.requeueStuck(d, st)
		return nil
	}
	_, err := c.writeStatus(d, st)
	return err
}

// requeueStuck checks the Deployment again when its progress deadline
// would pass (rate-limited when that is under a second away).
func (c *Controller) requeueStuck(d *appsv1.Deployment, st appsv1.DeploymentStatus) {
	key := store.KeyOf(d)
	switch after := stuckRecheckAfter(d, st, c.now()); {
	case after < 0:
	case after == 0:
		c.Queue.AddRateLimited(key)
	default:
		// A second more, as upstream, against sub-second skew.
		c.Queue.AddAfter(key, after+time.Second)
	}
}

// stuckRecheckAfter is upstream's requeueStuckDeployment: -1 when no
// progress check is needed (no deadline, no Progressing condition in the
// current status, the rollout complete or already timed out), 0 when the
// deadline is less than a second away or past, else the time until the
// condition's lastUpdateTime plus progressDeadlineSeconds.
func stuckRecheckAfter(d *appsv1.Deployment, st appsv1.DeploymentStatus, now time.Time) time.Duration {
	cond := getCondition(d.Status, appsv1.DeploymentProgressing)
	if !hasProgressDeadline(d) || cond == nil {
		return -1
	}
	if DeploymentComplete(d, &st) || cond.Reason == TimedOutReason {
		return -1
	}
	after := cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(now)
	if after < time.Second {
		return 0
	}
	return after
}

// cleanupDeployment deletes the oldest old ReplicaSets beyond
// revisionHistoryLimit, only those scaled to zero with no pods left.
func (c *Controller) cleanupDeployment(oldRSs []*appsv1.ReplicaSet, d *appsv1.Deployment) error {
	if d.Spec.RevisionHistoryLimit == nil {
		return nil
	}
	var alive []*appsv1.ReplicaSet
	for _, rs := range oldRSs {
		if rs != nil && rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	diff := int32(len(alive)) - *d.Spec.RevisionHistoryLimit
	if diff <= 0 {
		return nil
	}
	alive = sortedRS(alive, byRevision)
	for i := int32(0); i < diff; i++ {
		rs := alive[i]
		if rs.Status.Replicas != 0 || *rs.Spec.Replicas != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		err := c.Client.Delete("ReplicaSet", rs.Namespace, rs.Name, apiserver.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}
