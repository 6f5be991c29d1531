package hpa

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
)

func ready(usage int64) sample { return sample{class: classReady, usage: usage, request: 200} }
func unready() sample          { return sample{class: classUnready, request: 200} }
func missingPod() sample       { return sample{class: classMissing, request: 200} }
func repeat(s sample, n int) []sample {
	out := make([]sample, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestReplicasFor(t *testing.T) {
	util50 := target{utilization: 50}
	for _, tc := range []struct {
		name    string
		current int32
		pods    []sample
		t       target
		want    int32
		util    int32
		err     error
	}{
		{"90% of 50% target on 2 pods -> ceil(2*1.8)", 2, repeat(ready(180), 2), util50, 4, 90, nil},
		{"within tolerance up (54%)", 2, repeat(ready(108), 2), util50, 2, 54, nil},
		{"within tolerance down (46%)", 2, repeat(ready(92), 2), util50, 2, 46, nil},
		{"a ratio of exactly 1.1 (55% of 50%) does not scale", 10, repeat(ready(110), 10), util50, 10, 55, nil},
		{"missing pods at exactly the target are left out", 3, append(repeat(ready(100), 2), missingPod()), util50, 3, 50, nil},
		{"just beyond tolerance (56%)", 10, repeat(ready(112), 10), util50, 12, 56, nil},
		{"low load scales down", 4, repeat(ready(20), 4), util50, 1, 10, nil},
		{"average value target", 3, repeat(ready(300), 3), target{averageMilli: 100}, 9, 0, nil},
		{"unready pods count as 0 when scaling up", 3, append(repeat(ready(200), 2), unready()), util50, 4, 100, nil},
		{"unready pods that would flip the decision keep current", 4, append(repeat(ready(120), 1), repeat(unready(), 3)...), util50, 4, 60, nil},
		{"missing pods count as 100% when scaling down", 3, append(repeat(ready(20), 2), missingPod()), util50, 3, 10, nil},
		{"missing pods count as 0 when scaling up", 3, append(repeat(ready(200), 2), missingPod()), util50, 4, 100, nil},
		{"ignored pods do not count", 2, append(repeat(ready(180), 2), sample{class: classIgnored}), util50, 4, 90, nil},
		{"no pods", 2, nil, util50, 0, 0, errNoPods},
		{"only unready pods", 2, repeat(unready(), 2), util50, 0, 0, errNoMetrics},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := replicasFor(tc.current, tc.pods, tc.t, DefaultTolerances)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, rec.replicas)
			require.Equal(t, tc.util, rec.utilization)
		})
	}
}

func TestClassify(t *testing.T) {
	now := sim.Epoch.Add(time.Hour)
	at := func(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }
	pod := func(phase corev1.PodPhase, started time.Duration, readyStatus corev1.ConditionStatus, since time.Duration) *corev1.Pod {
		st := at(started)
		return &corev1.Pod{Status: corev1.PodStatus{Phase: phase, StartTime: &st, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: readyStatus, LastTransitionTime: at(since)}}}}
	}
	for _, tc := range []struct {
		name      string
		pod       *corev1.Pod
		hasMetric bool
		want      podClass
	}{
		{"pending", pod(corev1.PodPending, time.Minute, corev1.ConditionFalse, time.Minute), false, classUnready},
		{"failed", pod(corev1.PodFailed, time.Minute, corev1.ConditionFalse, time.Minute), true, classIgnored},
		{"running without metric", pod(corev1.PodRunning, time.Minute, corev1.ConditionTrue, time.Minute), false, classMissing},
		{"young, ready for a window", pod(corev1.PodRunning, time.Minute, corev1.ConditionTrue, time.Minute), true, classReady},
		{"young, just ready", pod(corev1.PodRunning, time.Minute, corev1.ConditionTrue, 5*time.Second), true, classUnready},
		{"young, not ready", pod(corev1.PodRunning, time.Minute, corev1.ConditionFalse, time.Minute), true, classUnready},
		{"old, not ready since start", pod(corev1.PodRunning, 10*time.Minute, corev1.ConditionFalse, 10*time.Minute), true, classUnready},
		{"old, went unready later", pod(corev1.PodRunning, 10*time.Minute, corev1.ConditionFalse, time.Minute), true, classReady},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, classify(tc.pod, tc.hasMetric, now, MetricWindow, now, defaultCalcConfig))
		})
	}
}

func TestPodCPU(t *testing.T) {
	now := sim.Epoch.Add(time.Hour)
	pod := func(ann map[string]string, started time.Duration, requests ...string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: ann}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
		for i, r := range requests {
			c := corev1.Container{Name: []string{"a", "b"}[i]}
			if r != "" {
				c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(r)}
			}
			p.Spec.Containers = append(p.Spec.Containers, c)
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now.Add(-started))}}})
		}
		return p
	}
	for _, tc := range []struct {
		name     string
		pod      *corev1.Pod
		workload map[string]string
		want     int64
		ok       bool
	}{
		{"default 10% of the request", pod(nil, time.Minute, "200m"), nil, 20, true},
		{"default 5m without request", pod(nil, time.Minute, ""), nil, 5, true},
		{"pod annotation per container", pod(map[string]string{"sim.kubesim.io/cpu": "100m", "sim.kubesim.io/cpu.b": "1"}, time.Minute, "200m", "200m"), nil, 1100, true},
		{"workload annotation wins", pod(map[string]string{"sim.kubesim.io/cpu": "100m"}, time.Minute, "200m"), map[string]string{"sim.kubesim.io/cpu": "30m"}, 30, true},
		{"invalid value ignored", pod(map[string]string{"sim.kubesim.io/cpu": "lots"}, time.Minute, "200m"), nil, 20, true},
		{"no metric within the first window", pod(nil, 5*time.Second, "200m"), nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := PodCPU(tc.pod, tc.workload, now)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestNormalizeRatesAndClamps(t *testing.T) {
	now := sim.Epoch.Add(time.Hour)
	up, down := behaviorOf(&autoscalingv2.HorizontalPodAutoscaler{})
	for _, tc := range []struct {
		name                       string
		current, desired, min, max int32
		want                       int32
		reason                     string
	}{
		{"up limited to +4 pods from 2", 2, 20, 1, 100, 6, "ScaleUpLimit"},
		{"up limited to +100% from 10", 10, 50, 1, 100, 20, "ScaleUpLimit"},
		{"up clamped to max", 2, 20, 1, 5, 5, "TooManyReplicas"},
		{"within range", 2, 3, 1, 5, 3, "DesiredWithinRange"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := normalize(&history{}, up, down, tc.current, tc.desired, tc.min, tc.max, now)
			require.Equal(t, tc.want, l.replicas)
			require.Equal(t, tc.reason, l.limitReason)
		})
	}
	t.Run("scale-up events in the period count against the limit", func(t *testing.T) {
		h := &history{ups: []timed{{now.Add(-5 * time.Second), 4}}}
		// 6 now, 2 at the period's start: max(2+4, 2*2) = 6, no more.
		l := normalize(h, up, down, 6, 20, 1, 100, now)
		require.Equal(t, int32(6), l.replicas)
	})
	t.Run("down clamped to min", func(t *testing.T) {
		h := &history{}
		l := normalize(h, up, down, 4, 0, 2, 10, now.Add(-time.Hour))
		require.Equal(t, int32(2), l.replicas)
		require.Equal(t, "TooFewReplicas", l.limitReason)
	})
}

func TestScaleDownStabilisationWindow(t *testing.T) {
	start := sim.Epoch
	up, down := behaviorOf(&autoscalingv2.HorizontalPodAutoscaler{})
	h := &history{recommendations: []timed{{start, 8}}} // the controller's first sight
	for s := 15 * time.Second; s < DownscaleStabilization; s += 15 * time.Second {
		l := normalize(h, up, down, 8, 2, 1, 10, start.Add(s))
		require.Equal(t, int32(8), l.replicas, "scaled down after %v", s)
		require.Equal(t, "ScaleDownStabilized", l.stableReason)
	}
	l := normalize(h, up, down, 8, 2, 1, 10, start.Add(DownscaleStabilization+time.Second))
	require.Equal(t, int32(2), l.replicas)
	// a single high recommendation holds the next scale-down for a window
	normalize(h, up, down, 2, 6, 1, 10, start.Add(6*time.Minute))
	l = normalize(h, up, down, 6, 1, 1, 10, start.Add(8*time.Minute))
	require.Equal(t, int32(6), l.replicas)
}
