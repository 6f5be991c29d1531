// Package podutil holds the small facts about pods and nodes that several
// components need (requests, readiness, ownership), computed the way
// upstream computes them.
package podutil

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Resources is an amount of CPU (millicores), memory (bytes) and pods.
type Resources struct {
	MilliCPU int64
	Memory   int64
	Pods     int64
}

// Add returns r + o.
func (r Resources) Add(o Resources) Resources {
	return Resources{r.MilliCPU + o.MilliCPU, r.Memory + o.Memory, r.Pods + o.Pods}
}

// Sub returns r - o.
func (r Resources) Sub(o Resources) Resources {
	return Resources{r.MilliCPU - o.MilliCPU, r.Memory - o.Memory, r.Pods - o.Pods}
}

// Fits reports whether r is within capacity c in every dimension.
func (r Resources) Fits(c Resources) bool {
	return r.MilliCPU <= c.MilliCPU && r.Memory <= c.Memory && r.Pods <= c.Pods
}

// PodRequests is what a pod asks of a node, as the scheduler counts it:
// the larger of the sum of its app containers' requests and the largest
// init container's request, plus the pod overhead; Pods is 1.
func PodRequests(p *corev1.Pod) Resources {
	var r Resources
	for i := range p.Spec.Containers {
		rq := p.Spec.Containers[i].Resources.Requests
		r.MilliCPU += rq.Cpu().MilliValue()
		r.Memory += rq.Memory().Value()
	}
	for i := range p.Spec.InitContainers {
		rq := p.Spec.InitContainers[i].Resources.Requests
		r.MilliCPU = max(r.MilliCPU, rq.Cpu().MilliValue())
		r.Memory = max(r.Memory, rq.Memory().Value())
	}
	if o := p.Spec.Overhead; o != nil {
		r.MilliCPU += o.Cpu().MilliValue()
		r.Memory += o.Memory().Value()
	}
	r.Pods = 1
	return r
}

// Default requests the scheduler's scoring assumes for a container that
// requests nothing (100m CPU, 200 MiB memory).
const (
	DefaultMilliCPURequest = 100
	DefaultMemoryRequest   = 200 * 1024 * 1024
)

// NonZeroRequests is PodRequests with the scoring defaults substituted for
// containers without CPU or memory requests.
func NonZeroRequests(p *corev1.Pod) Resources {
	var r Resources
	for i := range p.Spec.Containers {
		rq := p.Spec.Containers[i].Resources.Requests
		cpu, mem := int64(DefaultMilliCPURequest), int64(DefaultMemoryRequest)
		if q, ok := rq[corev1.ResourceCPU]; ok {
			cpu = q.MilliValue()
		}
		if q, ok := rq[corev1.ResourceMemory]; ok {
			mem = q.Value()
		}
		r.MilliCPU += cpu
		r.Memory += mem
	}
	r.Pods = 1
	return r
}

// NodeAllocatable is a node's allocatable CPU, memory and pods.
func NodeAllocatable(n *corev1.Node) Resources {
	a := n.Status.Allocatable
	return Resources{a.Cpu().MilliValue(), a.Memory().Value(), a.Pods().Value()}
}

// IsTerminal reports whether the pod has finished (Succeeded or Failed).
func IsTerminal(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// IsActive reports whether the pod counts toward its controller's replicas:
// not terminal and not being deleted.
func IsActive(p *corev1.Pod) bool { return !IsTerminal(p) && p.DeletionTimestamp == nil }

// IsReady reports whether the pod's Ready condition is True.
func IsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// ReadySince is when the pod last became Ready (zero if not ready).
func ReadySince(p *corev1.Pod) metav1.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime
		}
	}
	return metav1.Time{}
}

// IsAvailable reports whether the pod has been Ready for minReadySeconds
// at now.
func IsAvailable(p *corev1.Pod, minReadySeconds int32, now metav1.Time) bool {
	if !IsReady(p) {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	since := ReadySince(p)
	return !since.IsZero() && !since.Add(secondsOf(minReadySeconds)).After(now.Time)
}

// NodeReady is the status of the node's Ready condition (Unknown if absent).
func NodeReady(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return corev1.ConditionUnknown
}

// ControllerOf returns the owner reference with controller=true, or nil.
func ControllerOf(o metav1.Object) *metav1.OwnerReference {
	for i, r := range o.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller {
			return &o.GetOwnerReferences()[i]
		}
	}
	return nil
}

func secondsOf(s int32) time.Duration { return time.Duration(s) * time.Second }
