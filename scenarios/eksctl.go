package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// eksctl reads the node groups of an eksctl ClusterConfig
// (managedNodeGroups and nodeGroups: name, instanceType, desiredCapacity,
// minSize, maxSize, availabilityZones, labels, taints). Other eksctl
// fields (VPC, IAM, add-ons, ...) are ignored: they do not change what the
// simulation models. When the scenario names no zones, the cluster's zones
// come from the config (availabilityZones, else the node groups' zones).
func (p *parser) eksctl(n *yaml.Node, c *Cluster, zonesGiven bool) (string, []NodeGroup) {
	rel, data, ok := p.readRef(n, "cluster.eksctl")
	if !ok {
		return rel, nil
	}
	saved := p.file
	p.file = p.display(rel)
	defer func() { p.file = saved }()
	docs := p.Documents(data)
	if len(docs) == 0 || IsNull(docs[0]) {
		if len(p.errs) == 0 || p.errs[len(p.errs)-1].File != p.file {
			p.errAt(p.file, Pos{1, 1}, "", "empty eksctl config")
		}
		return rel, nil
	}
	f, ok := p.looseMapping(docs[0], "eksctl config")
	if !ok {
		return rel, nil
	}
	p.eksctlHeader(f)
	if !zonesGiven {
		if z := p.eksctlZones(f); len(z) > 0 {
			c.Zones = z
		}
	}
	var groups []NodeGroup
	seen := map[string]*yaml.Node{}
	for _, key := range f.Order {
		if key != "managedNodeGroups" && key != "nodeGroups" {
			continue
		}
		items, _ := p.Sequence(f.Vals[key], key)
		for i, it := range items {
			g, nameNode, ok := p.eksctlGroup(it, fmt.Sprintf("%s[%d]", key, i), c.Zones)
			if ok && p.uniqueGroup(seen, g.Name, nameNode, "") {
				groups = append(groups, g)
			}
		}
	}
	if len(groups) == 0 {
		p.errAt(p.file, f.Pos(), "add managedNodeGroups: [{name: ng-1, instanceType: m5.large, desiredCapacity: 3}]", "eksctl config has no managedNodeGroups or nodeGroups")
	}
	return rel, groups
}

// eksctlHeader checks that the document is an eksctl ClusterConfig.
func (p *parser) eksctlHeader(f *Fields) {
	if v, ok := f.Vals["kind"]; !ok || ScalarValue(v) != "ClusterConfig" {
		p.errAt(p.file, f.Pos(), "eksctl files start with `apiVersion: eksctl.io/v1alpha5` and `kind: ClusterConfig`", "not an eksctl ClusterConfig (kind must be ClusterConfig)")
	}
	if v, ok := f.Vals["apiVersion"]; ok && !strings.HasPrefix(ScalarValue(v), "eksctl.io/") {
		p.Errorf(v, "use apiVersion: eksctl.io/v1alpha5", "apiVersion %q is not an eksctl API version", ScalarValue(v))
	}
}

// eksctlZones is the config's availabilityZones, else the union of its
// node groups' zones, in order.
func (p *parser) eksctlZones(f *Fields) []string {
	if v, ok := f.Vals["availabilityZones"]; ok {
		zs, _ := p.StringList(v, "availabilityZones")
		return zs
	}
	var out []string
	for _, key := range []string{"managedNodeGroups", "nodeGroups"} {
		items, _ := p.Sequence(f.Vals[key], key)
		for _, it := range items {
			if it == nil || it.Kind != yaml.MappingNode {
				continue
			}
			for i := 0; i+1 < len(it.Content); i += 2 {
				if it.Content[i].Value != "availabilityZones" {
					continue
				}
				zl := ResolveNode(it.Content[i+1])
				if zl == nil || zl.Kind != yaml.SequenceNode {
					continue
				}
				for _, z := range zl.Content {
					if z = ResolveNode(z); z != nil && z.Kind == yaml.ScalarNode && !slices.Contains(out, z.Value) {
						out = append(out, z.Value)
					}
				}
			}
		}
	}
	return out
}

// eksctlVolumeGiB is eksctl's default root volume size.
const eksctlVolumeGiB = 80

// eksctlGroup converts one eksctl node group, with eksctl's defaults
// (instanceType m5.large, desiredCapacity 2, min/max = desired,
// volumeSize 80 GiB).
func (p *parser) eksctlGroup(n *yaml.Node, path string, zones []string) (NodeGroup, *yaml.Node, bool) {
	g := NodeGroup{InstanceType: "m5.large", Count: 2, DiskGiB: eksctlVolumeGiB}
	f, ok := p.looseMapping(n, path)
	if !ok {
		return g, nil, false
	}
	nameNode := f.Vals["name"]
	if name, ok := p.requiredString(f, "name", path); ok {
		if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
			p.Errorf(nameNode, "", "%s.name: %q is not a DNS-1123 label: %s", path, name, strings.Join(msgs, "; "))
		}
		g.Name = name
	}
	p.eksctlInstanceType(f, path, &g)
	p.eksctlSize(f, path, &g)
	p.diskSize(f, path, "volumeSize", &g)
	p.groupPlacement(f, path, "availabilityZones", zones, &g)
	return g, nameNode, g.Name != ""
}

func (p *parser) eksctlInstanceType(f *Fields, path string, g *NodeGroup) {
	v, ok := f.Vals["instanceType"]
	if !ok {
		if list, ok := f.Vals["instanceTypes"]; ok {
			if items, _ := p.Sequence(list, path+".instanceTypes"); len(items) > 0 {
				v = items[0]
			}
		}
	}
	if v == nil {
		return
	}
	if name, ok := p.Str(v, path+".instanceType"); ok {
		if !instanceTypeKnown(name) {
			p.Errorf(v, instanceTypeHint(name), "%s.instanceType: unknown instance type %q", path, name)
		}
		g.InstanceType = name
	}
}

func (p *parser) eksctlSize(f *Fields, path string, g *NodeGroup) {
	read := func(name string, dst *int) bool { return p.nodeCount(f, path, name, dst) }
	read("desiredCapacity", &g.Count)
	g.Min, g.Max = g.Count, g.Count
	if read("minSize", &g.Min) && g.Min > g.Count {
		p.Errorf(f.Vals["minSize"], "", "%s: minSize %d is larger than desiredCapacity %d", path, g.Min, g.Count)
	}
	if read("maxSize", &g.Max) && g.Max < g.Count {
		p.Errorf(f.Vals["maxSize"], "", "%s: maxSize %d is smaller than desiredCapacity %d", path, g.Max, g.Count)
	}
}
