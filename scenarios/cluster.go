package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"

	"github.com/kubesim/kubesim/sim/cloud"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/internal/textdist"
)

var nodeGroupFields = []string{"name", "instanceType", "capacity", "capacityType", "count", "min", "max", "zones", "labels", "taints", "diskSize"}

// cluster decodes the cluster section, applying the EKS defaults.
func (p *parser) cluster(n *yaml.Node, present bool, scenarioPos Pos) Cluster {
	c := Cluster{ControlPlane: ControlPlane{APIServers: 2, EtcdMembers: 3}, Addons: true}
	if !present {
		p.errAt(p.file, scenarioPos, "add a `cluster:` with at least one node group", "missing required field \"cluster\"")
		return c
	}
	c.Region = cloud.DefaultRegion
	f, ok := p.Mapping(n, "cluster", "controlPlane", "region", "zones", "addons", "nodeGroups", "eksctl", "autoscaling", "spotInterruptionRates", "fargate")
	if !ok {
		return c
	}
	if v, ok := f.Vals["region"]; ok {
		c.Region = p.region(v)
	}
	if v, ok := f.Vals["autoscaling"]; ok {
		p.autoscaling(v, &c)
	}
	if v, ok := f.Vals["spotInterruptionRates"]; ok {
		c.SpotInterruptionRates = p.spotRates(v)
	}
	if v, ok := f.Vals["fargate"]; ok {
		c.Fargate = p.fargate(v)
	}
	p.controlPlane(f.Vals["controlPlane"], &c.ControlPlane)
	if v, ok := f.Vals["addons"]; ok {
		c.Addons, _ = p.Boolean(v, "cluster.addons")
	}
	zonesGiven := f.Has("zones")
	c.Zones = p.zones(f.Vals["zones"], zonesGiven)
	if r, _ := cloud.LookupRegion(c.Region); !zonesGiven && c.Region != cloud.DefaultRegion {
		c.Zones = slices.Clone(r.Zones) // the region's zones
	}
	switch {
	case f.Has("nodeGroups") && f.Has("eksctl"):
		p.Errorf(f.Keys["eksctl"], "keep one of them", "cluster: give either nodeGroups or eksctl, not both")
	case f.Has("eksctl"):
		c.Eksctl, c.NodeGroups = p.eksctl(f.Vals["eksctl"], &c, zonesGiven)
	case f.Has("nodeGroups"):
		c.NodeGroups = p.nodeGroups(f.Vals["nodeGroups"], c.Zones)
	default:
		p.errAt(p.file, f.Pos(), "add `nodeGroups:` (e.g. - {name: general, instanceType: m5.large, count: 3}) or `eksctl: cluster.yaml`", "cluster: at least one node group is required")
	}
	p.checkNodeTotal(c.NodeGroups, f)
	return c
}

func (p *parser) controlPlane(n *yaml.Node, cp *ControlPlane) {
	if n == nil {
		return
	}
	f, ok := p.Mapping(n, "cluster.controlPlane", "apiServers", "etcdMembers")
	if !ok {
		return
	}
	if v, ok := f.Vals["apiServers"]; ok {
		if x, ok := p.Integer(v, "cluster.controlPlane.apiServers", 1, 16); ok {
			cp.APIServers = int(x)
		}
	}
	if v, ok := f.Vals["etcdMembers"]; ok {
		x, ok := p.Integer(v, "cluster.controlPlane.etcdMembers", 0, 1<<31)
		if ok && x != 1 && x != 3 && x != 5 {
			hint := "3 tolerates one failed member, 5 tolerates two"
			if x%2 == 0 {
				hint = fmt.Sprintf("an even count adds no fault tolerance: %d members need %d for quorum and survive %d failure(s), like %d members", x, x/2+1, (x-1)/2, x-1)
			}
			p.Errorf(v, hint, "cluster.controlPlane.etcdMembers must be 1, 3 or 5, got %d", x)
		} else if ok {
			cp.EtcdMembers = int(x)
		}
	}
}

// zones reads the cluster's zones (default: three us-east-1 zones).
func (p *parser) zones(n *yaml.Node, given bool) []string {
	if !given {
		return slices.Clone(DefaultZones)
	}
	zs, ok := p.StringList(n, "cluster.zones")
	if !ok {
		return slices.Clone(DefaultZones)
	}
	if len(zs) == 0 {
		p.Errorf(n, "remove the field for the default us-east-1a, us-east-1b, us-east-1c", "cluster.zones must name at least one zone")
		return slices.Clone(DefaultZones)
	}
	items, _ := p.Sequence(n, "cluster.zones")
	for i, z := range zs {
		if msgs := validation.IsDNS1123Label(z); len(msgs) > 0 {
			p.Errorf(items[i], "", "cluster.zones[%d]: zone %q is not a valid name: %s", i, z, strings.Join(msgs, "; "))
		} else if slices.Contains(zs[:i], z) {
			p.Errorf(items[i], "", "cluster.zones[%d]: zone %q is listed twice", i, z)
		}
	}
	return zs
}

// nodeGroups reads the node group list.
func (p *parser) nodeGroups(n *yaml.Node, zones []string) []NodeGroup {
	items, ok := p.Sequence(n, "cluster.nodeGroups")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.Errorf(n, "add e.g. - {name: general, instanceType: m5.large, count: 3}", "cluster.nodeGroups: at least one node group is required")
	}
	var out []NodeGroup
	seen := map[string]*yaml.Node{}
	for i, it := range items {
		g, nameNode, ok := p.nodeGroup(it, fmt.Sprintf("cluster.nodeGroups[%d]", i), zones)
		if ok && p.uniqueGroup(seen, g.Name, nameNode, "node names are <group>-<i>: each group needs its own name") {
			out = append(out, g)
		}
	}
	return out
}

// nodeGroup reads one node group.
func (p *parser) nodeGroup(n *yaml.Node, path string, zones []string) (NodeGroup, *yaml.Node, bool) {
	var g NodeGroup
	f, ok := p.Mapping(n, path, nodeGroupFields...)
	if !ok {
		return g, nil, false
	}
	p.nodeGroupName(f, path, &g)
	p.nodeGroupMachine(f, path, &g)
	p.nodeGroupSize(f, path, &g)
	if v, ok := f.Vals["capacityType"]; ok {
		g.CapacityType = p.capacityType(v, path+".capacityType")
		if g.InstanceType == "" && g.CapacityType != "" {
			p.Errorf(f.Keys["capacityType"], "give an instanceType: only EC2 machines have a capacity type", "%s: capacityType needs an instanceType", path)
		}
	}
	p.diskSize(f, path, "diskSize", &g)
	p.groupPlacement(f, path, "zones", zones, &g)
	return g, f.Vals["name"], g.Name != ""
}

// Root volume sizes EKS accepts for a node group: no smaller than the
// AMI's 20 GiB snapshot, no larger than a gp3 volume.
const minDiskGiB, maxDiskGiB = 20, 16384

// diskSize reads a node group's root volume size in GiB (the field key):
// only an EC2 machine has one (a custom capacity gives ephemeral-storage).
func (p *parser) diskSize(f *Fields, path, key string, g *NodeGroup) {
	v, ok := f.Vals[key]
	if !ok {
		return
	}
	if g.InstanceType == "" {
		p.Errorf(f.Keys[key], "give capacity.ephemeral-storage instead", "%s: %s needs an instanceType", path, key)
		return
	}
	if n, ok := p.Integer(v, path+"."+key, minDiskGiB, maxDiskGiB); ok {
		g.DiskGiB = int(n)
	}
}

// uniqueGroup records the node group called name (its name at nameNode)
// in seen, or reports it as a duplicate (hint: what to do about it).
func (p *parser) uniqueGroup(seen map[string]*yaml.Node, name string, nameNode *yaml.Node, hint string) bool {
	if prev, dup := seen[name]; dup {
		p.Errorf(nameNode, hint, "duplicate node group name %q (first at line %d)", name, prev.Line)
		return false
	}
	seen[name] = nameNode
	return true
}

// groupPlacement reads where a node group's nodes go and what marks them,
// the same in a scenario and an eksctl file: its zones (the field
// zonesKey; default every zone of the cluster), labels and taints.
func (p *parser) groupPlacement(f *Fields, path, zonesKey string, zones []string, g *NodeGroup) {
	if v, ok := f.Vals[zonesKey]; ok {
		g.Zones = p.groupZones(v, path+"."+zonesKey, zones)
	}
	if len(g.Zones) == 0 {
		g.Zones = slices.Clone(zones)
	}
	if v, ok := f.Vals["labels"]; ok {
		g.Labels = p.labels(v, path+".labels")
	}
	if v, ok := f.Vals["taints"]; ok {
		g.Taints = p.taints(v, path+".taints")
	}
}

func (p *parser) nodeGroupName(f *Fields, path string, g *NodeGroup) {
	v, ok := f.Vals["name"]
	if !ok {
		p.errAt(p.file, f.Pos(), "add e.g. `name: general`", fmt.Sprintf("%s: missing required field \"name\"", path))
		return
	}
	if name, ok := p.Str(v, path+".name"); ok {
		if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
			p.Errorf(v, "node names are <group>-<i>, so use lower case letters, digits and '-'", "%s.name: %q is not a DNS-1123 label: %s", path, name, strings.Join(msgs, "; "))
		}
		g.Name = name
	}
}

// nodeGroupMachine reads instanceType or capacity (exactly one).
func (p *parser) nodeGroupMachine(f *Fields, path string, g *NodeGroup) {
	it, hasIT := f.Vals["instanceType"]
	capN, hasCap := f.Vals["capacity"]
	switch {
	case hasIT && hasCap:
		p.Errorf(f.Keys["capacity"], "the instance type defines the capacity; drop one of them", "%s: give either instanceType or capacity, not both", path)
	case hasIT:
		if name, ok := p.Str(it, path+".instanceType"); ok {
			if !instanceTypeKnown(name) {
				p.Errorf(it, instanceTypeHint(name), "%s.instanceType: unknown instance type %q", path, name)
			}
			g.InstanceType = name
		}
	case hasCap:
		g.Capacity = p.capacity(capN, path+".capacity")
	default:
		p.errAt(p.file, f.Pos(), "add e.g. `instanceType: m5.large` or `capacity: {cpu: \"4\", memory: 16Gi, pods: 110}`", path+": missing instanceType or capacity")
	}
}

// capacity reads a custom machine size: cpu and memory required, pods
// defaulting to 110 (the kubelet's default max pods).
func (p *parser) capacity(n *yaml.Node, path string) corev1.ResourceList {
	f, ok := p.Mapping(n, path, "cpu", "memory", "pods", "ephemeral-storage")
	if !ok {
		return nil
	}
	out := corev1.ResourceList{}
	for _, name := range f.Order {
		v := f.Vals[name]
		vn := ResolveNode(v)
		if vn == nil || vn.Kind != yaml.ScalarNode || IsNull(vn) {
			p.Errorf(v, "", "%s.%s: expected a quantity like 4, 500m or 16Gi, got %s", path, name, DescribeNode(v))
			continue
		}
		q, err := resource.ParseQuantity(vn.Value)
		if err != nil || q.Sign() <= 0 {
			p.Errorf(v, "e.g. cpu: \"4\" or 3500m, memory: 16Gi, pods: 110", "%s.%s: invalid quantity %q: must be a positive quantity", path, name, vn.Value)
			continue
		}
		out[corev1.ResourceName(name)] = q
	}
	for _, req := range []string{"cpu", "memory"} {
		if !f.Has(req) {
			p.errAt(p.file, f.Pos(), "", fmt.Sprintf("%s: missing required field %q", path, req))
		}
	}
	if !f.Has("pods") {
		out[corev1.ResourcePods] = resource.MustParse("110")
	}
	return out
}

// nodeCount reads the optional node count name of a node group into dst;
// false when it is absent or invalid.
func (p *parser) nodeCount(f *Fields, path, name string, dst *int) bool {
	v, ok := f.Vals[name]
	if !ok {
		return false
	}
	x, ok := p.Integer(v, path+"."+name, 0, maxNodes)
	*dst = int(x)
	return ok
}

// nodeGroupSize reads count, min and max (min and max default to count).
func (p *parser) nodeGroupSize(f *Fields, path string, g *NodeGroup) {
	read := func(name string, dst *int) bool { return p.nodeCount(f, path, name, dst) }
	if _, ok := f.Vals["count"]; !ok {
		p.errAt(p.file, f.Pos(), "add e.g. `count: 3`", path+": missing required field \"count\"")
	}
	read("count", &g.Count)
	g.Min, g.Max = g.Count, g.Count
	hasMin, hasMax := read("min", &g.Min), read("max", &g.Max)
	switch {
	case hasMin && g.Min > g.Count:
		p.Errorf(f.Vals["min"], "", "%s: min %d is larger than count %d", path, g.Min, g.Count)
	case hasMax && g.Max < g.Count:
		p.Errorf(f.Vals["max"], "", "%s: max %d is smaller than count %d", path, g.Max, g.Count)
	}
}

// groupZones reads a group's zones, which must be zones of the cluster.
func (p *parser) groupZones(n *yaml.Node, path string, clusterZones []string) []string {
	zs, ok := p.StringList(n, path)
	if !ok {
		return nil
	}
	items, _ := p.Sequence(n, path)
	for i, z := range zs {
		if !slices.Contains(clusterZones, z) {
			p.Errorf(items[i], "cluster zones: "+strings.Join(clusterZones, ", ")+" (add it to cluster.zones)", "%s[%d]: zone %q is not a zone of the cluster", path, i, z)
		}
	}
	return zs
}

// labels reads node labels, validated as Kubernetes labels.
func (p *parser) labels(n *yaml.Node, path string) map[string]string {
	m, ok := p.StringMap(n, path)
	if !ok {
		return nil
	}
	if errs := metav1validation.ValidateLabels(m, field.NewPath(path)); len(errs) > 0 {
		p.Errorf(n, "", "%s", errs.ToAggregate().Error())
	}
	return m
}

// taints reads taints in Kubernetes syntax: {key, value, effect}.
func (p *parser) taints(n *yaml.Node, path string) []corev1.Taint {
	items, ok := p.Sequence(n, path)
	if !ok {
		return nil
	}
	var out []corev1.Taint
	for i, it := range items {
		ip := fmt.Sprintf("%s[%d]", path, i)
		f, ok := p.Mapping(it, ip, "key", "value", "effect")
		if !ok {
			continue
		}
		var t corev1.Taint
		if t.Key, ok = p.requiredString(f, "key", ip); ok {
			if msgs := validation.IsQualifiedName(t.Key); len(msgs) > 0 {
				p.Errorf(f.Vals["key"], "", "%s.key: %q is not a valid taint key: %s", ip, t.Key, strings.Join(msgs, "; "))
			}
		}
		if v, ok := f.Vals["value"]; ok {
			val, _ := p.Str(v, ip+".value")
			t.Value = val
		}
		if e, ok := p.requiredString(f, "effect", ip); ok {
			t.Effect = corev1.TaintEffect(e)
			effects := []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
			if !slices.Contains(effects, e) {
				p.Errorf(f.Vals["effect"], textdist.DidYouMean(e, effects, "effects"), "%s.effect: unsupported taint effect %q", ip, e)
			}
		}
		out = append(out, t)
	}
	return out
}

// requiredString reads a string field that must be present.
func (p *parser) requiredString(f *Fields, name, path string) (string, bool) {
	v, ok := f.Vals[name]
	if !ok {
		p.errAt(p.file, f.Pos(), "", fmt.Sprintf("%s: missing required field %q", path, name))
		return "", false
	}
	return p.Str(v, path+"."+name)
}

// checkNodeTotal bounds the cluster size.
func (p *parser) checkNodeTotal(groups []NodeGroup, f *Fields) {
	total := 0
	for _, g := range groups {
		total += g.Max
	}
	if total > maxNodes {
		p.errAt(p.file, f.Pos(), "", fmt.Sprintf("cluster: %d nodes (counting node group max) exceed the limit of %d", total, maxNodes))
	}
}
