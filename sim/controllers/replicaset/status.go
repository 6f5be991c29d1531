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
	var full, ready, avail int32
	for _, p := range active {
		if hasLabels(p.Labels, rs.Spec.Template.Labels) {
			full++
		}
		if podutil.IsReady(p) {
			ready++
			if podutil.IsAvailable(p, rs.Spec.MinReadySeconds, mnow) {
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

// hasLabels reports whether have contains every pair of want (the
// "fully labelled" test).
func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if w, ok := have[k]; !ok || w != v {
			return false
		}
	}
	return true
}
