package cluster

import (
	"fmt"
	"slices"

	"github.com/kubesim/kubesim/sim/autoscalers/karpenter"
	"github.com/kubesim/kubesim/sim/cloud"
)

// karpenterCloud is the cluster's AWS as Karpenter's AWS provider sees
// it: EC2 launches of any catalogue type in the cluster's zones.
type karpenterCloud struct{ c *Cluster }

var _ karpenter.CloudProvider = karpenterCloud{}

func (p karpenterCloud) Region() string  { return p.c.EC2.Region() }
func (p karpenterCloud) Zones() []string { return slices.Clone(p.c.cfg.Zones) }

func (p karpenterCloud) Price(typ, capacityType string) (float64, bool) {
	v, err := cloud.Price(p.c.EC2.Region(), typ, capacityType)
	return v, err == nil
}

// Create launches the instance; its kubelet registers a Node named as EC2
// names it (the private DNS name), with the NodeClaim's labels and taints.
func (p karpenterCloud) Create(req karpenter.LaunchRequest) (karpenter.Launched, error) {
	c := p.c
	it, ok := cloud.Lookup(req.Type)
	if !ok {
		return karpenter.Launched{}, fmt.Errorf("unknown instance type %q", req.Type)
	}
	ip := cloud.NodeIP(c.nodeIndex)
	name := cloud.Hostname(ip, cloud.Region(req.Zone))
	spec := cloud.NodeSpec{Name: name, Zone: req.Zone, InstanceType: req.Type, CapacityType: req.CapacityType,
		Labels: req.Labels, Taints: req.Taints, Index: c.nodeIndex, Capacity: it.Capacity(), Allocatable: it.Allocatable()}
	in, err := c.EC2.Launch(cloud.LaunchRequest{Name: name, Type: req.Type, Zone: req.Zone, CapacityType: req.CapacityType, Group: req.NodePool})
	if err != nil {
		return karpenter.Launched{}, err
	}
	c.nodeIndex++
	node := &Node{Name: name, Zone: req.Zone, spec: spec, Instance: in, NodePool: req.NodePool}
	c.nodes = append(c.nodes, node)
	c.byName[name] = node
	return karpenter.Launched{NodeName: name, ProviderID: "aws:///" + req.Zone + "/" + in.ID, ImageID: req.ImageID}, nil
}

func (p karpenterCloud) Delete(nodeName string) error { return p.c.TerminateNode(nodeName) }

// InterruptSpot sends the spot instance behind node its two-minute
// interruption notice (the instance is reclaimed when it expires).
// node "random" picks one of the running spot instances with the
// "chaos/spot" stream.
func (c *Cluster) InterruptSpot(node string) (string, error) {
	if node == "random" {
		var spot []string
		for _, n := range c.nodes {
			if n.Instance != nil && n.Instance.CapacityType == cloud.Spot && n.Instance.State == cloud.Running && n.Kubelet != nil && !n.Failed {
				spot = append(spot, n.Name)
			}
		}
		if len(spot) == 0 {
			return "", fmt.Errorf("no running spot instance to interrupt")
		}
		node = spot[c.Engine.Rand("chaos/spot").IntN(len(spot))]
	}
	if _, err := c.node(node); err != nil {
		return node, err
	}
	c.traceFault("spot-interrupt", node, "spot interruption notice")
	return node, c.EC2.Interrupt(node)
}

func (c *Cluster) instanceInterrupted(in *cloud.Instance) {
	if c.Karpenter != nil {
		c.Karpenter.Interrupted(in.Name)
	}
}
