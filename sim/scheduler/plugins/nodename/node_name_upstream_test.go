package nodename

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (our NodeInfo and plugin; statuses compared by code and
// reasons, since ours also name the plugin):
//   kubernetes pkg/scheduler/framework/plugins/nodename/node_name_test.go
//     (commit 96a58e4b8a59fab0b3735b1ae0cf92eeab6fc49c)  TestNodeName
// Our plugin has a PreFilter upstream lacks (it skips the Filter for a pod
// naming no node); the harness runs it first, as the scheduler does, so a
// skipped Filter counts as success. No case is skipped.

import (
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/st"
)

func TestNodeNameUpstream(t *testing.T) {
	tests := []struct {
		pod        *v1.Pod
		node       *v1.Node
		name       string
		wantStatus *framework.Status
	}{
		{
			pod:  &v1.Pod{},
			node: &v1.Node{},
			name: "no host specified",
		},
		{
			pod:  st.MakePod().Node("foo").Obj(),
			node: st.MakeNode().Name("foo").Obj(),
			name: "host matches",
		},
		{
			pod:        st.MakePod().Node("bar").Obj(),
			node:       st.MakeNode().Name("foo").Obj(),
			name:       "host doesn't match",
			wantStatus: framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReason),
		},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			nodeInfo := framework.NewNodeInfo(test.node)
			p := New()
			state := framework.NewCycleState()
			var gotStatus *framework.Status
			if pre := p.PreFilter(state, test.pod); !pre.IsSkip() {
				gotStatus = p.Filter(state, test.pod, nodeInfo)
			}
			if gotStatus.Code() != test.wantStatus.Code() || !slices.Equal(gotStatus.Reasons(), test.wantStatus.Reasons()) {
				t.Errorf("status does not match: %v, want: %v", gotStatus, test.wantStatus)
			}
		})
	}
}
