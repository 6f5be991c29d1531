package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// selectHostReference is upstream's selectHost loop as written before
// the locals: the choice and the draws the faster one must reproduce.
func selectHostReference(totals []int64, ties *sim.Rand) int {
	best, count := 0, 1
	for i := 1; i < len(totals); i++ {
		switch {
		case totals[i] > totals[best]:
			best, count = i, 1
		case totals[i] == totals[best]:
			count++
			if ties.Int64N(int64(count)) == 0 {
				best = i
			}
		}
	}
	return best
}

// TestSelectHostMatchesReference picks among totals with few and many
// ties, rising and falling, and requires the reference's node and the
// same number of draws (the stream's next draw agrees).
func TestSelectHostMatchesReference(t *testing.T) {
	cases := []struct {
		name   string
		n      int
		values int // totals drawn from [0, values)
	}{
		{"two nodes, tied", 2, 1},
		{"all tied", 500, 1},
		{"few values", 500, 3},
		{"many values", 500, 400},
		{"short", 7, 2},
	}
	nodes := make([]*framework.NodeInfo, 500)
	for i := range nodes {
		nodes[i] = framework.NewNodeInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("n", i)}})
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		for round := range 20 {
			totals := make([]int64, c.n)
			for i := range totals {
				totals[i] = int64(r.IntN(c.values))
			}
			ref, fast := sim.NewEngine(uint64(round)), sim.NewEngine(uint64(round))
			want := selectHostReference(totals, ref.Rand("scheduler/ties"))
			s := &Scheduler{ties: fast.Rand("scheduler/ties"), totals: totals}
			require.Same(t, nodes[want], s.selectHost(nodes[:c.n]), c.name)
			require.Equal(t, ref.Rand("scheduler/ties").Int64N(1<<40), fast.Rand("scheduler/ties").Int64N(1<<40), c.name)
		}
	}
}

// BenchmarkSelectHost picks among 500 totals of a few values, as a
// 5,000-node cycle's are (most nodes tie).
func BenchmarkSelectHost(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	nodes := make([]*framework.NodeInfo, 500)
	totals := make([]int64, 500)
	for i := range nodes {
		nodes[i] = framework.NewNodeInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("n", i)}})
		totals[i] = int64(r.IntN(4))
	}
	s := &Scheduler{ties: sim.NewEngine(1).Rand("scheduler/ties"), totals: totals}
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		s.selectHost(nodes)
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}
