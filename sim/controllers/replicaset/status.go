package replicaset

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
)

// CalculateStatus is the ReplicaSet's status given its active pods, the
// error of this sync's creates or deletes, and the time: counts of
// replicas, fully labelled, ready and available pods, and the
// ReplicaFailure condition while creates or deletes fail. It does not set
// observedGeneration.
func CalculateStatus(rs *appsv1.ReplicaSet, active []*corev1.Pod, manageErr error, now time.Time) appsv1.ReplicaSetStatus {
	mnow := metav1.NewTime(now)
	want := labelPairs(rs.Spec.Template.Labels)
	var n counts
	for _, p := range active {
		n.add(p, factsOf(p, want)|factActive, rs.Spec.MinReadySeconds, mnow) // counted as given
	}
	return statusOf(rs, n, manageErr, mnow)
}

// podFacts is what a ReplicaSet's status reads of one pod version, read
// once per version: the sync keeps them with its claimed pods
// (controllerutil.ClaimMemo), so a sync after one pod changed reads one
// pod, not all of them. Availability with minReadySeconds depends on the
// time and is not a fact.
type podFacts uint8

const (
	factActive       podFacts = 1 << iota // counts as a replica (podutil.IsActive)
	factFullyLabeled                      // carries every label of the template
	factReady                             // its Ready condition is True
)

// factsOf reads pod's facts; want are the template's labels (labelPairs).
func factsOf(p *corev1.Pod, want []labelPair) podFacts {
	var f podFacts
	if podutil.IsActive(p) {
		f |= factActive
	}
	if hasLabels(p.Labels, want) {
		f |= factFullyLabeled
	}
	if podutil.IsReady(p) {
		f |= factReady
	}
	return f
}

// counts are the replica counts of a ReplicaSet's status.
type counts struct{ replicas, full, ready, avail int32 }

// add counts pod p with facts f if it is active; minReadySeconds and now
// decide whether a ready pod is available.
func (n *counts) add(p *corev1.Pod, f podFacts, minReadySeconds int32, now metav1.Time) {
	if f&factActive == 0 {
		return
	}
	n.replicas++
	if f&factFullyLabeled != 0 {
		n.full++
	}
	if f&factReady != 0 {
		n.ready++
		if minReadySeconds == 0 || podutil.IsAvailable(p, minReadySeconds, now) {
			n.avail++
		}
	}
}

// statusOf is the status with counts n (see CalculateStatus).
func statusOf(rs *appsv1.ReplicaSet, n counts, manageErr error, now metav1.Time) appsv1.ReplicaSetStatus {
	st := rs.Status
	st.Conditions = append([]appsv1.ReplicaSetCondition(nil), rs.Status.Conditions...)
	failure := condition(st.Conditions, appsv1.ReplicaSetReplicaFailure)
	switch {
	case manageErr != nil && failure == nil:
		reason := controllerutil.FailedCreate
		if n.replicas > *rs.Spec.Replicas {
			reason = controllerutil.FailedDelete
		}
		st.Conditions = append(st.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue,
			LastTransitionTime: now, Reason: reason, Message: manageErr.Error(),
		})
	case manageErr == nil && failure != nil:
		st.Conditions = removeCondition(st.Conditions, appsv1.ReplicaSetReplicaFailure)
	}
	st.Replicas = n.replicas
	st.FullyLabeledReplicas = n.full
	st.ReadyReplicas = n.ready
	st.AvailableReplicas = n.avail
	return st
}

func condition(cs []appsv1.ReplicaSetCondition, t appsv1.ReplicaSetConditionType) *appsv1.ReplicaSetCondition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}

func removeCondition(cs []appsv1.ReplicaSetCondition, t appsv1.ReplicaSetConditionType) []appsv1.ReplicaSetCondition {
	var out []appsv1.ReplicaSetCondition
	for _, c := range cs {
		if c.Type != t {
			out = append(out, c)
		}
	}
	return out
}

func statusEqual(a, b appsv1.ReplicaSetStatus) bool {
	return a.Replicas == b.Replicas && a.FullyLabeledReplicas == b.FullyLabeledReplicas &&
		a.ReadyReplicas == b.ReadyReplicas && a.AvailableReplicas == b.AvailableReplicas &&
		a.ObservedGeneration == b.ObservedGeneration && equality.Semantic.DeepEqual(a.Conditions, b.Conditions)
}

// labelPair is one label of the template.
type labelPair struct{ key, value string }

// labelPairs lists a template's labels once per sync, so that the test of
// each pod does not iterate the template's map again.
func labelPairs(m map[string]string) []labelPair {
	out := make([]labelPair, 0, len(m))
	for k, v := range m {
		out = append(out, labelPair{k, v})
	}
	return out
}

// hasLabels reports whether have contains every pair of want (the
// "fully labelled" test).
func hasLabels(have map[string]string, want []labelPair) bool {
	for _, l := range want {
		if w, ok := have[l.key]; !ok || w != l.value {
			return false
		}
	}
	return true
}
