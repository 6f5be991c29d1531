package kubeapi

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
)

// toEventsV1 is the events.k8s.io/v1 view of a core/v1 Event (the same
// object in etcd, served in two API groups).
func toEventsV1(o store.Object) any {
	ev := o.(*corev1.Event)
	out := &eventsv1.Event{
		TypeMeta:   metav1.TypeMeta{APIVersion: "events.k8s.io/v1", Kind: "Event"},
		ObjectMeta: *objectMeta(ev),
		EventTime:  ev.EventTime, ReportingController: ev.ReportingController, ReportingInstance: ev.ReportingInstance,
		Action: ev.Action, Reason: ev.Reason, Regarding: ev.InvolvedObject, Related: ev.Related,
		Note: ev.Message, Type: ev.Type,
		DeprecatedSource: ev.Source, DeprecatedFirstTimestamp: ev.FirstTimestamp,
		DeprecatedLastTimestamp: ev.LastTimestamp, DeprecatedCount: ev.Count,
	}
	if out.EventTime.IsZero() {
		out.EventTime = metav1.NewMicroTime(ev.FirstTimestamp.Time)
	}
	if out.ReportingController == "" {
		out.ReportingController = ev.Source.Component
	}
	if ev.Series != nil {
		out.Series = &eventsv1.EventSeries{Count: ev.Series.Count, LastObservedTime: ev.Series.LastObservedTime}
	}
	return out
}

// workloadScale reads the scale subresource's fields of a workload.
func workloadScale(o store.Object) (spec, status int32, sel *metav1.LabelSelector) {
	switch w := o.(type) {
	case *appsv1.Deployment:
		return ptr.Deref(w.Spec.Replicas, 1), w.Status.Replicas, w.Spec.Selector
	case *appsv1.ReplicaSet:
		return ptr.Deref(w.Spec.Replicas, 1), w.Status.Replicas, w.Spec.Selector
	case *appsv1.StatefulSet:
		return ptr.Deref(w.Spec.Replicas, 1), w.Status.Replicas, w.Spec.Selector
	case *corev1.ReplicationController:
		return ptr.Deref(w.Spec.Replicas, 1), w.Status.Replicas, metav1.SetAsLabelSelector(w.Spec.Selector)
	}
	return 0, 0, nil
}
