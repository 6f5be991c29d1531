package clusterautoscaler

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// NodeGroup is one autoscaled group as the cloud describes it.
type NodeGroup struct {
	Name     string
	Min, Max int
	// Template is a Node as a new machine of the group would register it
	// (labels, taints, capacity, allocatable, Ready): what scale-up
	// simulates pending pods on.
	Template *corev1.Node
	// PricePerHour of one machine (the price expander).
	PricePerHour float64
}

// CloudProvider is what the autoscaler needs of the cloud: the node
// groups, their target sizes, and machines added or removed. On EKS this
// is the Auto Scaling group of each managed node group.
type CloudProvider interface {
	// NodeGroups lists the autoscaled groups, sorted by name.
	NodeGroups() []NodeGroup
	// NodeGroupOf names the group a node belongs to ("" for none).
	NodeGroupOf(node *corev1.Node) string
	// TargetSize is the group's desired capacity (machines launched and
	// not terminated, registered or not).
	TargetSize(group string) int
	// Upcoming lists the group's machines that have not registered a Node
	// yet, with the virtual time each was asked for.
	Upcoming(group string) []Machine
	// IncreaseSize asks for delta more machines; an error (insufficient
	// capacity in every zone) means none or only some were launched.
	IncreaseSize(group string, delta int) (launched int, err error)
	// DeleteNode terminates the machine behind node (or a machine that
	// never registered), decreasing the target size.
	DeleteNode(group, node string) error
}

// Machine is a machine the cloud launched for a group.
type Machine struct {
	Name        string
	RequestedAt time.Duration // virtual time
}
