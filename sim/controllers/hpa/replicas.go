package hpa

import (
	"errors"
	"fmt"
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/metrics"
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
// ending at at (ok: the pod has one).
type podMetric struct {
	usage  int64
	at     time.Time
	window time.Duration
	ok     bool
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
// with metrics (by pod name, as the metrics API lists them): podReplicas
// over the pods' views.
func resourceReplicas(current int32, pods []*corev1.Pod, metrics map[string]podMetric, container string, t target, cfg calcConfig, now time.Time) (recommendation, error) {
	views := make([]podView, len(pods))
	ms := make([]podMetric, len(pods))
	for i, p := range pods {
		views[i] = newPodView(p, container)
		m, ok := metrics[p.Name]
		m.ok = ok
		ms[i] = m
	}
	rec, _, err := podReplicas(current, views, ms, len(metrics), t, cfg, now, nil)
	return rec, err
}

// podReplicas is resourceReplicas over the pods' views and their metrics
// (metrics[i] is pods[i]'s; nMetrics counts every metric the API
// returned), in upstream's order of checks: pods, metrics after grouping,
// then (for Utilization) every pod's request. buf is reused for the
// samples, and returned for the next call.
func podReplicas(current int32, pods []podView, metrics []podMetric, nMetrics int, t target, cfg calcConfig, now time.Time, buf []sample) (recommendation, []sample, error) {
	if nMetrics == 0 {
		return recommendation{}, buf, errNoMetricsAPI
	}
	if len(pods) == 0 {
		return recommendation{}, buf, errNoPods
	}
	in := buf[:0]
	kept := nMetrics // metrics left once unready and ignored pods' are dropped
	for i := range pods {
		p, m := &pods[i], &metrics[i]
		s := sample{usage: m.usage, class: p.class(m.ok, m.at, m.window, now, cfg)}
		if m.ok && (s.class == classUnready || s.class == classIgnored) {
			kept--
		}
		in = append(in, s)
	}
	if kept == 0 {
		return recommendation{}, in, errNoMetrics
	}
	if t.utilization > 0 {
		for i := range pods {
			if err := pods[i].requestErr; err != nil {
				return recommendation{}, in, err
			}
			in[i].request = pods[i].request
		}
	}
	rec, err := replicasFor(current, in, t, cfg.tolerances)
	if errors.Is(err, errNoMetrics) {
		// only metrics of pods the selector no longer lists
		err = errNoKnownPods
	}
	return rec, in, err
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
	// The calculator only ever needs sums over each class (integer sums,
	// so in any order), not the classes' lists.
	var ready, unready, missing usageSum
	for i := range pods {
		p := &pods[i]
		switch p.class {
		case classReady:
			ready.add(p.usage, p.request)
		case classUnready:
			unready.add(0, p.request) // at 0 when it counts
		case classMissing:
			missing.add(fallbackUsage(*p, t), p.request) // at the fallback when it counts as such
		}
	}
	if ready.n == 0 {
		return recommendation{}, errNoMetrics
	}
	ratio, rec, err := ready.ratio(t)
	if err != nil {
		return recommendation{}, err
	}
	scaleUpWithUnready := unready.n > 0 && ratio > 1.0
	if !scaleUpWithUnready && missing.n == 0 {
		rec.replicas = current
		if !tol.isWithin(ratio) {
			rec.replicas = int32(math.Ceil(ratio * float64(ready.n)))
		}
		return rec, nil
	}
	all := ready
	if ratio != 1.0 { // at exactly 1.0 upstream leaves the missing pods out
		if ratio > 1.0 {
			missing.usage = 0 // at 0 on a scale-up
		}
		all.merge(missing)
	}
	if scaleUpWithUnready {
		all.merge(unready)
	}
	newRatio, _, err := all.ratio(t)
	if err != nil {
		return recommendation{}, err
	}
	rec.replicas = current
	if tol.isWithin(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		return rec, nil // too small a change, or the unknown pods would reverse it
	}
	n := int32(math.Ceil(newRatio * float64(all.n)))
	if (newRatio < 1.0 && n > current) || (newRatio > 1.0 && n < current) {
		return rec, nil
	}
	rec.replicas = n
	return rec, nil
}

// usageSum is the usage and requests (millicores) summed over n pods.
type usageSum struct {
	usage, requests int64
	n               int
}

func (s *usageSum) add(usage, request int64) {
	s.usage += usage
	s.requests += request
	s.n++
}

func (s *usageSum) merge(o usageSum) {
	s.usage += o.usage
	s.requests += o.requests
	s.n += o.n
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

// ratio is current/target over the pods summed, with the utilization
// (integer percent, as upstream truncates it) and the raw average
// (truncated to whole millicores before dividing by an AverageValue
// target, as upstream's GetMetricUsageRatio does).
func (s usageSum) ratio(t target) (float64, recommendation, error) {
	rec := recommendation{averageMilli: s.usage / int64(s.n)}
	if t.utilization <= 0 {
		if t.averageMilli <= 0 {
			return 0, rec, fmt.Errorf("invalid target average value %dm", t.averageMilli)
		}
		return float64(rec.averageMilli) / float64(t.averageMilli), rec, nil
	}
	if s.requests == 0 {
		return 0, rec, errNoKnownPods
	}
	rec.utilization = int32(s.usage * 100 / s.requests)
	return float64(rec.utilization) / float64(t.utilization), rec, nil
}

// podView is what the replica calculator reads of one version of a pod.
// The store replaces a pod object on every write and never changes a
// stored one, so a view kept with the object it was made from is exact
// for as long as the object is the one listed: the controller keeps the
// views of each HPA's pods between syncs (hpaTarget) and makes a new one
// only for a pod object it has not seen.
type podView struct {
	pod        *corev1.Pod
	ignored    bool // being deleted or failed
	pending    bool
	readyKnown bool // it has a Ready condition and a start time
	readyFalse bool // its Ready condition is False
	readySince time.Time
	start      time.Time
	request    int64 // the CPU request of the container ("" = all) in millicores
	requestErr error // why request is unknown
	// ref is the metrics server's entry for the pod, found on the first
	// read and kept while valid (metrics.PodRef).
	ref metrics.PodRef
}

func newPodView(pod *corev1.Pod, container string) podView {
	v := podView{pod: pod, ignored: pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodFailed,
		pending: pod.Status.Phase == corev1.PodPending}
	var cond *corev1.PodCondition
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			cond = &pod.Status.Conditions[i]
		}
	}
	if cond != nil && pod.Status.StartTime != nil {
		v.readyKnown, v.readyFalse = true, cond.Status == corev1.ConditionFalse
		v.readySince, v.start = cond.LastTransitionTime.Time, pod.Status.StartTime.Time
	}
	v.request, v.requestErr = podutil.ContainerRequestSum(pod, container, corev1.ResourceCPU)
	return v
}

// classify is upstream's groupPods for CPU: metricAt is the end of the
// metric's window.
func classify(pod *corev1.Pod, hasMetric bool, metricAt time.Time, window time.Duration, now time.Time, cfg calcConfig) podClass {
	v := newPodView(pod, "")
	return v.class(hasMetric, metricAt, window, now, cfg)
}

// class is classify of the view's pod.
func (v *podView) class(hasMetric bool, metricAt time.Time, window time.Duration, now time.Time, cfg calcConfig) podClass {
	switch {
	case v.ignored:
		return classIgnored
	case v.pending:
		return classUnready
	case !hasMetric:
		return classMissing
	case !v.readyKnown:
		return classUnready
	}
	var unready bool
	if v.start.Add(cfg.cpuInitializationPeriod).After(now) {
		unready = v.readyFalse || metricAt.Before(v.readySince.Add(window))
	} else {
		unready = v.readyFalse && v.start.Add(cfg.initialReadinessDelay).After(v.readySince)
	}
	if unready {
		return classUnready
	}
	return classReady
}
