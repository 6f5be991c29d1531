package tainttoleration

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

func TestFilter(t *testing.T) {
	tests := []struct {
		name   string
		node   *corev1.Node
		pod    *corev1.Pod
		reason string
	}{
		{"no taints", st.Node("n", "1", "1Gi", 10).Obj(), st.Pod("p").Obj(), ""},
		{"untolerated NoSchedule", st.Node("n", "1", "1Gi", 10).Taint("dedicated", "batch", corev1.TaintEffectNoSchedule).Obj(),
			st.Pod("p").Obj(), "node(s) had untolerated taint(s)"},
		{"tolerated by Equal", st.Node("n", "1", "1Gi", 10).Taint("dedicated", "batch", corev1.TaintEffectNoSchedule).Obj(),
			st.Pod("p").Toleration("dedicated", "batch", corev1.TolerationOpEqual, corev1.TaintEffectNoSchedule).Obj(), ""},
		{"wrong value", st.Node("n", "1", "1Gi", 10).Taint("dedicated", "batch", corev1.TaintEffectNoSchedule).Obj(),
			st.Pod("p").Toleration("dedicated", "web", corev1.TolerationOpEqual, "").Obj(), "node(s) had untolerated taint(s)"},
		{"tolerated by Exists without key", st.Node("n", "1", "1Gi", 10).Taint("a", "b", corev1.TaintEffectNoExecute).Obj(),
			st.Pod("p").Toleration("", "", corev1.TolerationOpExists, "").Obj(), ""},
		{"PreferNoSchedule does not filter", st.Node("n", "1", "1Gi", 10).Taint("a", "b", corev1.TaintEffectPreferNoSchedule).Obj(),
			st.Pod("p").Obj(), ""},
		{"empty value prints empty", st.Node("n", "1", "1Gi", 10).Taint("node-role.kubernetes.io/control-plane", "", corev1.TaintEffectNoSchedule).Obj(),
			st.Pod("p").Obj(), "node(s) had untolerated taint(s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := st.Snapshot([]*corev1.Node{tc.node}, nil)
			status := st.Filter(New(), c, tc.pod, "n")
			if tc.reason == "" {
				require.True(t, status.IsSuccess(), status.Message())
				return
			}
			require.Equal(t, framework.UnschedulableAndUnresolvable, status.Code())
			require.Equal(t, []string{tc.reason}, status.Reasons())
		})
	}
}

func TestScore(t *testing.T) {
	// Raw = untolerated PreferNoSchedule taints: 0, 1, 2 -> 100, 50, 0.
	// The tolerated taint "ok" does not count.
	prefer := corev1.TaintEffectPreferNoSchedule
	nodes := []*corev1.Node{
		st.Node("a", "1", "1Gi", 10).Taint("ok", "", prefer).Obj(),
		st.Node("b", "1", "1Gi", 10).Taint("x", "1", prefer).Obj(),
		st.Node("c", "1", "1Gi", 10).Taint("x", "1", prefer).Taint("y", "1", prefer).Obj(),
	}
	c := st.Snapshot(nodes, nil)
	pod := st.Pod("p").Toleration("ok", "", corev1.TolerationOpExists, prefer).Obj()
	got, status := st.Scores(New(), c, pod)
	require.True(t, status.IsSuccess())
	require.Equal(t, map[string]int64{"a": 100, "b": 50, "c": 0}, got)
}
