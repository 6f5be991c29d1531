package scenarios

import (
	"strconv"

	"github.com/kubesim/kubesim/sim/cloud"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// EKS's CreateFargateProfile limits.
const (
	maxFargateSelectors = 5
	maxFargateLabels    = 5
)

// fargate reads cluster.fargate: {profiles: [{name, selectors: [{namespace, labels}]}]}.
func (p *parser) fargate(n *yaml.Node) []cloud.FargateProfile {
	f, ok := p.Mapping(n, "cluster.fargate", "profiles")
	if !ok {
		return nil
	}
	items, ok := p.Sequence(f.Vals["profiles"], "cluster.fargate.profiles")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errAt(p.file, f.Pos(), "e.g. `profiles: [{name: fp, selectors: [{namespace: batch}]}]`", "cluster.fargate: at least one profile is required")
	}
	var out []cloud.FargateProfile
	seen := map[string]bool{}
	for i, it := range items {
		path := "cluster.fargate.profiles[" + strconv.Itoa(i) + "]"
		pf, ok := p.Mapping(it, path, "name", "selectors")
		if !ok {
			continue
		}
		prof := cloud.FargateProfile{}
		prof.Name, _ = p.requiredString(pf, "name", path)
		if prof.Name != "" {
			if seen[prof.Name] {
				p.Errorf(pf.Vals["name"], "give every profile its own name", "%s.name: profile %q is defined twice", path, prof.Name)
			}
			seen[prof.Name] = true
			if errs := validation.IsDNS1123Subdomain(prof.Name); len(errs) > 0 {
				p.Errorf(pf.Vals["name"], "", "%s.name: %q: %s", path, prof.Name, errs[0])
			}
		}
		sels, ok := p.Sequence(pf.Vals["selectors"], path+".selectors")
		switch {
		case !ok:
		case !pf.Has("selectors") || len(sels) == 0:
			p.errAt(p.file, pf.Pos(), "e.g. `selectors: [{namespace: batch, labels: {tier: jobs}}]`", path+": at least one selector is required")
		case len(sels) > maxFargateSelectors:
			p.Errorf(sels[maxFargateSelectors], "split them over several profiles", "%s.selectors: %d selectors, EKS allows at most %d per profile", path, len(sels), maxFargateSelectors)
		}
		for j, sn := range sels {
			sp := path + ".selectors[" + strconv.Itoa(j) + "]"
			sf, ok := p.Mapping(sn, sp, "namespace", "labels")
			if !ok {
				continue
			}
			sel := cloud.FargateSelector{}
			sel.Namespace, _ = p.requiredString(sf, "namespace", sp)
			if sel.Namespace != "" {
				if errs := validation.IsDNS1123Label(sel.Namespace); len(errs) > 0 {
					p.Errorf(sf.Vals["namespace"], "", "%s.namespace: %q: %s", sp, sel.Namespace, errs[0])
				}
			}
			if v, ok := sf.Vals["labels"]; ok {
				sel.Labels = p.labels(v, sp+".labels")
				if len(sel.Labels) > maxFargateLabels {
					p.Errorf(v, "", "%s.labels: %d labels, EKS allows at most %d per selector", sp, len(sel.Labels), maxFargateLabels)
				}
			}
			prof.Selectors = append(prof.Selectors, sel)
		}
		out = append(out, prof)
	}
	return out
}
