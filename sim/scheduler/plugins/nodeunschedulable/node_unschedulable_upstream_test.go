package nodeunschedulable

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (our NodeInfo and plugin; statuses compared by code and
// reasons, since ours also name the plugin; each case is a subtest):
//   kubernetes pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable_test.go
//     (commit b574b11f6b28f06e17333bb110e9374db3259bad)  TestNodeUnschedulable
// No case is skipped. Not ported: TestIsSchedulableAfterNodeChange
// (queueing hints; the simulator requeues by cluster event).

import (
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

func TestNodeUnschedulableUpstream(t *testing.T) {
	testCases := []struct {
		name       string
		pod        *v1.Pod
		node       *v1.Node
		wantStatus *framework.Status
	}{
		{
			name: "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)",
			pod:  &v1.Pod{},
			node: &v1.Node{
				Spec: v1.NodeSpec{
					Unschedulable: true,
				},
			},
			wantStatus: framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnschedulable),
		},
		{
			name: "Schedule pod to normal node",
			pod:  &v1.Pod{},
			node: &v1.Node{
				Spec: v1.NodeSpec{
					Unschedulable: false,
				},
			},
		},
		{
			name: "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)",
			pod: &v1.Pod{
				Spec: v1.PodSpec{
					Tolerations: []v1.Toleration{
						{
							Key:    v1.TaintNodeUnschedulable,
							Effect: v1.TaintEffectNoSchedule,
						},
					},
				},
			},
			node: &v1.Node{
				Spec: v1.NodeSpec{
					Unschedulable: true,
				},
			},
		},
	}

	for _, test := range testCases {
		t.Run(test.name, func(t *testing.T) {
			nodeInfo := framework.NewNodeInfo(test.node)
			gotStatus := New().Filter(framework.NewCycleState(), test.pod, nodeInfo)
			if gotStatus.Code() != test.wantStatus.Code() || !slices.Equal(gotStatus.Reasons(), test.wantStatus.Reasons()) {
				t.Errorf("status does not match: %v, want: %v", gotStatus, test.wantStatus)
			}
		})
	}
}
