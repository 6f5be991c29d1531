package cluster

import (
	"cmp"
	"errors"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/autoscalers/clusterautoscaler"
	"github.com/kubesim/kubesim/sim/autoscalers/karpenter"
	"github.com/kubesim/kubesim/sim/cloud"
)

// caCloud is the cluster's node groups as Cluster Autoscaler's AWS cloud
// provider sees them: one Auto Scaling group per managed node group.
type caCloud struct {
	c *Cluster
	// groups is what NodeGroups returns, built on the first call: the
	// groups' configuration, region and prices do not change during a
	// run, and the autoscaler asks every 10 s (it copies a template
	// before it changes anything of it).
	groups []clusterautoscaler.NodeGroup
}

var _ clusterautoscaler.CloudProvider = (*caCloud)(nil)

func (p *caCloud) group(name string) (NodeGroup, bool) {
	for _, g := range p.c.cfg.NodeGroups {
		if g.Name == name {
			return g, true
		}
	}
	return NodeGroup{}, false
}

// bounds are a group's min and max (default: its count).
func bounds(g NodeGroup) (int, int) {
	lo, hi := g.Min, g.Max
	if lo == 0 && hi == 0 {
		return g.Count, g.Count
	}
	return lo, max(hi, lo)
}

func (p *caCloud) NodeGroups() []clusterautoscaler.NodeGroup {
	if p.groups == nil {
		p.groups = p.nodeGroups()
	}
	return slices.Clone(p.groups)
}

func (p *caCloud) nodeGroups() []clusterautoscaler.NodeGroup {
	out := []clusterautoscaler.NodeGroup{}
	for _, g := range p.c.cfg.NodeGroups {
		if g.InstanceType == "" {
			continue // custom capacity: nothing EC2 could launch
		}
		lo, hi := bounds(g)
		price, _ := cloud.Price(p.c.EC2.Region(), g.InstanceType, g.CapacityType)
		out = append(out, clusterautoscaler.NodeGroup{Name: g.Name, Min: lo, Max: hi, Template: p.template(g), PricePerHour: price})
	}
	slices.SortFunc(out, func(a, b clusterautoscaler.NodeGroup) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// template is the Node a new machine of g would register, Ready.
func (p *caCloud) template(g NodeGroup) *corev1.Node {
	zones := g.Zones
	if len(zones) == 0 {
		zones = p.c.cfg.Zones
	}
	it, _ := cloud.Lookup(g.InstanceType)
	capacity, allocatable := it.Capacity(), it.Allocatable()
	cloud.SetDisk(capacity, allocatable, int64(g.DiskGiB))
	n := cloud.NodeObject(cloud.NodeSpec{Name: "template-node-for-" + g.Name, Group: g.Name, Zone: zones[0],
		InstanceType: g.InstanceType, CapacityType: g.CapacityType, Labels: g.Labels, Taints: g.Taints,
		Capacity: capacity, Allocatable: allocatable})
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	return n
}

func (p *caCloud) NodeGroupOf(node *corev1.Node) string {
	name := node.Labels[cloud.LabelNodeGroup]
	if g, ok := p.group(name); ok && g.InstanceType != "" {
		return name
	}
	return ""
}

// live lists the group's machines that are pending or running.
func (p *caCloud) live(group string) []*Node {
	var out []*Node
	for _, n := range p.c.nodes {
		if n.Group == group && (n.Instance == nil || n.Instance.State == cloud.Pending || n.Instance.State == cloud.Running) {
			out = append(out, n)
		}
	}
	return out
}

func (p *caCloud) TargetSize(group string) int { return len(p.live(group)) }

func (p *caCloud) Upcoming(group string) []clusterautoscaler.Machine {
	var out []clusterautoscaler.Machine
	for _, n := range p.live(group) {
		if _, ok := p.c.Store.Get("Node", "", n.Name); ok || n.Instance == nil {
			continue
		}
		out = append(out, clusterautoscaler.Machine{Name: n.Name, RequestedAt: n.Instance.LaunchedAt})
	}
	return out
}

// IncreaseSize launches delta machines, each in the group's zone with the
// fewest machines (the Auto Scaling group's AZ balancing); a zone out of
// capacity is skipped for the next one, as the ASG does.
func (p *caCloud) IncreaseSize(group string, delta int) (int, error) {
	g, ok := p.group(group)
	if !ok {
		return 0, errors.New("no node group " + group)
	}
	zones := g.Zones
	if len(zones) == 0 {
		zones = p.c.cfg.Zones
	}
	launched := 0
	var lastErr error
	for range delta {
		count := map[string]int{}
		for _, n := range p.live(group) {
			count[n.Zone]++
		}
		order := slices.Clone(zones)
		slices.SortStableFunc(order, func(a, b string) int { return count[a] - count[b] })
		done := false
		for _, z := range order {
			if _, err := p.c.LaunchNode(g, z); err != nil {
				lastErr = err
				continue
			}
			launched++
			done = true
			break
		}
		if !done {
			return launched, lastErr
		}
	}
	return launched, nil
}

func (p *caCloud) DeleteNode(group, node string) error {
	n, ok := p.c.byName[node]
	if !ok || n.Group != group {
		return errors.New("node " + node + " is not in group " + group)
	}
	return p.c.TerminateNode(node)
}

// startAutoscalers starts the autoscalers the configuration turns on.
func (c *Cluster) startAutoscalers() {
	if c.cfg.ClusterAutoscaler != nil {
		c.CA = clusterautoscaler.New(c.Engine, c.Client(clusterautoscaler.Name), &caCloud{c: c}, *c.cfg.ClusterAutoscaler)
		c.CA.Start()
	}
	if c.cfg.Karpenter != nil {
		c.Karpenter = karpenter.New(c.Engine, c.Client(karpenter.Name), karpenterCloud{c}, *c.cfg.Karpenter)
		c.Karpenter.Start()
	}
}
