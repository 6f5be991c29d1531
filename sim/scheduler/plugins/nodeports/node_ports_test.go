package nodeports

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

func TestFilter(t *testing.T) {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	tests := []struct {
		name     string
		existing *corev1.Pod
		pod      *corev1.Pod
		ok       bool
	}{
		{"no ports", st.Pod("e").HostPort("", tcp, 80).Obj(), st.Pod("p").Obj(), true},
		{"same port", st.Pod("e").HostPort("", tcp, 80).Obj(), st.Pod("p").HostPort("", tcp, 80).Obj(), false},
		{"other protocol", st.Pod("e").HostPort("", tcp, 80).Obj(), st.Pod("p").HostPort("", udp, 80).Obj(), true},
		{"other port", st.Pod("e").HostPort("", tcp, 80).Obj(), st.Pod("p").HostPort("", tcp, 8080).Obj(), true},
		{"any IP conflicts with specific", st.Pod("e").HostPort("10.0.0.1", tcp, 80).Obj(), st.Pod("p").HostPort("0.0.0.0", tcp, 80).Obj(), false},
		{"different specific IPs", st.Pod("e").HostPort("10.0.0.1", tcp, 80).Obj(), st.Pod("p").HostPort("10.0.0.2", tcp, 80).Obj(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			existing := tc.existing.DeepCopy()
			existing.Spec.NodeName = "n"
			c := st.Snapshot([]*corev1.Node{st.Node("n", "1", "1Gi", 10).Obj()}, []*corev1.Pod{existing})
			status := st.Filter(New(), c, tc.pod, "n")
			if tc.ok {
				require.True(t, status.IsSuccess())
				return
			}
			require.Equal(t, framework.Unschedulable, status.Code())
			require.Equal(t, []string{ErrReason}, status.Reasons())
		})
	}
}
