package hpa

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
)

// MetricWindow is the window metrics-server reports each sample over: a
// sample taken at t covers (t-window, t].
const MetricWindow = 15 * time.Second

// PodCPU is the metrics model: what metrics-server would report for a
// pod at now. A pod has a metric once it runs and every container has
// been running for a whole window; its usage is the sum of its
// containers' steady usage (images.CPUUsageMilli), where the workload's
// annotations override the pod's so `kubectl annotate deployment` can
// change the offered load without a rollout.
func PodCPU(pod *corev1.Pod, workloadAnnotations map[string]string, now time.Time) (usageMilli int64, ok bool) {
	if pod.Status.Phase != corev1.PodRunning || len(pod.Status.ContainerStatuses) < len(pod.Spec.Containers) {
		return 0, false
	}
	for i := range pod.Status.ContainerStatuses {
		r := pod.Status.ContainerStatuses[i].State.Running
		if r == nil || r.StartedAt.Add(MetricWindow).After(now) {
			return 0, false
		}
	}
	for i := range pod.Spec.Containers {
		usageMilli += images.CPUUsageMilli(&pod.Spec.Containers[i], workloadAnnotations, pod.Annotations)
	}
	return usageMilli, true
}

// podCPURequest is the sum of the containers' CPU requests; every
// container must have one for a Utilization target.
func podCPURequest(pod *corev1.Pod) (int64, error) {
	var sum int64
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		q, ok := c.Resources.Requests[corev1.ResourceCPU]
		if !ok {
			return 0, fmt.Errorf("missing request for %s in container %s of Pod %s", corev1.ResourceCPU, c.Name, pod.Name)
		}
		sum += q.MilliValue()
	}
	return sum, nil
}

// samples turns the target's pods into the calculator's input.
func samples(pods []*corev1.Pod, ann map[string]string, now time.Time, needRequests bool) ([]sample, error) {
	out := make([]sample, 0, len(pods))
	for _, p := range pods {
		req, err := podCPURequest(p)
		if err != nil && needRequests {
			return nil, err
		}
		usage, ok := PodCPU(p, ann, now)
		out = append(out, sample{name: p.Name, usage: usage, request: req,
			class: classify(p, ok, now, MetricWindow, now)})
	}
	return out, nil
}
