package deployment

import (
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Condition reasons, as upstream's deployment util.
const (
	NewReplicaSetReason        = "NewReplicaSetCreated"
	FoundNewRSReason           = "FoundNewReplicaSet"
	ReplicaSetUpdatedReason    = "ReplicaSetUpdated"
	NewRSAvailableReason       = "NewReplicaSetAvailable"
	TimedOutReason             = "ProgressDeadlineExceeded"
	FailedRSCreateReason       = "ReplicaSetCreateError"
	PausedDeployReason         = "DeploymentPaused"
	ResumedDeployReason        = "DeploymentResumed"
	MinimumReplicasAvailable   = "MinimumReplicasAvailable"
	MinimumReplicasUnavailable = "MinimumReplicasUnavailable"
)

// statusEqual is equality.Semantic.DeepEqual(a, b) written out for a
// DeploymentStatus: every field compared as Semantic compares it (the
// pointers by the values they point to, nil and empty condition lists
// alike, times by their instant: Semantic's a.UTC() == b.UTC() drops the
// monotonic reading and the location, which is what time.Time.Equal
// compares). Every sync compares the status it computed with the stored
// one, and the reflective DeepEqual allocated a dozen objects per
// comparison (5% of all allocations in the autoscaling day);
// TestStatusEqualIsSemanticDeepEqual holds the two to the same answers
// and fails when upstream adds a field.
func statusEqual(a, b appsv1.DeploymentStatus) bool {
	return a.ObservedGeneration == b.ObservedGeneration && a.Replicas == b.Replicas &&
		a.UpdatedReplicas == b.UpdatedReplicas && a.ReadyReplicas == b.ReadyReplicas &&
		a.AvailableReplicas == b.AvailableReplicas && a.UnavailableReplicas == b.UnavailableReplicas &&
		ptr.Equal(a.TerminatingReplicas, b.TerminatingReplicas) && ptr.Equal(a.CollisionCount, b.CollisionCount) &&
		slices.EqualFunc(a.Conditions, b.Conditions, conditionEqual)
}

func conditionEqual(a, b appsv1.DeploymentCondition) bool {
	return a.Type == b.Type && a.Status == b.Status && a.Reason == b.Reason && a.Message == b.Message &&
		a.LastUpdateTime.Time.Equal(b.LastUpdateTime.Time) && a.LastTransitionTime.Time.Equal(b.LastTransitionTime.Time)
}

// CalculateStatus is the Deployment's status from its ReplicaSets at now:
// replica counts and the Available condition. Other conditions are kept.
func CalculateStatus(allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment, now time.Time) appsv1.DeploymentStatus {
	avail := sumStatus(allRSs, statusAvailable)
	unavail := max(sumSpec(allRSs)-avail, 0)
	st := appsv1.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            sumStatus(allRSs, statusReplicas),
		UpdatedReplicas:     sumStatus([]*appsv1.ReplicaSet{newRS}, statusReplicas),
		ReadyReplicas:       sumStatus(allRSs, statusReady),
		AvailableReplicas:   avail,
		UnavailableReplicas: unavail,
		CollisionCount:      d.Status.CollisionCount,
		Conditions:          append([]appsv1.DeploymentCondition(nil), d.Status.Conditions...),
	}
	if avail >= replicas(d.Spec.Replicas)-MaxUnavailable(d) {
		setCondition(&st, newCondition(appsv1.DeploymentAvailable, corev1.ConditionTrue, MinimumReplicasAvailable, "Deployment has minimum availability.", now))
	} else {
		setCondition(&st, newCondition(appsv1.DeploymentAvailable, corev1.ConditionFalse, MinimumReplicasUnavailable, "Deployment does not have minimum availability.", now))
	}
	return st
}

// RolloutStatus is CalculateStatus plus the Progressing condition
// (progressing, complete or past its deadline) and the ReplicaFailure
// condition lifted from the ReplicaSets: upstream's syncRolloutStatus.
func RolloutStatus(allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment, now time.Time) appsv1.DeploymentStatus {
	st := CalculateStatus(allRSs, newRS, d, now)
	if !hasProgressDeadline(d) {
		removeCondition(&st, appsv1.DeploymentProgressing)
	}
	cur := getCondition(d.Status, appsv1.DeploymentProgressing)
	complete := st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == NewRSAvailableReason
	if hasProgressDeadline(d) && !complete {
		progressingCondition(&st, d, newRS, cur, now)
	}
	if fails := replicaFailures(allRSs, newRS); len(fails) > 0 {
		setCondition(&st, fails[0])
	} else {
		removeCondition(&st, appsv1.DeploymentReplicaFailure)
	}
	return st
}

func progressingCondition(st *appsv1.DeploymentStatus, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, cur *appsv1.DeploymentCondition, now time.Time) {
	// The message is built only on the branch taken, without fmt: %q of
	// a string is strconv.Quote.
	subject := func(verb string) string {
		if newRS != nil {
			return "ReplicaSet " + strconv.Quote(newRS.Name) + " " + verb
		}
		return "Deployment " + strconv.Quote(d.Name) + " " + verb
	}
	switch {
	case DeploymentComplete(d, st):
		setCondition(st, newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, NewRSAvailableReason, subject("has successfully progressed."), now))
	case deploymentProgressing(d, st):
		c := newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, ReplicaSetUpdatedReason, subject("is progressing."), now)
		if cur != nil && cur.Status == corev1.ConditionTrue {
			c.LastTransitionTime = cur.LastTransitionTime
		}
		putLast(st, c)
	case deploymentTimedOut(d, st, now):
		setCondition(st, newCondition(appsv1.DeploymentProgressing, corev1.ConditionFalse, TimedOutReason, subject("has timed out progressing."), now))
	}
}

// DeploymentComplete reports whether every replica is updated and
// available and the status reflects the latest generation.
func DeploymentComplete(d *appsv1.Deployment, st *appsv1.DeploymentStatus) bool {
	r := replicas(d.Spec.Replicas)
	return st.UpdatedReplicas == r && st.Replicas == r && st.AvailableReplicas == r && st.ObservedGeneration >= d.Generation
}

// deploymentProgressing reports whether st shows progress over the
// Deployment's current status: more updated, ready or available pods, or
// fewer old ones.
func deploymentProgressing(d *appsv1.Deployment, st *appsv1.DeploymentStatus) bool {
	o := d.Status
	return st.UpdatedReplicas > o.UpdatedReplicas || st.Replicas-st.UpdatedReplicas < o.Replicas-o.UpdatedReplicas ||
		st.ReadyReplicas > o.ReadyReplicas || st.AvailableReplicas > o.AvailableReplicas
}

func deploymentTimedOut(d *appsv1.Deployment, st *appsv1.DeploymentStatus, now time.Time) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	c := getCondition(*st, appsv1.DeploymentProgressing)
	if c == nil || c.Reason == NewRSAvailableReason {
		return false
	}
	if c.Reason == TimedOutReason {
		return true
	}
	return c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Before(now)
}

func replicaFailures(allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) []appsv1.DeploymentCondition {
	var out []appsv1.DeploymentCondition
	collect := func(rs *appsv1.ReplicaSet) {
		for _, c := range rs.Status.Conditions {
			if c.Type == appsv1.ReplicaSetReplicaFailure {
				out = append(out, appsv1.DeploymentCondition{
					Type: appsv1.DeploymentReplicaFailure, Status: c.Status, Reason: c.Reason, Message: c.Message,
					LastUpdateTime: c.LastTransitionTime, LastTransitionTime: c.LastTransitionTime,
				})
			}
		}
	}
	if newRS != nil {
		collect(newRS)
		if len(out) > 0 {
			return out
		}
	}
	for _, rs := range allRSs {
		if rs != nil {
			collect(rs)
		}
	}
	return out
}

func newCondition(t appsv1.DeploymentConditionType, s corev1.ConditionStatus, reason, msg string, now time.Time) appsv1.DeploymentCondition {
	mt := metav1.NewTime(now)
	return appsv1.DeploymentCondition{Type: t, Status: s, Reason: reason, Message: msg, LastUpdateTime: mt, LastTransitionTime: mt}
}

func getCondition(st appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

// setCondition sets c unless a condition of its type with the same status
// and reason exists; lastTransitionTime survives a reason change.
func setCondition(st *appsv1.DeploymentStatus, c appsv1.DeploymentCondition) {
	cur := getCondition(*st, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return
	}
	if cur != nil && cur.Status == c.Status {
		c.LastTransitionTime = cur.LastTransitionTime
	}
	removeCondition(st, c.Type)
	st.Conditions = append(st.Conditions, c)
}

// putLast is removeCondition(st, c.Type) then appending c, in place: for
// a status whose conditions are its own (RolloutStatus' copy), updated
// on most syncs of a rollout without allocating twice.
func putLast(st *appsv1.DeploymentStatus, c appsv1.DeploymentCondition) {
	cs := st.Conditions
	for i := range cs {
		if cs[i].Type == c.Type {
			copy(cs[i:], cs[i+1:])
			cs[len(cs)-1] = c
			return
		}
	}
	st.Conditions = append(cs, c)
}

func removeCondition(st *appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) {
	if getCondition(*st, t) == nil {
		return // nothing to remove (ReplicaFailure, on almost every sync): no copy
	}
	out := st.Conditions[:0:0]
	for _, c := range st.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	st.Conditions = out
}
