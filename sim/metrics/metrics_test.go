package metrics_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/metrics"
)

func TestCurves(t *testing.T) {
	h := time.Hour
	d := metrics.Diurnal{Min: 100, Max: 500, Period: 24 * h, PeakAt: 14 * h}
	require.InDelta(t, 500, d.RPS(14*h), 1e-9)
	require.InDelta(t, 100, d.RPS(2*h), 1e-9, "the trough half a period from the peak")
	require.InDelta(t, 300, d.RPS(8*h), 1e-9, "the middle a quarter period away")
	require.InDelta(t, 500, d.RPS(38*h), 1e-9, "periodic")
	r := metrics.Ramp{From: 10, To: 110, Start: h, End: 2 * h}
	require.InDelta(t, 10, r.RPS(30*time.Minute), 1e-9)
	require.InDelta(t, 60, r.RPS(90*time.Minute), 1e-9)
	require.InDelta(t, 110, r.RPS(3*h), 1e-9)
	s := metrics.Spike{Base: 5, Peak: 50, At: h, For: 10 * time.Minute}
	require.InDelta(t, 50, s.RPS(h+5*time.Minute), 1e-9)
	require.InDelta(t, 5, s.RPS(h+10*time.Minute), 1e-9, "the spike ends after For")
	st := metrics.Step{From: 1, To: 2, At: h}
	require.InDelta(t, 1, st.RPS(h-1), 1e-9)
	require.InDelta(t, 2, st.RPS(h), 1e-9)
}

func web(replicas int32, limit string) *appsv1.Deployment {
	lbl := map[string]string{"app": "web"}
	res := corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")}}
	if limit != "" {
		res.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(limit)}
	}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27", Resources: res}}}}}}
}

func run(t *testing.T, load metrics.Load, d *appsv1.Deployment, until time.Duration) *cluster.Cluster {
	t.Helper()
	c, err := cluster.New(cluster.Config{Seed: 1, EtcdMembers: 1, NodeGroups: []cluster.NodeGroup{{Name: "ng", InstanceType: "m5.xlarge", Count: 2}},
		Loads: []metrics.Load{load}})
	require.NoError(t, err)
	t.Cleanup(c.Etcd.Close)
	_, err = c.Client("kubectl").Create(d)
	require.NoError(t, err)
	c.Engine.RunUntil(until)
	return c
}

func webSamples(c *cluster.Cluster) []metrics.PodSample {
	var out []metrics.PodSample
	for _, o := range c.Store.List("Pod", "default") {
		if s, ok := c.Metrics.Pod("default", o.GetName()); ok {
			out = append(out, s)
		}
	}
	return out
}

// The traffic is shared by the Ready pods; each pod's use is its share
// times the cost per request (plus an idle 5m), within the noise.
func TestLoadSpreadsOverReadyPods(t *testing.T) {
	l := metrics.Load{Kind: "Deployment", Namespace: "default", Name: "web", Curve: metrics.Constant{Rate: 400}, CPUPerRequest: 2, Noise: 0.05}
	c := run(t, l, web(4, ""), 5*time.Minute)
	samples := webSamples(c)
	require.Len(t, samples, 4)
	var sum int64
	for _, s := range samples {
		require.InDelta(t, 205, s.CPUMilli, 205*0.25, "400/s over 4 pods at 2m each: 200m + idle")
		require.Equal(t, metrics.DefaultInterval, s.Window)
		require.Equal(t, int64(256<<20), s.MemoryBytes)
		sum += s.CPUMilli
	}
	require.InDelta(t, 820, sum, 820*0.1)
	require.NotEqual(t, samples[0].CPUMilli, samples[1].CPUMilli, "seeded noise per pod")
	// The node's sample sums its pods'.
	n, ok := c.Metrics.Node(samples[0].Node)
	require.True(t, ok)
	require.GreaterOrEqual(t, n.CPUMilli, samples[0].CPUMilli)
	st := c.Metrics.Stats()[0]
	require.Zero(t, st.Saturated, "nothing throttled")
	require.Equal(t, 4, st.PeakReadyPods)
}

// A pod above its CPU limit is throttled at the limit, and the load
// records the unserved share as saturation.
func TestLimitThrottles(t *testing.T) {
	l := metrics.Load{Kind: "Deployment", Namespace: "default", Name: "web", Curve: metrics.Constant{Rate: 1000}, CPUPerRequest: 2, Noise: -1}
	c := run(t, l, web(2, "600m"), 5*time.Minute)
	samples := webSamples(c)
	require.Len(t, samples, 2)
	for _, s := range samples {
		require.Equal(t, int64(600), s.CPUMilli, "1000/s over 2 pods wants 1005m each; the limit is 600m")
		require.InDelta(t, 1005, s.DemandMilli, 1e-6)
	}
	st := c.Metrics.Stats()[0]
	require.Positive(t, st.Saturated)
	require.InDelta(t, 1-600.0/1005, st.PeakUnserved, 1e-3)
}

// Same seed, same samples; reading them changes nothing.
func TestSamplesAreDeterministic(t *testing.T) {
	l := metrics.Load{Kind: "Deployment", Namespace: "default", Name: "web", Curve: metrics.Diurnal{Min: 10, Max: 400, Period: time.Hour}, CPUPerRequest: 1}
	a := run(t, l, web(3, ""), 10*time.Minute)
	b := run(t, l, web(3, ""), 10*time.Minute)
	require.Equal(t, webSamples(a), webSamples(b))
}
