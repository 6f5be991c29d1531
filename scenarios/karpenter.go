package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/internal/textdist"
	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/autoscalers/karpenter"
	"github.com/kubesim/kubesim/sim/cloud"
)

// child follows keys (string for a mapping key, int for a sequence
// index) from n; nil when a step is missing.
func child(n *yaml.Node, path ...any) *yaml.Node {
	for _, step := range path {
		n = ResolveNode(n)
		if n == nil {
			return nil
		}
		switch s := step.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return nil
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == s {
					next = n.Content[i+1]
				}
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || s >= len(n.Content) {
				return nil
			}
			n = n.Content[s]
		}
	}
	return n
}

// checkNodePool adds the checks a scenario can make beyond the CRD's: the
// requirement values name instance types, families and capacity types the
// catalogue has, keys in Karpenter's AWS label domain are the well-known
// ones (upstream restricts that domain), and the limits leave room for at
// least one node.
func (p *parser) checkNodePool(np *karpv1.NodePool, n *yaml.Node) {
	reqs := np.Spec.Template.Spec.Requirements
	families := map[string]bool{}
	for _, name := range cloud.Names() {
		t, _ := cloud.Lookup(name)
		families[t.Family()] = true
	}
	known := map[string][]string{
		corev1.LabelInstanceTypeStable: cloud.Names(),
		karpv1.LabelInstanceFamily:     sortedSet(families),
		karpv1.LabelCapacityType:       {karpv1.CapacityTypeSpot, karpv1.CapacityTypeOnDemand},
	}
	for i, r := range reqs {
		at := child(n, "spec", "template", "spec", "requirements", i)
		if at == nil {
			at = n
		}
		path := fmt.Sprintf("NodePool %s: spec.template.spec.requirements[%d]", np.Name, i)
		if strings.HasPrefix(r.Key, "karpenter.k8s.aws/") && !slices.Contains(karpenter.WellKnownKeys(), r.Key) {
			var keys []string
			for _, k := range karpenter.WellKnownKeys() {
				if strings.HasPrefix(k, "karpenter.k8s.aws/") {
					keys = append(keys, k)
				}
			}
			p.Errorf(orNode(child(at, "key"), at), textdist.DidYouMean(r.Key, keys, "keys"), "%s.key: unknown label %q in the restricted domain \"karpenter.k8s.aws\"", path, r.Key)
			continue
		}
		values, ok := known[r.Key]
		if !ok || (r.Operator != corev1.NodeSelectorOpIn && r.Operator != corev1.NodeSelectorOpNotIn) {
			continue
		}
		for j, v := range r.Values {
			if !slices.Contains(values, v) {
				p.Errorf(orNode(child(at, "values", j), at), textdist.DidYouMean(v, values, "values"), "%s.values[%d]: unknown %s %q", path, j, r.Key, v)
			}
		}
	}
	// A cpu or memory limit below the smallest type the NodePool admits
	// could never launch a node.
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		limit, ok := np.Spec.Limits[res]
		if !ok {
			continue
		}
		smallest, name := int64(-1), ""
		for _, tn := range cloud.Names() {
			t, _ := cloud.Lookup(tn)
			if !admitsType(reqs, t) {
				continue
			}
			q := t.Capacity()[res]
			if v := q.MilliValue(); smallest < 0 || v < smallest {
				smallest, name = v, tn
			}
		}
		if smallest >= 0 && limit.MilliValue() < smallest {
			t, _ := cloud.Lookup(name)
			q := t.Capacity()[res]
			p.Errorf(orNode(child(n, "spec", "limits", string(res)), n), "raise the limit or allow smaller instance types",
				"NodePool %s: spec.limits.%s %s is below one node: the smallest instance type it allows, %s, has %s", np.Name, res, limit.String(), name, q.String())
		}
	}
}

func orNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// admitsType reports whether the NodePool's instance-type requirements
// (In/NotIn on the type, family, category, arch) admit t.
func admitsType(reqs []karpv1.NodeSelectorRequirementWithMinValues, t cloud.InstanceType) bool {
	labels := map[string]string{corev1.LabelInstanceTypeStable: t.Name, karpv1.LabelInstanceFamily: t.Family(),
		karpv1.LabelInstanceCategory: t.Category(), corev1.LabelArchStable: t.Arch}
	for _, r := range reqs {
		v, ok := labels[r.Key]
		if !ok {
			continue
		}
		switch r.Operator {
		case corev1.NodeSelectorOpIn:
			if !slices.Contains(r.Values, v) {
				return false
			}
		case corev1.NodeSelectorOpNotIn:
			if slices.Contains(r.Values, v) {
				return false
			}
		}
	}
	return true
}
