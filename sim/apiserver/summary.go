package apiserver

import (
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Summary is the short description of an object's state that the trace
// records after each change.
func Summary(obj store.Object) string {
	var b strings.Builder
	switch o := obj.(type) {
	case *corev1.Pod:
		b.WriteString("phase=")
		b.WriteString(string(o.Status.Phase))
		if o.Spec.NodeName != "" {
			b.WriteString(" node=")
			b.WriteString(o.Spec.NodeName)
		}
		if podutil.IsReady(o) {
			b.WriteString(" ready")
		}
		if r := waitingReason(o); r != "" {
			b.WriteString(" waiting=")
			b.WriteString(r)
		}
		if o.DeletionTimestamp != nil {
			b.WriteString(" terminating")
		}
	case *corev1.Node:
		b.WriteString("ready=")
		b.WriteString(string(podutil.NodeReady(o)))
		if o.Spec.Unschedulable {
			b.WriteString(" unschedulable")
		}
		for _, t := range o.Spec.Taints {
			b.WriteString(" taint=")
			b.WriteString(t.Key)
			b.WriteString(":")
			b.WriteString(string(t.Effect))
		}
	case *appsv1.Deployment:
		writeReplicas(&b, o.Spec.Replicas, o.Status.Replicas, o.Status.ReadyReplicas, o.Status.UpdatedReplicas, o.Status.AvailableReplicas)
	case *appsv1.ReplicaSet:
		writeReplicas(&b, o.Spec.Replicas, o.Status.Replicas, o.Status.ReadyReplicas, -1, o.Status.AvailableReplicas)
	case *corev1.ReplicationController:
		writeReplicas(&b, o.Spec.Replicas, o.Status.Replicas, o.Status.ReadyReplicas, -1, o.Status.AvailableReplicas)
	case *appsv1.DaemonSet:
		b.WriteString("desired=" + strconv.Itoa(int(o.Status.DesiredNumberScheduled)) +
			" ready=" + strconv.Itoa(int(o.Status.NumberReady)))
	case *corev1.Namespace:
		b.WriteString("phase=" + string(o.Status.Phase))
	}
	return b.String()
}

func writeReplicas(b *strings.Builder, spec *int32, cur, ready, updated, avail int32) {
	want := ptr.Deref(spec, int32(1))
	b.WriteString("replicas=" + strconv.Itoa(int(want)) + " current=" + strconv.Itoa(int(cur)) + " ready=" + strconv.Itoa(int(ready)))
	if updated >= 0 {
		b.WriteString(" updated=" + strconv.Itoa(int(updated)))
	}
	b.WriteString(" available=" + strconv.Itoa(int(avail)))
}

func waitingReason(p *corev1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Waiting != nil {
			return cs.State.Waiting.Reason
		}
	}
	return ""
}
