package scheduler

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// placements schedules a cluster where a third of the nodes cannot take
// the pods (tainted, or too small), so that filter rounds find infeasible
// nodes and need more than one round, and returns every pod's node and
// the trace hash.
func placements(t *testing.T) (map[string]string, string) {
	w, s := setupScale(t, 0, 0, 0)
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	for i := 0; i < 600; i++ {
		n := makeNode(nodeName(i), zones[i%3], "16", "64Gi", 110)
		switch i % 6 {
		case 1:
			n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "batch", Effect: corev1.TaintEffectNoSchedule}}
		case 4:
			n = makeNode(nodeName(i), zones[i%3], "150m", "64Gi", 110)
		}
		w.addNode(t, n)
	}
	addReplicaSets(t, w, 12, 25)
	w.Engine.RunUntil(time.Minute)
	require.Equal(t, uint64(300), s.Stats().Scheduled)
	out := map[string]string{}
	for _, o := range w.Store.List("Pod", "") {
		out[o.GetName()] = o.(*corev1.Pod).Spec.NodeName
	}
	return out, w.Engine.Trace().Hash()
}

// TestParallelFilterIsDeterministic: filtering in parallel rounds and
// scoring in parallel chunks binds every pod to the node the
// one-node-after-the-other filter and scoring pick, with the same trace,
// for GOMAXPROCS 1, 2 and 8.
func TestParallelFilterIsDeterministic(t *testing.T) {
	defer func(c, m int) { filterChunk, filterParallelMin = c, m }(filterChunk, filterParallelMin)
	defer func(c, m int) { framework.ScoreChunk, framework.ScoreParallelMin = c, m }(framework.ScoreChunk, framework.ScoreParallelMin)
	filterChunk, filterParallelMin = 1<<30, 1<<30 // the reference: one round, no goroutines
	framework.ScoreChunk, framework.ScoreParallelMin = 1<<30, 1<<30
	wantNodes, wantHash := placements(t)

	filterChunk, filterParallelMin = 8, 16 // many small chunks, rounds large enough to fan out
	framework.ScoreChunk, framework.ScoreParallelMin = 7, 16
	for _, procs := range []int{1, 2, 8} {
		t.Run(fmt.Sprint("GOMAXPROCS=", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			got, hash := placements(t)
			require.Equal(t, wantNodes, got)
			require.Equal(t, wantHash, hash)
		})
	}
}
