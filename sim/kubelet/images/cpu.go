package images

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// AnnotationCPU is a container's steady CPU usage, the load a scenario
// offers it:
//
//	sim.kubesim.io/cpu: 250m          every container uses 250 millicores
//	sim.kubesim.io/cpu.<container>: 1 that container uses one core
//
// Without it a container uses 10% of its CPU request, or 5m when it
// requests no CPU (an idle server).
const AnnotationCPU = "sim.kubesim.io/cpu"

// DefaultIdleCPUMilli is the usage of a container without a CPU request.
const DefaultIdleCPUMilli = 5

// CPUUsageMilli is the steady CPU usage, in millicores, of container c.
// The annotation sets are searched in order (the first that has the
// container's key or the plain key wins), so a caller can let a
// workload's annotation override the pod's. Invalid values are ignored.
func CPUUsageMilli(c *corev1.Container, annotationSets ...map[string]string) int64 {
	for _, ann := range annotationSets {
		if m, ok := cpuAnnotation(ann, c.Name); ok {
			return m
		}
	}
	if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok && !q.IsZero() {
		return q.MilliValue() / 10
	}
	if q, ok := c.Resources.Limits[corev1.ResourceCPU]; ok && !q.IsZero() {
		return q.MilliValue() / 10 // the request defaults to the limit
	}
	return DefaultIdleCPUMilli
}

func cpuAnnotation(ann map[string]string, container string) (int64, bool) {
	if len(ann) == 0 {
		return 0, false // no key to put together (most pods)
	}
	for _, key := range []string{AnnotationCPU + "." + container, AnnotationCPU} {
		v, ok := ann[key]
		if !ok {
			continue
		}
		if q, err := resource.ParseQuantity(v); err == nil && q.Sign() >= 0 {
			return q.MilliValue(), true
		}
	}
	return 0, false
}
