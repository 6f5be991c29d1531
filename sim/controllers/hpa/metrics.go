package hpa

import (
	"slices"
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

// metricsOf is the resource metrics API's answer for the target's pods,
// pod by pod, and how many pods have a metric: metrics-server's latest
// sample of every pod that has one (read through the view's reference to
// it while that is valid), or without a metrics server a sample taken now
// over MetricWindow. The slice is reused by every sync (the
// caller only reads it until its next sync).
func (c *Controller) metricsOf(pods []podView, ann map[string]string, now time.Time) ([]podMetric, int) {
	out := slices.Grow(c.metricsBuf[:0], len(pods))[:len(pods)]
	c.metricsBuf = out
	n := 0
	for i := range pods {
		v := &pods[i]
		p := v.pod
		var m podMetric
		if c.refs != nil {
			if !v.ref.Valid() {
				v.ref = c.refs.PodRef(p.Namespace, p.Name)
			}
			m.usage, m.at, m.window, m.ok = c.refs.PodCPUByRef(v.ref)
		} else if c.metrics != nil {
			m.usage, m.at, m.window, m.ok = c.metrics.PodCPU(p.Namespace, p.Name)
		} else if m.usage, m.ok = PodCPU(p, ann, now); m.ok {
			m.at, m.window = now, MetricWindow
		}
		if m.ok {
			n++
		}
		out[i] = m
	}
	return out, n
}
