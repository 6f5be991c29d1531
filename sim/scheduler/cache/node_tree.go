package cache

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// nodeTree orders nodes as upstream's node tree does: zones in the order
// they first appeared, nodes within a zone in the order they were added,
// and the list interleaves zones round-robin, so that evaluating only a
// fraction of the nodes (percentageOfNodesToScore) still samples every
// zone.
type nodeTree struct {
	zones    []string
	byZone   map[string][]string
	numNodes int
}

// zoneKey is region and zone, as upstream's utilnode.GetZoneKey.
func zoneKey(n *corev1.Node) string {
	l := n.Labels
	region, zone := l[corev1.LabelTopologyRegion], l[corev1.LabelTopologyZone]
	if region == "" {
		region = l[corev1.LabelFailureDomainBetaRegion]
	}
	if zone == "" {
		zone = l[corev1.LabelFailureDomainBetaZone]
	}
	if region == "" && zone == "" {
		return ""
	}
	return region + ":\x00:" + zone
}

func (t *nodeTree) add(n *corev1.Node) {
	if t.byZone == nil {
		t.byZone = map[string][]string{}
	}
	z := zoneKey(n)
	names, ok := t.byZone[z]
	if !ok {
		t.zones = append(t.zones, z)
	}
	if slices.Contains(names, n.Name) {
		return
	}
	t.byZone[z] = append(names, n.Name)
	t.numNodes++
}

func (t *nodeTree) remove(n *corev1.Node) {
	z := zoneKey(n)
	names := t.byZone[z]
	i := slices.Index(names, n.Name)
	if i < 0 {
		return
	}
	names = slices.Delete(names, i, i+1)
	t.numNodes--
	if len(names) == 0 {
		delete(t.byZone, z)
		t.zones = slices.DeleteFunc(t.zones, func(x string) bool { return x == z })
		return
	}
	t.byZone[z] = names
}

// list returns every node name, zones interleaved.
func (t *nodeTree) list() []string {
	out := make([]string, 0, t.numNodes)
	for i := 0; len(out) < t.numNodes; i++ {
		for _, z := range t.zones {
			if names := t.byZone[z]; i < len(names) {
				out = append(out, names[i])
			}
		}
	}
	return out
}
