package hpa

import (
	"errors"
	"fmt"
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/podutil"
)

// Upstream's replica calculator constants (kube-controller-manager flags).
const (
	// Tolerance: ratios within 10% of 1 do not rescale.
	Tolerance = 0.1
	// CPUInitializationPeriod: a pod this young is unready for CPU
	// purposes until it has been Ready for a whole metric window.
	CPUInitializationPeriod = 5 * time.Minute
	// InitialReadinessDelay: an older unready pod that never turned Ready
	// within this time of its start counts as unready (else as ready).
	InitialReadinessDelay = 30 * time.Second
)

// podClass is how the calculator treats a pod.
type podClass int

const (
	classReady   podClass = iota // its metric counts
	classUnready                 // counted as 0 usage when scaling up
	classMissing                 // no metric: 100% below target, 0 above
	classIgnored                 // being deleted or failed
)

// sample is one pod as the calculator sees it: its class, metric (usage
// in millicores) and CPU request in millicores.
type sample struct {
	name    string
	class   podClass
	usage   int64
	request int64
}

// target is a CPU metric target: a utilization percentage of the request
// or an average value in millicores.
type target struct {
	utilization  int32 // >0 for Utilization targets
	averageMilli int64
}

// recommendation is the calculator's output.
type recommendation struct {
	replicas     int32
	utilization  int32 // percent of request over the ready pods (Utilization targets)
	averageMilli int64 // average usage over the ready pods
}

var (
	errNoMetricsAPI = errors.New("unable to get metrics for resource cpu: no metrics returned from resource metrics API")
	errNoPods       = errors.New("no pods returned by selector while calculating replica count")
	errNoMetrics    = errors.New("did not receive metrics for targeted pods (pods might be unready)")
	errNoKnownPods  = errors.New("no metrics returned matched known pods")
)

// Tolerances are the scale-down and scale-up tolerances: a usage ratio r
// with 1-down <= r <= 1+up (inclusive at both ends, as since v1.33) does
// not rescale.
type Tolerances struct {
	Down, Up float64
}

// DefaultTolerances are the controller-manager's --horizontal-pod-autoscaler-tolerance
// on both sides.
var DefaultTolerances = Tolerances{Down: Tolerance, Up: Tolerance}

// tolerancesOf is upstream's tolerancesForHpa: the default tolerance,
// overridden per direction by spec.behavior.scaleUp/scaleDown.tolerance
// (HPAConfigurableTolerance, GA in v1.37).
func tolerancesOf(h *autoscalingv2.HorizontalPodAutoscaler) Tolerances {
	t := DefaultTolerances
	if b := h.Spec.Behavior; b != nil {
		if b.ScaleDown != nil && b.ScaleDown.Tolerance != nil {
			t.Down = b.ScaleDown.Tolerance.AsApproximateFloat64()
		}
		if b.ScaleUp != nil && b.ScaleUp.Tolerance != nil {
			t.Up = b.ScaleUp.Tolerance.AsApproximateFloat64()
		}
	}
	return t
}

func (t Tolerances) isWithin(ratio float64) bool {
	return 1.0-t.Down <= ratio && ratio <= 1.0+t.Up
}

// podMetric is one pod's CPU sample: usage in millicores over the window
// ending at at.
type podMetric struct {
	usage  int64
	at     time.Time
	window time.Duration
}

// calcConfig is the replica calculator's configuration (controller-manager
// flags and the HPA's tolerances).
type calcConfig struct {
	cpuInitializationPeriod time.Duration
	initialReadinessDelay   time.Duration
	tolerances              Tolerances
}

// defaultCalcConfig is kube-controller-manager's defaults.
var defaultCalcConfig = calcConfig{CPUInitializationPeriod, InitialReadinessDelay, DefaultTolerances}

// resourceReplicas is upstream's GetResourceReplicas (t.utilization > 0)
// and GetRawResourceReplicas (an AverageValue target) for CPU over pods
// with metrics, in upstream's order of checks: pods, metrics after
// grouping, then (for Utilization) every pod's request of the container
// (all app containers and sidecars when container is "").
func resourceReplicas(current int32, pods []*corev1.Pod, metrics map[string]podMetric, container string, t target, cfg calcConfig, now time.Time) (recommendation, error) {
	if len(metrics) == 0 {
		return recommendation{}, errNoMetricsAPI
	}
	if len(pods) == 0 {
		return recommendation{}, errNoPods
	}
	in := make([]sample, 0, len(pods))
	kept := len(metrics) // metrics left once unready and ignored pods' are dropped
	for _, p := range pods {
		m, ok := metrics[p.Name]
		s := sample{name: p.Name, usage: m.usage, class: classify(p, ok, m.at, m.window, now, cfg)}
		if ok && (s.class == classUnready || s.class == classIgnored) {
			kept--
		}
		in = append(in, s)
	}
	if kept == 0 {
		return recommendation{}, errNoMetrics
	}
	if t.utilization > 0 {
		for i, p := range pods {
			req, err := podutil.ContainerRequestSum(p, container, corev1.ResourceCPU)
			if err != nil {
				return recommendation{}, err
			}
			in[i].request = req
		}
	}
	rec, err := replicasFor(current, in, t, cfg.tolerances)
	if errors.Is(err, errNoMetrics) {
		// only metrics of pods the selector no longer lists
		err = errNoKnownPods
	}
	return rec, err
}

// replicasFor is upstream's GetResourceReplicas (Utilization targets) and
// GetRawResourceReplicas (AverageValue targets): the ratio of usage to
// target over the pods with metrics, rescaled unless within tolerance,
// with missing pods assumed at the request times max(100%, target) (or at
// the target value) on a scale-down and at 0 on a scale-up, unready pods
// at 0 on a scale-up, and no change when those assumptions would reverse
// the direction.
func replicasFor(current int32, pods []sample, t target, tol Tolerances) (recommendation, error) {
	if len(pods) == 0 {
		return recommendation{}, errNoPods
	}
	var ready, unready, missing []sample
	for _, p := range pods {
		switch p.class {
		case classReady:
			ready = append(ready, p)
		case classUnready:
			unready = append(unready, p)
		case classMissing:
			missing = append(missing, p)
		}
	}
	if len(ready) == 0 {
		return recommendation{}, errNoMetrics
	}
	ratio, rec, err := usageRatio(ready, t)
	if err != nil {
		return recommendation{}, err
	}
	scaleUpWithUnready := len(unready) > 0 && ratio > 1.0
	if !scaleUpWithUnready && len(missing) == 0 {
		rec.replicas = current
		if !tol.isWithin(ratio) {
			rec.replicas = int32(math.Ceil(ratio * float64(len(ready))))
		}
		return rec, nil
	}
	all := append([]sample(nil), ready...)
	if ratio != 1.0 { // at exactly 1.0 upstream leaves the missing pods out
		for _, p := range missing {
			p.usage = 0
			if ratio < 1.0 {
				p.usage = fallbackUsage(p, t)
			}
			all = append(all, p)
		}
	}
	if scaleUpWithUnready {
		for _, p := range unready {
			p.usage = 0
			all = append(all, p)
		}
	}
	newRatio, _, err := usageRatio(all, t)
	if err != nil {
		return recommendation{}, err
	}
	rec.replicas = current
	if tol.isWithin(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		return rec, nil // too small a change, or the unknown pods would reverse it
	}
	n := int32(math.Ceil(newRatio * float64(len(all))))
	if (newRatio < 1.0 && n > current) || (newRatio > 1.0 && n < current) {
		return rec, nil
	}
	rec.replicas = n
	return rec, nil
}

// fallbackUsage is what a pod without a metric is assumed to use on a
// scale-down: its request times max(100%, target utilization), or the
// target value for AverageValue targets.
func fallbackUsage(p sample, t target) int64 {
	if t.utilization > 0 {
		return p.request * int64(max(100, t.utilization)) / 100
	}
	return t.averageMilli
}

// usageRatio is current/target over pods, with the utilization (integer
// percent, as upstream truncates it) and the raw average (truncated to
// whole millicores before dividing by an AverageValue target, as
// upstream's GetMetricUsageRatio does).
func usageRatio(pods []sample, t target) (float64, recommendation, error) {
	var usage, requests int64
	for _, p := range pods {
		usage += p.usage
		requests += p.request
	}
	rec := recommendation{averageMilli: usage / int64(len(pods))}
	if t.utilization <= 0 {
		if t.averageMilli <= 0 {
			return 0, rec, fmt.Errorf("invalid target average value %dm", t.averageMilli)
		}
		return float64(rec.averageMilli) / float64(t.averageMilli), rec, nil
	}
	if requests == 0 {
		return 0, rec, errNoKnownPods
	}
	rec.utilization = int32(usage * 100 / requests)
	return float64(rec.utilization) / float64(t.utilization), rec, nil
}

// classify is upstream's groupPods for CPU: metricAt is the end of the
// metric's window.
func classify(pod *corev1.Pod, hasMetric bool, metricAt time.Time, window time.Duration, now time.Time, cfg calcConfig) podClass {
	switch {
	case pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodFailed:
		return classIgnored
	case pod.Status.Phase == corev1.PodPending:
		return classUnready
	case !hasMetric:
		return classMissing
	}
	var cond *corev1.PodCondition
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			cond = &pod.Status.Conditions[i]
		}
	}
	if cond == nil || pod.Status.StartTime == nil {
		return classUnready
	}
	start := pod.Status.StartTime.Time
	var unready bool
	if start.Add(cfg.cpuInitializationPeriod).After(now) {
		unready = cond.Status == corev1.ConditionFalse || metricAt.Before(cond.LastTransitionTime.Add(window))
	} else {
		unready = cond.Status == corev1.ConditionFalse && start.Add(cfg.initialReadinessDelay).After(cond.LastTransitionTime.Time)
	}
	if unready {
		return classUnready
	}
	return classReady
}
