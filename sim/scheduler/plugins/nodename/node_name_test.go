package nodename

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

func TestFilter(t *testing.T) {
	c := st.Snapshot([]*corev1.Node{st.Node("a", "1", "1Gi", 1).Obj(), st.Node("b", "1", "1Gi", 1).Obj()}, nil)
	tests := []struct {
		name, want, node string
		ok               bool
	}{
		{"unset", "", "a", true},
		{"match", "a", "a", true},
		{"mismatch", "a", "b", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := st.Pod("p").Obj()
			pod.Spec.NodeName = tc.want
			status := st.Filter(New(), c, pod, tc.node)
			require.Equal(t, tc.ok, status.IsSuccess())
			if !tc.ok {
				require.Equal(t, "node(s) didn't match the requested node name", status.Message())
			}
		})
	}
}
