// Package nodeports rejects nodes where a host port the pod asks for is
// already bound by another pod.
package nodeports

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Name is the plugin name.
const Name = "NodePorts"

// ErrReason is upstream's failure reason.
const ErrReason = "node(s) didn't have free ports for the requested pod ports"

const stateKey framework.StateKey = "PreFilter" + Name

var statusConflict = framework.NewStatus(framework.Unschedulable, ErrReason).WithPlugin(Name)

// NodePorts is the plugin.
type NodePorts struct{}

// New returns the plugin.
func New() *NodePorts { return &NodePorts{} }

// Name implements framework.Plugin.
func (*NodePorts) Name() string { return Name }

// PreFilter collects the pod's host ports; a pod without any skips the
// Filter.
func (*NodePorts) PreFilter(state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	ports := framework.PodHostPorts(pod, nil)
	if len(ports) == 0 {
		return framework.SkipStatus
	}
	state.Write(stateKey, ports)
	return nil
}

// Filter rejects the node if any wanted port is taken.
func (*NodePorts) Filter(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	var ports []framework.HostPort
	if v, err := state.Read(stateKey); err == nil {
		ports = v.([]framework.HostPort)
	} else {
		ports = framework.PodHostPorts(pod, nil)
	}
	if !Fits(ports, ni) {
		return statusConflict
	}
	return nil
}

// EventsToRegister implements framework.EnqueueExtensions: a pod leaving a node frees its host ports.
func (*NodePorts) EventsToRegister() map[string][]framework.ClusterEvent {
	return map[string][]framework.ClusterEvent{Name: {framework.AssignedPodDelete}}
}

// Fits reports whether none of ports is bound on the node.
func Fits(ports []framework.HostPort, ni *framework.NodeInfo) bool {
	return len(ports) == 0 || !ni.UsedPortsConflict(ports)
}
