package scheduler

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// setupScale builds nodes across 3 zones and replicaSets ReplicaSet
// objects (so default topology spreading applies) with podsPer pods each,
// created but not yet scheduled.
func setupScale(tb testing.TB, nodes, replicaSets, podsPer int) (*world, *Scheduler) {
	w := newWorld(42)
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	for i := 0; i < nodes; i++ {
		w.addNode(tb, makeNode(nodeName(i), zones[i%3], "16", "64Gi", 110))
	}
	s := New(w.Engine, w.Server.Client("default-scheduler"), Config{})
	s.Start()
	addReplicaSets(tb, w, replicaSets, podsPer)
	return w, s
}

// addReplicaSets creates replicaSets ReplicaSets with podsPer pods each.
func addReplicaSets(tb testing.TB, w *world, replicaSets, podsPer int) {
	for r := 0; r < replicaSets; r++ {
		lbls := map[string]string{"app": fmt.Sprintf("app-%d", r), "pod-template-hash": "abc12"}
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d-abc12", r), Namespace: "default"},
			Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: lbls},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbls},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.25"}}}}}}
		_, err := w.Admin.Create(rs)
		require.NoError(tb, err)
		for i := 0; i < podsPer; i++ {
			w.addPod(tb, makePod(fmt.Sprintf("app-%d-abc12-%d", r, i), "100m", "200Mi", lbls))
		}
	}
}

func TestScaleAllBoundAndSpread(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test")
	}
	w, s := setupScale(t, 300, 20, 30)
	w.Engine.RunUntil(time.Minute)
	require.Equal(t, uint64(600), s.Stats().Scheduled)
	// Default spreading keeps each app's 30 pods on distinct nodes and
	// balanced across the three zones.
	for r := 0; r < 20; r++ {
		nodes := map[string]bool{}
		zones := map[string]int{}
		for i := 0; i < 30; i++ {
			p := w.pod(t, fmt.Sprintf("app-%d-abc12-%d", r, i))
			require.NotEmpty(t, p.Spec.NodeName)
			nodes[p.Spec.NodeName] = true
			zones[s.Cache().Get(p.Spec.NodeName).Node().Labels[corev1.LabelTopologyZone]]++
		}
		require.Len(t, nodes, 30, "app-%d", r)
		for z, n := range zones {
			require.InDelta(t, 10, n, 1, "app-%d zone %s", r, z)
		}
	}
}

func TestDeterministic(t *testing.T) {
	run := func() string {
		w, _ := setupScale(t, 150, 5, 20)
		w.Engine.RunUntil(time.Minute)
		return w.Engine.Trace().Hash()
	}
	require.Equal(t, run(), run())
}

// BenchmarkSchedule5000Nodes schedules 20,000 pods (200 ReplicaSets x 100)
// onto 5,000 nodes and reports pods/s of wall time.
// The sub-benchmarks filter sequentially and in parallel rounds.
func BenchmarkSchedule5000Nodes(b *testing.B) {
	defer func(m int) { filterParallelMin = m }(filterParallelMin)
	for _, mode := range []struct {
		name string
		min  int
	}{{"filter=sequential", 1 << 30}, {"filter=parallel", 256}} {
		b.Run(mode.name, func(b *testing.B) {
			filterParallelMin = mode.min
			benchmarkSchedule(b)
		})
	}
}

func benchmarkSchedule(b *testing.B) {
	const pods = 20000
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w, s := setupScale(b, 5000, 200, pods/200)
		b.StartTimer()
		start := time.Now()
		w.Engine.RunUntil(time.Hour)
		el := time.Since(start)
		b.StopTimer()
		require.Equal(b, uint64(pods), s.Stats().Scheduled)
		b.ReportMetric(float64(pods)/el.Seconds(), "pods/s")
	}
}

// BenchmarkSchedulePerPod schedules 3,000 pods (30 ReplicaSets x 100) onto
// 1,000 nodes in three zones, the bench's shape scaled down, and reports
// the allocations and nanoseconds per scheduled pod of the whole path
// (cycle, bind, the API server's writes and the watches behind them).
func BenchmarkSchedulePerPod(b *testing.B) {
	const rs, per = 30, 100
	b.ReportAllocs()
	var mallocs uint64
	var ms runtime.MemStats
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w, s := setupScale(b, 1000, rs, per)
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		b.StartTimer()
		w.Engine.RunUntil(time.Hour)
		b.StopTimer()
		runtime.ReadMemStats(&ms)
		mallocs += ms.Mallocs - before
		require.Equal(b, uint64(rs*per), s.Stats().Scheduled)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rs*per), "ns/pod")
	b.ReportMetric(float64(mallocs)/float64(b.N*rs*per), "allocs/pod")
}

// BenchmarkSchedulePod5000Nodes times one scheduling decision (filter,
// score, select; no bind) for a pod of a 100-replica ReplicaSet on 5,000
// nodes in three zones already running 20,000 such pods: the cycle's
// share of the bench's per-pod cost, without the API server's writes.
// Each cycle starts where the last one stopped, as the scheduler's do.
// In the simulation, the rest of the cluster's work runs between two
// cycles and evicts what the last one read from the processor's caches:
// the evicted case walks 8 MiB between cycles to model that (its
// ns/op includes the walk; a CPU profile of schedulePod does not).
//
// The parallel sub-benchmarks filter and score the ~500 sampled nodes
// in parallel chunks (as upstream's 16 workers do); run with -cpu 1,2:
// ns/op is then how long the simulation's goroutine waits per cycle.
func BenchmarkSchedulePod5000Nodes(b *testing.B) {
	defer func(m int) { filterParallelMin = m }(filterParallelMin)
	defer func(m int) { framework.ScoreParallelMin = m }(framework.ScoreParallelMin)
	for _, par := range []bool{false, true} {
		for _, evict := range []bool{false, true} {
			b.Run(fmt.Sprintf("parallel=%v/evicted=%v", par, evict), func(b *testing.B) {
				filterParallelMin, framework.ScoreParallelMin = 1<<30, 1<<30
				if par {
					filterParallelMin, framework.ScoreParallelMin = 256, 256
				}
				benchmarkSchedulePod(b, evict)
			})
		}
	}
}

var evictSink uint64

// evictCaches reads and writes buf, a line at a time.
func evictCaches(buf []uint64) {
	for i := 0; i < len(buf); i += 8 {
		buf[i]++
		evictSink += buf[i]
	}
}

func benchmarkSchedulePod(b *testing.B, evict bool) {
	var buf []uint64
	if evict {
		buf = make([]uint64, 8<<20/8)
	}
	w, s := setupScale(b, 5000, 200, 100)
	w.Engine.RunUntil(time.Hour)
	require.Equal(b, uint64(20000), s.Stats().Scheduled)
	lbls := map[string]string{"app": "app-7", "pod-template-hash": "abc12"}
	p := makePod("app-7-abc12-extra", "100m", "200Mi", lbls)
	w.addPod(b, p)
	pi := framework.NewPodInfo(w.pod(b, p.Name))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		if _, err := s.schedulePod(pi); err != nil {
			b.Fatal(err)
		}
		if evict {
			evictCaches(buf)
		}
	}
	// The process's CPU time per cycle: on a shared, loaded machine it
	// moves far less than the wall time does.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the process's user and system CPU time so far, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
