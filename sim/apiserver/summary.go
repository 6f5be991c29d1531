package apiserver

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Summary is the short description of an object's state that the trace
// records after each change. It is built in a buffer on the stack and
// allocated once, at its final size (one trace line per write).
func Summary(obj store.Object) string {
	var arr [128]byte
	b := arr[:0]
	switch o := obj.(type) {
	case *corev1.Pod:
		var parts [podSummaryParts]string
		for _, part := range podSummary(o, parts[:0]) {
			b = append(b, part...)
		}
	case *corev1.Node:
		b = append(b, "ready="...)
		b = append(b, podutil.NodeReady(o)...)
		if o.Spec.Unschedulable {
			b = append(b, " unschedulable"...)
		}
		for _, t := range o.Spec.Taints {
			b = append(b, " taint="...)
			b = append(b, t.Key...)
			b = append(b, ':')
			b = append(b, t.Effect...)
		}
	case *appsv1.Deployment:
		b = appendReplicas(b, o.Spec.Replicas, o.Status.Replicas, o.Status.ReadyReplicas, o.Status.UpdatedReplicas, o.Status.AvailableReplicas)
	case *appsv1.ReplicaSet:
		b = appendReplicas(b, o.Spec.Replicas, o.Status.Replicas, o.Status.ReadyReplicas, -1, o.Status.AvailableReplicas)
	case *corev1.ReplicationController:
		b = appendReplicas(b, o.Spec.Replicas, o.Status.Replicas, o.Status.ReadyReplicas, -1, o.Status.AvailableReplicas)
	case *appsv1.DaemonSet:
		b = append(b, "desired="...)
		b = strconv.AppendInt(b, int64(o.Status.DesiredNumberScheduled), 10)
		b = append(b, " ready="...)
		b = strconv.AppendInt(b, int64(o.Status.NumberReady), 10)
	case *corev1.Namespace:
		b = append(b, "phase="...)
		b = append(b, o.Status.Phase...)
	}
	return string(b)
}

// podSummaryParts is the most parts podSummary appends.
const podSummaryParts = 8

// podSummary appends to parts the parts of a pod's Summary, strings the
// pod holds or constants: the trace takes them as they are (Trace.AddParts)
// where a string made of them was one more allocation per pod write.
func podSummary(o *corev1.Pod, parts []string) []string {
	parts = append(parts, "phase=", string(o.Status.Phase))
	if o.Spec.NodeName != "" {
		parts = append(parts, " node=", o.Spec.NodeName)
	}
	if podutil.IsReady(o) {
		parts = append(parts, " ready")
	}
	if r := waitingReason(o); r != "" {
		parts = append(parts, " waiting=", r)
	}
	if o.DeletionTimestamp != nil {
		parts = append(parts, " terminating")
	}
	return parts
}

func appendReplicas(b []byte, spec *int32, cur, ready, updated, avail int32) []byte {
	b = append(b, "replicas="...)
	b = strconv.AppendInt(b, int64(ptr.Deref(spec, int32(1))), 10)
	b = append(b, " current="...)
	b = strconv.AppendInt(b, int64(cur), 10)
	b = append(b, " ready="...)
	b = strconv.AppendInt(b, int64(ready), 10)
	if updated >= 0 {
		b = append(b, " updated="...)
		b = strconv.AppendInt(b, int64(updated), 10)
	}
	b = append(b, " available="...)
	return strconv.AppendInt(b, int64(avail), 10)
}

func waitingReason(p *corev1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Waiting != nil {
			return cs.State.Waiting.Reason
		}
	}
	return ""
}
