// Package nodeunschedulable filters out cordoned nodes
// (spec.unschedulable) unless the pod tolerates the
// node.kubernetes.io/unschedulable:NoSchedule taint.
package nodeunschedulable

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Name is the plugin name.
const Name = "NodeUnschedulable"

// Upstream's failure reasons.
const (
	ErrReasonUnschedulable    = "node(s) were unschedulable"
	ErrReasonUnknownCondition = "node(s) had unknown conditions"
)

var (
	statusUnschedulable = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnschedulable).WithPlugin(Name)
	statusUnknown       = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnknownCondition).WithPlugin(Name)
	unschedulableTaint  = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}
)

// NodeUnschedulable is the plugin.
type NodeUnschedulable struct{}

// New returns the plugin.
func New() *NodeUnschedulable { return &NodeUnschedulable{} }

// Name implements framework.Plugin.
func (*NodeUnschedulable) Name() string { return Name }

// Filter rejects a cordoned node unless the pod tolerates cordoning.
func (*NodeUnschedulable) Filter(_ *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	if ni.Node() == nil {
		return statusUnknown
	}
	if !ni.Unschedulable { // cached spec.unschedulable: no node deref
		return nil
	}
	if framework.TolerationsTolerateTaint(pod.Spec.Tolerations, &unschedulableTaint) {
		return nil
	}
	return statusUnschedulable
}

// EventsToRegister implements framework.EnqueueExtensions: an uncordoned node.
func (*NodeUnschedulable) EventsToRegister() map[string][]framework.ClusterEvent {
	return map[string][]framework.ClusterEvent{Name: {framework.NodeSchedulable}}
}

// QuickRule implements framework.QuickFilter: Filter passes a present,
// uncordoned node.
func (*NodeUnschedulable) QuickRule(*framework.CycleState, *corev1.Pod) (framework.QuickRule, bool) {
	return framework.QuickRule{Schedulable: true}, true
}
