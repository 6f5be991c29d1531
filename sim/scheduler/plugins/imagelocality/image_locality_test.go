package imagelocality

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

func TestCalculatePriority(t *testing.T) {
	tests := []struct {
		name       string
		sum        int64
		containers int
		want       int64
	}{
		{"below 23MiB", 10 * mb, 1, 0},
		{"exactly 23MiB", 23 * mb, 1, 0},
		{"1000MiB saturates one container", 1000 * mb, 1, 100},
		{"above max clamps", 3000 * mb, 1, 100},
		// 100*(250-23)/(1000-23) = 22700/977 = 23
		{"250MiB", 250 * mb, 1, 23},
		// two containers: max 2000MiB: 100*(1000-23)/(2000-23) = 97700/1977 = 49
		{"two containers", 1000 * mb, 2, 49},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, CalculatePriority(tc.sum, tc.containers))
		})
	}
}

func TestScoreWeighsSpread(t *testing.T) {
	// 500MiB image on 2 of 4 nodes: scaled 250MiB -> 23; nodes without it 0.
	// A tagless pod image matches the node's ":latest" entry.
	nodes := []*corev1.Node{
		st.Node("a", "1", "1Gi", 10).Image("web:latest", 500*mb).Obj(),
		st.Node("b", "1", "1Gi", 10).Image("web:latest", 500*mb).Obj(),
		st.Node("c", "1", "1Gi", 10).Image("other:1", 900*mb).Obj(),
		st.Node("d", "1", "1Gi", 10).Obj(),
	}
	c := st.Snapshot(nodes, nil)
	got, status := st.Scores(New(c), c, st.Pod("p").Image("web").Obj())
	require.True(t, status.IsSuccess())
	require.Equal(t, map[string]int64{"a": 23, "b": 23, "c": 0, "d": 0}, got)
}
