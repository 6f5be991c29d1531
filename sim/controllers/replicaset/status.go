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
	st := rs.Status
	st.Conditions = append([]appsv1.ReplicaSetCondition(nil), rs.Status.Conditions...)
	mnow := metav1.NewTime(now)
	want := labelPairs(rs.Spec.Template.Labels)
	var full, ready, avail int32
	for _, p := range active {
		if hasLabels(p.Labels, want) {
			full++
		}
		if podutil.IsReady(p) {
			ready++
			if rs.Spec.MinReadySeconds == 0 || podutil.IsAvailable(p, rs.Spec.MinReadySeconds, mnow) {
				avail++
			}
		}
	}
	failure := condition(st.Conditions, appsv1.ReplicaSetReplicaFailure)
	switch {
	case manageErr != nil && failure == nil:
		reason := controllerutil.FailedCreate
		if len(active) > int(*rs.Spec.Replicas) {
			reason = controllerutil.FailedDelete
		}
		st.Conditions = append(st.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue,
			LastTransitionTime: mnow, Reason: reason, Message: manageErr.Error(),
		})
	case manageErr == nil && failure != nil:
		st.Conditions = removeCondition(st.Conditions, appsv1.ReplicaSetReplicaFailure)
	}
	st.Replicas = int32(len(active))
	st.FullyLabeledReplicas = full
	st.ReadyReplicas = ready
	st.AvailableReplicas = avail
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
