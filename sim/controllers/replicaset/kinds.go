package replicaset

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// kindAdapter is what the controller needs to know of the kind it keeps
// replicas of. Upstream's replication manager is the ReplicaSet
// controller run through a conversion layer (pkg/controller/replication/
// conversion.go); here the controller is the same code over a view: a
// ReplicaSet is its own view, a ReplicationController converts to one
// and its status converts back.
type kindAdapter struct {
	kind string
	// view is the object as a ReplicaSet sharing its metadata (name,
	// UID, generation): what the controller reads.
	view func(store.Object) *appsv1.ReplicaSet
	// withStatus is the request of a status write setting status on the
	// stored object: what the status subresource reads of it (name,
	// namespace, resourceVersion and the status). A ReplicaSet's is
	// carrier, the controller's own: the API server sets the status on a
	// copy of the stored version and keeps nothing of the request
	// (apiserver's TestUpdateStatusKeepsNoRequest), so no 1.4 KB copy of
	// the ReplicaSet is made per write (22,000 writes at 30,000 pods).
	withStatus func(carrier *appsv1.ReplicaSet, o store.Object, st appsv1.ReplicaSetStatus) store.Object
}

var replicaSets = kindAdapter{
	kind: "ReplicaSet",
	view: func(o store.Object) *appsv1.ReplicaSet { return o.(*appsv1.ReplicaSet) },
	withStatus: func(n *appsv1.ReplicaSet, o store.Object, st appsv1.ReplicaSetStatus) store.Object {
		rs := o.(*appsv1.ReplicaSet)
		n.Name, n.Namespace, n.ResourceVersion, n.Status = rs.Name, rs.Namespace, rs.ResourceVersion, st
		return n
	},
}

var replicationControllers = kindAdapter{
	kind:       "ReplicationController",
	view:       rcAsReplicaSet,
	withStatus: rcWithStatus,
}

// rcAsReplicaSet converts a ReplicationController to the ReplicaSet the
// controller works on: its selector map becomes matchLabels, a missing
// template an empty one (validation refuses it anyway).
func rcAsReplicaSet(o store.Object) *appsv1.ReplicaSet {
	rc := o.(*corev1.ReplicationController)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: rc.ObjectMeta,
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        rc.Spec.Replicas,
			MinReadySeconds: rc.Spec.MinReadySeconds,
			Selector:        &metav1.LabelSelector{MatchLabels: rc.Spec.Selector},
		},
		Status: appsv1.ReplicaSetStatus{
			Replicas:             rc.Status.Replicas,
			FullyLabeledReplicas: rc.Status.FullyLabeledReplicas,
			ReadyReplicas:        rc.Status.ReadyReplicas,
			AvailableReplicas:    rc.Status.AvailableReplicas,
			ObservedGeneration:   rc.Status.ObservedGeneration,
		},
	}
	if rc.Spec.Template != nil {
		rs.Spec.Template = *rc.Spec.Template
	}
	for _, c := range rc.Status.Conditions {
		rs.Status.Conditions = append(rs.Status.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return rs
}

// rcWithStatus is a copy of a ReplicationController carrying a ReplicaSet
// status converted back (the carrier is not used).
func rcWithStatus(_ *appsv1.ReplicaSet, o store.Object, st appsv1.ReplicaSetStatus) store.Object {
	n := *o.(*corev1.ReplicationController)
	n.Status = corev1.ReplicationControllerStatus{
		Replicas:             st.Replicas,
		FullyLabeledReplicas: st.FullyLabeledReplicas,
		ReadyReplicas:        st.ReadyReplicas,
		AvailableReplicas:    st.AvailableReplicas,
		ObservedGeneration:   st.ObservedGeneration,
	}
	for _, c := range st.Conditions {
		n.Status.Conditions = append(n.Status.Conditions, corev1.ReplicationControllerCondition{
			Type: corev1.ReplicationControllerConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return &n
}
