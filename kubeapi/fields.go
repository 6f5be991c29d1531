package kubeapi

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/kubesim/kubesim/sim/store"
)

// fieldsOf is the set of fields a field selector may use on an object:
// metadata.name and metadata.namespace for every kind, plus what
// kube-apiserver supports per kind (pods by node and phase, events by
// involved object, ...).
func fieldsOf(o store.Object) fields.Set {
	f := fields.Set{"metadata.name": o.GetName(), "metadata.namespace": o.GetNamespace()}
	switch x := o.(type) {
	case *corev1.Pod:
		f["spec.nodeName"] = x.Spec.NodeName
		f["spec.restartPolicy"] = string(x.Spec.RestartPolicy)
		f["spec.schedulerName"] = x.Spec.SchedulerName
		f["spec.serviceAccountName"] = x.Spec.ServiceAccountName
		f["spec.hostNetwork"] = strconv.FormatBool(x.Spec.HostNetwork)
		f["status.phase"] = string(x.Status.Phase)
		f["status.podIP"] = x.Status.PodIP
		f["status.nominatedNodeName"] = x.Status.NominatedNodeName
	case *corev1.Node:
		f["spec.unschedulable"] = strconv.FormatBool(x.Spec.Unschedulable)
	case *corev1.Namespace:
		f["status.phase"] = string(x.Status.Phase)
	case *corev1.Secret:
		f["type"] = string(x.Type)
	case *appsv1.ReplicaSet:
		f["status.replicas"] = strconv.Itoa(int(x.Status.Replicas))
	case *corev1.ReplicationController:
		f["status.replicas"] = strconv.Itoa(int(x.Status.Replicas))
	case *corev1.Event:
		io := x.InvolvedObject
		f["involvedObject.kind"] = io.Kind
		f["involvedObject.namespace"] = io.Namespace
		f["involvedObject.name"] = io.Name
		f["involvedObject.uid"] = string(io.UID)
		f["involvedObject.apiVersion"] = io.APIVersion
		f["involvedObject.resourceVersion"] = io.ResourceVersion
		f["involvedObject.fieldPath"] = io.FieldPath
		f["reason"] = x.Reason
		f["reportingComponent"] = x.ReportingController
		f["source"] = x.Source.Component
		f["type"] = x.Type
	}
	return f
}

// checkFields rejects selectors on fields the kind does not support, with
// kube-apiserver's message.
func checkFields(kind string, sel fields.Selector) error {
	if sel == nil || sel.Empty() {
		return nil
	}
	info, _ := store.LookupKind(kind)
	known := fieldsOf(info.New())
	for _, r := range sel.Requirements() {
		if _, ok := known[r.Field]; !ok {
			return badRequest("field label not supported: %s", r.Field)
		}
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
