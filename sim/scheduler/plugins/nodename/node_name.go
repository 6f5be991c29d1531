// Package nodename filters nodes by the pod's spec.nodeName, when set (a
// pod created with nodeName but no binding still goes through the
// scheduler only if the field is empty; this covers nominated copies).
package nodename

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Name is the plugin name.
const Name = "NodeName"

// ErrReason is upstream's failure reason.
const ErrReason = "node(s) didn't match the requested node name"

var statusMismatch = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReason).WithPlugin(Name)

// NodeName is the plugin.
type NodeName struct{}

// New returns the plugin.
func New() *NodeName { return &NodeName{} }

// Name implements framework.Plugin.
func (*NodeName) Name() string { return Name }

// Fits reports whether pod may run on the node named nodeName.
func Fits(pod *corev1.Pod, nodeName string) bool {
	return pod.Spec.NodeName == "" || pod.Spec.NodeName == nodeName
}

// PreFilter switches the Filter off for a pod that names no node (nearly
// every pod), where it passes on every node anyway: a filter call per
// node saved. (Upstream has no PreFilter here; results are the same.)
func (*NodeName) PreFilter(_ *framework.CycleState, pod *corev1.Pod) *framework.Status {
	if pod.Spec.NodeName == "" {
		return framework.SkipStatus
	}
	return nil
}

// Filter rejects every node but the one the pod names.
func (*NodeName) Filter(_ *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	// Most pods name no node: decide without touching the node object.
	if pod.Spec.NodeName != "" && !Fits(pod, ni.Name()) {
		return statusMismatch
	}
	return nil
}
