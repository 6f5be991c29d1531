package hpa

import (
	"errors"
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
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
	errNoPods      = errors.New("no pods returned by selector while calculating replica count")
	errNoMetrics   = errors.New("did not receive metrics for targeted pods (pods might be unready)")
	errNoKnownPods = errors.New("no metrics returned matched known pods")
)

// replicasFor is upstream's GetResourceReplicas / GetRawResourceReplicas:
// the ratio of usage to target over the ready pods, rescaled with the
// tolerance and the conservative treatment of unready and missing pods.
func replicasFor(current int32, pods []sample, t target) (recommendation, error) {
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
		if math.Abs(1.0-ratio) > Tolerance {
			rec.replicas = int32(math.Ceil(ratio * float64(len(ready))))
		}
		return rec, nil
	}
	all := append([]sample(nil), ready...)
	for _, p := range missing {
		p.usage = 0
		if ratio < 1.0 {
			p.usage = fullUsage(p, t) // assume it uses all it asked for
		}
		all = append(all, p)
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
	if math.Abs(1.0-newRatio) <= Tolerance || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		return rec, nil // the unknown pods would flip or cancel the decision
	}
	n := int32(math.Ceil(newRatio * float64(len(all))))
	if (newRatio < 1.0 && n > current) || (newRatio > 1.0 && n < current) {
		return rec, nil
	}
	rec.replicas = n
	return rec, nil
}

// fullUsage is what a missing pod is assumed to use when scaling down.
func fullUsage(p sample, t target) int64 {
	if t.utilization > 0 {
		return p.request
	}
	return t.averageMilli
}

// usageRatio is current/target over pods, with the utilization (integer
// percent, as upstream truncates it) and the raw average.
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
		return float64(usage) / float64(len(pods)) / float64(t.averageMilli), rec, nil
	}
	if requests == 0 {
		return 0, rec, errNoKnownPods
	}
	rec.utilization = int32(usage * 100 / requests)
	return float64(rec.utilization) / float64(t.utilization), rec, nil
}

// classify is upstream's groupPods for CPU: metricAt is the end of the
// metric's window.
func classify(pod *corev1.Pod, hasMetric bool, metricAt time.Time, window time.Duration, now time.Time) podClass {
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
	if start.Add(CPUInitializationPeriod).After(now) {
		unready = cond.Status == corev1.ConditionFalse || metricAt.Before(cond.LastTransitionTime.Add(window))
	} else {
		unready = cond.Status == corev1.ConditionFalse && start.Add(InitialReadinessDelay).After(cond.LastTransitionTime.Time)
	}
	if unready {
		return classUnready
	}
	return classReady
}
