package metrics_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/kubelet/images"
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

// scrapeLog records, after every scrape, every pod's and node's sample
// and the cluster's CPU use.
type scrapeLog struct {
	c    *cluster.Cluster
	rows [][]string
}

func (l *scrapeLog) record() {
	var row []string
	for _, k := range l.c.Metrics.PodKeys() {
		ns, name := splitKey(k)
		s, _ := l.c.Metrics.Pod(ns, name)
		row = append(row, fmt.Sprintf("pod %s %+v", k, s))
	}
	for _, n := range l.c.Metrics.NodeNames() {
		s, _ := l.c.Metrics.Node(n)
		row = append(row, fmt.Sprintf("node %+v", s))
	}
	row = append(row, fmt.Sprintf("used %d at %v", l.c.Metrics.UsedCPUMilli(), l.c.Engine.Elapsed()))
	l.rows = append(l.rows, row)
}

func splitKey(k string) (string, string) {
	ns, name, _ := strings.Cut(k, "/")
	return ns, name
}

// churn runs a cluster through what changes a scrape: pods starting
// (the two-scrape rule), a workload's sim.kubesim.io/cpu annotation
// changing, a node failing and its pods moving, a node joining, a
// scale-up, then a long quiet spell.
func churn(t *testing.T, eager bool, loads ...metrics.Load) (*scrapeLog, *cluster.Cluster) {
	t.Helper()
	c, err := cluster.New(cluster.Config{Seed: 7, EtcdMembers: 1, EagerMetrics: eager, Loads: loads,
		NodeGroups: []cluster.NodeGroup{{Name: "ng", InstanceType: "m5.large", Count: 3}}})
	require.NoError(t, err)
	t.Cleanup(c.Etcd.Close)
	l := &scrapeLog{c: c}
	c.Metrics.OnScrape(l.record)
	c.Metrics.OnScrape(func() { require.NoError(t, c.Metrics.CheckEntries()) })
	kc := c.Client("kubectl")
	_, err = kc.Create(web(4, ""))
	require.NoError(t, err)
	batch := web(3, "")
	batch.Name = "batch"
	batch.Spec.Selector.MatchLabels = map[string]string{"app": "batch"}
	batch.Spec.Template.Labels = map[string]string{"app": "batch"}
	_, err = kc.Create(batch)
	require.NoError(t, err)

	c.Engine.RunUntil(2 * time.Minute)
	o, ok := c.Store.Get("Deployment", "default", "batch")
	require.True(t, ok)
	d := o.(*appsv1.Deployment).DeepCopy()
	d.Annotations = map[string]string{images.AnnotationCPU: "180m"}
	_, err = kc.Update(d)
	require.NoError(t, err)

	c.Engine.RunUntil(3 * time.Minute)
	// One pod's own annotation: its next version keeps its containers
	// but not what the server derived from them.
	for _, o := range c.Store.List("Pod", "default") {
		if p := o.(*corev1.Pod); p.Labels["app"] == "web" && p.Status.Phase == corev1.PodRunning {
			p = p.DeepCopy()
			p.Annotations = map[string]string{images.AnnotationCPU: "70m", images.AnnotationMemory: "300Mi"}
			_, err = kc.Update(p)
			require.NoError(t, err)
			break
		}
	}

	c.Engine.RunUntil(4 * time.Minute)
	require.NoError(t, c.FailNode("ng-1"))
	c.Engine.RunUntil(6 * time.Minute)
	_, err = c.AddNode(cluster.NodeGroup{Name: "ng", InstanceType: "m5.large"}, false)
	require.NoError(t, err)
	c.Engine.RunUntil(12 * time.Minute)
	o, _ = c.Store.Get("Deployment", "default", "web")
	d = o.(*appsv1.Deployment).DeepCopy()
	*d.Spec.Replicas = 6
	_, err = kc.Update(d)
	require.NoError(t, err)
	c.Engine.RunUntil(40 * time.Minute)
	return l, c
}

// The incremental server (a scrape that finds nothing changed keeps the
// previous samples) gives exactly the samples of one recomputing every
// scrape, while recomputing far less often.
func TestIncrementalScrapesMatchEager(t *testing.T) {
	eager, ce := churn(t, true)
	lazy, cl := churn(t, false)
	require.Equal(t, len(eager.rows), len(lazy.rows))
	for i := range eager.rows {
		require.Equal(t, eager.rows[i], lazy.rows[i], "scrape %d", i)
	}
	all, computed := cl.Metrics.Scrapes()
	allE, computedE := ce.Metrics.Scrapes()
	require.Equal(t, allE, computedE, "the eager server recomputes every scrape")
	require.Equal(t, uint64(40*4+1), all)
	require.Less(t, computed, all/2, "quiet spells cost no recomputation")

	// The log is not vacuous: the annotation moved batch's use to 180m,
	// the failed node's pods left it, the scale-up added pods.
	before, after := lazy.rows[6], lazy.rows[len(lazy.rows)-1]
	require.True(t, containsSub(after, "CPUMilli:180"), "batch pods use the annotation's 180m")
	require.True(t, containsSub(after, "CPUMilli:70 MemoryBytes:314572800"), "the annotated web pod uses 70m and 300Mi")
	require.False(t, containsSub(before, "CPUMilli:180"))
	// (The failed node's pods keep their samples: the model does not yet
	// know that metrics-server cannot reach a dead kubelet.)
	require.Equal(t, 6+3, countSub(after, "pod default/")-countSub(after, "Node:ng-1 "), "web's 6 and batch's 3 pods elsewhere have samples")
	require.True(t, containsSub(after, "Node:ng-4 "), "the new node runs pods")
}

// With loads every scrape computes (traffic and noise move), but from
// the pods that changed only: the samples and the loads' statistics are
// exactly those of a server that recomputes everything from the store.
func TestIncrementalLoadedScrapesMatchEager(t *testing.T) {
	loads := []metrics.Load{
		{Kind: "Deployment", Namespace: "default", Name: "web", Curve: metrics.Diurnal{Min: 50, Max: 900, Period: 20 * time.Minute}, CPUPerRequest: 1},
		{Kind: "Deployment", Namespace: "default", Name: "batch", Curve: metrics.Constant{Rate: 9000}, CPUPerRequest: 1, Noise: -1},
		{Kind: "Deployment", Namespace: "default", Name: "absent", Curve: metrics.Constant{Rate: 10}, CPUPerRequest: 1},
	}
	eager, ce := churn(t, true, loads...)
	lazy, cl := churn(t, false, loads...)
	require.Equal(t, len(eager.rows), len(lazy.rows))
	for i := range eager.rows {
		require.Equal(t, eager.rows[i], lazy.rows[i], "scrape %d", i)
	}
	require.Equal(t, ce.Metrics.Stats(), cl.Metrics.Stats())
	st := cl.Metrics.Stats()
	require.Equal(t, 6, st[0].PeakReadyPods, "web scaled to 6")
	require.Positive(t, st[1].Saturated, "batch wants 3 cores a pod; an m5.large has 2")
	require.Zero(t, st[2].PeakReadyPods, "no workload, no pods")
	require.True(t, containsSub(lazy.rows[len(lazy.rows)-1], "Node:ng-4 "), "the new node runs pods")
}

// Without loads a scrape patches the samples of the pods that changed
// (Server.patch): through pods starting, a workload's use going over its
// nodes' cores (throttled: every scrape recomputes) and back, pods
// deleted by a scale-down, a node deleted under its pods and a scale-up,
// the samples are exactly those of a server recomputing everything.
func TestPatchedScrapesMatchEager(t *testing.T) {
	run := func(eager bool) (*scrapeLog, []bool) {
		c, err := cluster.New(cluster.Config{Seed: 3, EtcdMembers: 1, EagerMetrics: eager,
			NodeGroups: []cluster.NodeGroup{{Name: "ng", InstanceType: "m5.large", Count: 3}}})
		require.NoError(t, err)
		t.Cleanup(c.Etcd.Close)
		l := &scrapeLog{c: c}
		var patchable []bool
		c.Metrics.OnScrape(l.record)
		c.Metrics.OnScrape(func() {
			require.NoError(t, c.Metrics.CheckEntries())
			patchable = append(patchable, c.Metrics.Patchable())
		})
		kc := c.Client("kubectl")
		_, err = kc.Create(web(5, ""))
		require.NoError(t, err)
		setWeb := func(at time.Duration, change func(d *appsv1.Deployment)) {
			c.Engine.RunUntil(at)
			o, ok := c.Store.Get("Deployment", "default", "web")
			require.True(t, ok)
			d := o.(*appsv1.Deployment).DeepCopy()
			change(d)
			_, err := kc.Update(d)
			require.NoError(t, err)
		}
		setWeb(2*time.Minute, func(d *appsv1.Deployment) { d.Annotations = map[string]string{images.AnnotationCPU: "1500m"} })
		setWeb(4*time.Minute, func(d *appsv1.Deployment) { d.Annotations = nil })
		setWeb(6*time.Minute, func(d *appsv1.Deployment) { *d.Spec.Replicas = 2 })
		c.Engine.RunUntil(8 * time.Minute)
		for _, o := range c.Store.List("Pod", "default") {
			if p := o.(*corev1.Pod); p.Spec.NodeName != "" {
				require.NoError(t, kc.Delete("Node", "", p.Spec.NodeName, apiserver.DeleteOptions{}))
				break
			}
		}
		setWeb(10*time.Minute, func(d *appsv1.Deployment) { *d.Spec.Replicas = 6 })
		c.Engine.RunUntil(20 * time.Minute)
		return l, patchable
	}
	eager, _ := run(true)
	lazy, patchable := run(false)
	require.Equal(t, len(eager.rows), len(lazy.rows))
	for i := range eager.rows {
		require.Equal(t, eager.rows[i], lazy.rows[i], "scrape %d", i)
	}
	require.Contains(t, patchable, false, "a throttled node stops patching")
	require.True(t, patchable[len(patchable)-1], "and it resumes")
}

func containsSub(rows []string, sub string) bool { return countSub(rows, sub) > 0 }

func countSub(rows []string, sub string) int {
	n := 0
	for _, r := range rows {
		if strings.Contains(r, sub) {
			n++
		}
	}
	return n
}

// A PodRef reads exactly what PodCPU reads as long as it is valid, and
// stops being valid when the server replaces or drops the pod's entry:
// checked after every scrape and between scrapes through the churn of
// pods starting, moving off a failed node, scaling and being deleted, for
// the incremental and the eager server.
func TestPodRefsReadAsPodCPU(t *testing.T) {
	for _, eager := range []bool{false, true} {
		c, err := cluster.New(cluster.Config{Seed: 7, EtcdMembers: 1, EagerMetrics: eager,
			NodeGroups: []cluster.NodeGroup{{Name: "ng", InstanceType: "m5.large", Count: 3}},
			Loads:      []metrics.Load{{Kind: "Deployment", Namespace: "default", Name: "web", Curve: metrics.Constant{Rate: 400}, CPUPerRequest: 1}}})
		require.NoError(t, err)
		t.Cleanup(c.Etcd.Close)
		refs := map[string]metrics.PodRef{}
		var checks, stale, sampled int
		check := func() {
			for _, o := range c.Store.List("Pod", "") {
				key := o.GetNamespace() + "/" + o.GetName()
				r, kept := refs[key]
				if !r.Valid() {
					if kept {
						stale++
					}
					r = c.Metrics.PodRef(o.GetNamespace(), o.GetName())
					refs[key] = r
				}
				m, at, w, ok := c.Metrics.PodCPUByRef(r)
				m2, at2, w2, ok2 := c.Metrics.PodCPU(o.GetNamespace(), o.GetName())
				require.Equal(t, []any{m2, at2, w2, ok2}, []any{m, at, w, ok}, "%s at %v", key, c.Engine.Elapsed())
				checks++
				if ok {
					sampled++
				}
			}
		}
		c.Metrics.OnScrape(check)
		var tick func()
		tick = func() { check(); c.Engine.After(7*time.Second, "test/check", tick) }
		c.Engine.After(7*time.Second, "test/check", tick)
		kc := c.Client("kubectl")
		_, err = kc.Create(web(4, ""))
		require.NoError(t, err)
		c.Engine.RunUntil(3 * time.Minute)
		require.NoError(t, c.FailNode("ng-1"))
		c.Engine.RunUntil(8 * time.Minute)
		o, _ := c.Store.Get("Deployment", "default", "web")
		d := o.(*appsv1.Deployment).DeepCopy()
		*d.Spec.Replicas = 2
		_, err = kc.Update(d)
		require.NoError(t, err)
		c.Engine.RunUntil(10 * time.Minute)
		// A pod that stays but stops running: its new entry has no
		// sample, while the replaced one still holds the last.
		for _, o := range c.Store.List("Pod", "default") {
			if p := o.(*corev1.Pod); p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				p = p.DeepCopy()
				p.Status.Phase = corev1.PodFailed
				_, err = kc.UpdateStatus(p)
				require.NoError(t, err)
				break
			}
		}
		c.Engine.RunUntil(12 * time.Minute)
		require.Positive(t, sampled, "eager=%v: pods had samples", eager)
		require.Positive(t, stale, "eager=%v: entries were replaced under kept refs", eager)
		require.Greater(t, checks, 500)
	}
}
