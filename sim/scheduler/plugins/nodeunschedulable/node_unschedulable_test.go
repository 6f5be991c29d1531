package nodeunschedulable

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

func TestFilter(t *testing.T) {
	tests := []struct {
		name string
		node *corev1.Node
		pod  *corev1.Pod
		ok   bool
	}{
		{"schedulable", st.Node("n", "1", "1Gi", 1).Obj(), st.Pod("p").Obj(), true},
		{"cordoned", st.Node("n", "1", "1Gi", 1).Unschedulable().Obj(), st.Pod("p").Obj(), false},
		{"cordoned but tolerated", st.Node("n", "1", "1Gi", 1).Unschedulable().Obj(),
			st.Pod("p").Toleration(corev1.TaintNodeUnschedulable, "", corev1.TolerationOpExists, corev1.TaintEffectNoSchedule).Obj(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := st.Snapshot([]*corev1.Node{tc.node}, nil)
			status := st.Filter(New(), c, tc.pod, "n")
			if tc.ok {
				require.True(t, status.IsSuccess())
				return
			}
			require.Equal(t, framework.UnschedulableAndUnresolvable, status.Code())
			require.Equal(t, []string{"node(s) were unschedulable"}, status.Reasons())
		})
	}
}
