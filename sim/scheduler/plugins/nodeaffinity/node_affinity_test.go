package nodeaffinity

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

func TestFilter(t *testing.T) {
	node := st.Node("n", "1", "1Gi", 10).Label("disk", "ssd").Zone("us-east-1a").Obj()
	tests := []struct {
		name string
		pod  *corev1.Pod
		ok   bool
	}{
		{"no constraints", st.Pod("p").Obj(), true},
		{"nodeSelector match", st.Pod("p").NodeSelector("disk", "ssd").Obj(), true},
		{"nodeSelector mismatch", st.Pod("p").NodeSelector("disk", "hdd").Obj(), false},
		{"required In match", st.Pod("p").NodeAffinityIn(corev1.LabelTopologyZone, "us-east-1b", "us-east-1a").Obj(), true},
		{"required In mismatch", st.Pod("p").NodeAffinityIn(corev1.LabelTopologyZone, "us-east-1b").Obj(), false},
		{"terms are ORed", st.Pod("p").NodeAffinityIn("disk", "hdd").NodeAffinityIn("disk", "ssd").Obj(), true},
		{"selector AND affinity", st.Pod("p").NodeSelector("disk", "hdd").NodeAffinityIn("disk", "ssd").Obj(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := st.Snapshot([]*corev1.Node{node}, nil)
			status := st.Filter(New(), c, tc.pod, "n")
			if tc.ok {
				require.True(t, status.IsSuccess())
				return
			}
			require.Equal(t, framework.UnschedulableAndUnresolvable, status.Code())
			require.Equal(t, []string{ErrReasonPod}, status.Reasons())
		})
	}
}

func TestEmptyTermMatchesNothing(t *testing.T) {
	term := ParseTerm(&corev1.NodeSelectorTerm{})
	require.False(t, term.Match(st.Node("n", "1", "1Gi", 1).Obj()))
}

func TestScore(t *testing.T) {
	// Weights 2 (disk=ssd) and 5 (zone a): a matches both = 7 -> 100,
	// b zone only = 5 -> 100*5/7 = 71, c nothing -> 0.
	nodes := []*corev1.Node{
		st.Node("a", "1", "1Gi", 10).Label("disk", "ssd").Zone("z1").Obj(),
		st.Node("b", "1", "1Gi", 10).Zone("z1").Obj(),
		st.Node("c", "1", "1Gi", 10).Zone("z2").Obj(),
	}
	c := st.Snapshot(nodes, nil)
	pod := st.Pod("p").PreferredNodeAffinity("disk", "ssd", 2).PreferredNodeAffinity(corev1.LabelTopologyZone, "z1", 5).Obj()
	got, status := st.Scores(New(), c, pod)
	require.True(t, status.IsSuccess())
	require.Equal(t, map[string]int64{"a": 100, "b": 71, "c": 0}, got)

	_, status = st.Scores(New(), c, st.Pod("q").Obj())
	require.True(t, status.IsSkip())
}
