package imagelocality

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

// BenchmarkScoreNodes scores 500 of 5,000 nodes that each hold 10 of 300
// images, for a one-container pod: the scheduler's per-cycle shape.
func BenchmarkScoreNodes(b *testing.B) {
	nodes := make([]*corev1.Node, 5000)
	for i := range nodes {
		w := st.Node(fmt.Sprintf("n%d", i), "16", "64Gi", 110)
		for k := range 10 {
			w.Image(fmt.Sprintf("registry.example.com/team/app-%d:1.0", (i*7+k*31)%300), 200*mb)
		}
		nodes[i] = w.Obj()
	}
	c := st.Snapshot(nodes, nil)
	pl := New(c)
	pod := st.Pod("p").Image("registry.example.com/team/app-42:1.0").Obj()
	infos := c.NodeInfos()[:500]
	scores := make([]framework.NodeScore, len(infos))
	b.ResetTimer()
	for range b.N {
		state := framework.NewCycleState()
		pl.PreScore(state, pod, infos)
		pl.ScoreNodes(state, pod, infos, scores)
	}
}
