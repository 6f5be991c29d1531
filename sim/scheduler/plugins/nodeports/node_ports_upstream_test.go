package nodeports

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (the node's pods go through our scheduler cache; statuses are
// compared by code and reasons; each case one row):
//   kubernetes v1.37.2 pkg/scheduler/framework/plugins/nodeports/node_ports_test.go
//     TestNodePorts
// Not ported: TestPreFilterDisabled and TestGetContainerPorts (upstream
// internals: a missing PreFilter state, and the plugin's private port
// list helper, whose behaviour TestNodePorts covers through Filter), and
// the queueing-hint tests (the simulator requeues by cluster event).

import (
	"strconv"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
	"github.com/kubesim/kubesim/sim/scheduler/internal/st"
)

func newPod(host string, hostPortInfos ...string) *v1.Pod {
	networkPorts := []v1.ContainerPort{}
	for _, portInfo := range hostPortInfos {
		splited := strings.Split(portInfo, "/")
		hostPort, _ := strconv.Atoi(splited[2])
		networkPorts = append(networkPorts, v1.ContainerPort{HostIP: splited[1], HostPort: int32(hostPort), Protocol: v1.Protocol(splited[0])})
	}
	return st.MakePod().Node(host).ContainerPort(networkPorts).Obj()
}

// newNodeInfoPods stands for upstream's framework.NewNodeInfo(pods...).
func newNodeInfoPods(pods ...*v1.Pod) []*v1.Pod { return pods }

func sameStatus(want, got *framework.Status) bool {
	if want.Code() != got.Code() {
		return false
	}
	w, g := want.Reasons(), got.Reasons()
	if len(w) != len(g) {
		return false
	}
	for i := range w {
		if w[i] != g[i] {
			return false
		}
	}
	return true
}

func TestNodePortsUpstream(t *testing.T) {
	skip := framework.NewStatus(framework.Skip)
	conflict := framework.NewStatus(framework.Unschedulable, ErrReason)
	hostPort8001 := []v1.ContainerPort{{ContainerPort: 8001, HostPort: 8001, Protocol: v1.ProtocolTCP}}
	// A case: its name, the pod, the pods already on the node, and the
	// expected PreFilter and Filter statuses (nil: success).
	tests := []struct {
		name                string
		pod                 *v1.Pod
		nodeInfo            []*v1.Pod
		wantPreFilterStatus *framework.Status
		wantFilterStatus    *framework.Status
	}{
		{"skip filter", &v1.Pod{}, newNodeInfoPods(), skip, nil},
		{"other port", newPod("m1", "UDP/127.0.0.1/8080"), newNodeInfoPods(newPod("m1", "UDP/127.0.0.1/9090")), nil, nil},
		{"same udp port", newPod("m1", "UDP/127.0.0.1/8080"), newNodeInfoPods(newPod("m1", "UDP/127.0.0.1/8080")), nil, conflict},
		{"same tcp port", newPod("m1", "TCP/127.0.0.1/8080"), newNodeInfoPods(newPod("m1", "TCP/127.0.0.1/8080")), nil, conflict},
		{"different host ip", newPod("m1", "TCP/127.0.0.1/8080"), newNodeInfoPods(newPod("m1", "TCP/127.0.0.2/8080")), nil, nil},
		{"different protocol", newPod("m1", "UDP/127.0.0.1/8080"), newNodeInfoPods(newPod("m1", "TCP/127.0.0.1/8080")), nil, nil},
		{"second udp port conflict", newPod("m1", "UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"),
			newNodeInfoPods(newPod("m1", "UDP/127.0.0.1/8080")), nil, conflict},
		{"first tcp port conflict", newPod("m1", "TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"),
			newNodeInfoPods(newPod("m1", "TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081")), nil, conflict},
		{"first tcp port conflict due to 0.0.0.0 hostIP", newPod("m1", "TCP/0.0.0.0/8001"),
			newNodeInfoPods(newPod("m1", "TCP/127.0.0.1/8001")), nil, conflict},
		{"TCP hostPort conflict due to 0.0.0.0 hostIP", newPod("m1", "TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"),
			newNodeInfoPods(newPod("m1", "TCP/127.0.0.1/8001")), nil, conflict},
		{"second tcp port conflict to 0.0.0.0 hostIP", newPod("m1", "TCP/127.0.0.1/8001"),
			newNodeInfoPods(newPod("m1", "TCP/0.0.0.0/8001")), nil, conflict},
		{"second different protocol", newPod("m1", "UDP/127.0.0.1/8001"), newNodeInfoPods(newPod("m1", "TCP/0.0.0.0/8001")), nil, nil},
		{"UDP hostPort conflict due to 0.0.0.0 hostIP", newPod("m1", "UDP/127.0.0.1/8001"),
			newNodeInfoPods(newPod("m1", "TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001")), nil, conflict},
		{"non-sidecar initContainer using hostPort", st.MakePod().InitContainerPort(false /* sidecar */, hostPort8001).Obj(),
			newNodeInfoPods(newPod("m1", "TCP/0.0.0.0/8001")), skip, nil},
		{"TCP hostPort conflict from sidecar initContainer", st.MakePod().InitContainerPort(true /* sidecar */, hostPort8001).Obj(),
			newNodeInfoPods(newPod("m1", "TCP/0.0.0.0/8001")), nil, conflict},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			node := st.MakeNode().Name("node").Obj()
			pods := st.Named(test.nodeInfo)
			for i, p := range pods {
				p = p.DeepCopy()
				p.Spec.NodeName = "node"
				pods[i] = p
			}
			c := schedtest.Snapshot([]*v1.Node{node}, pods)
			p := New()
			state := framework.NewCycleState()
			pre := p.PreFilter(state, test.pod)
			if !sameStatus(test.wantPreFilterStatus, pre) {
				t.Errorf("preFilter status: want %v, got %v", test.wantPreFilterStatus, pre)
			}
			if pre.IsSkip() {
				return
			}
			got := p.Filter(state, test.pod, c.Get("node"))
			if !sameStatus(test.wantFilterStatus, got) {
				t.Errorf("filter status: want %v, got %v", test.wantFilterStatus, got)
			}
		})
	}
}
