package scenarios

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/autoscalers/clusterautoscaler"
	"github.com/kubesim/kubesim/sim/autoscalers/karpenter"
	"github.com/kubesim/kubesim/sim/cloud"
)

// region reads cluster.region: a region the catalogue has prices for.
func (p *parser) region(n *yaml.Node) string {
	r, ok := p.Str(n, "cluster.region")
	if !ok {
		return cloud.DefaultRegion
	}
	if _, known := cloud.LookupRegion(r); !known {
		p.Errorf(n, textdist.DidYouMean(r, cloud.RegionNames(), "regions"), "cluster.region: no prices for region %q", r)
		return cloud.DefaultRegion
	}
	return r
}

// autoscaling reads cluster.autoscaling.
func (p *parser) autoscaling(n *yaml.Node, c *Cluster) {
	f, ok := p.Mapping(n, "cluster.autoscaling", "clusterAutoscaler", "karpenter")
	if !ok {
		return
	}
	if v, ok := f.Vals["clusterAutoscaler"]; ok {
		c.ClusterAutoscaler = p.clusterAutoscaler(v)
	}
	if v, ok := f.Vals["karpenter"]; ok {
		c.Karpenter = p.karpenter(v)
	}
}

// karpenter reads Karpenter's settings (its Helm values / environment):
// batchIdleDuration, batchMaxDuration and featureGates; {} turns it on
// with upstream's defaults.
func (p *parser) karpenter(n *yaml.Node) *karpenter.Options {
	const path = "cluster.autoscaling.karpenter"
	o := &karpenter.Options{}
	f, ok := p.Mapping(n, path, "batchIdleDuration", "batchMaxDuration", "featureGates")
	if !ok {
		return o
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"batchIdleDuration", &o.BatchIdleDuration}, {"batchMaxDuration", &o.BatchMaxDuration}} {
		if v, ok := f.Vals[d.name]; ok {
			if x, ok := p.Duration(v, path+"."+d.name); ok {
				if x <= 0 {
					p.Errorf(v, "upstream's defaults are 1s (idle) and 10s (max)", "%s.%s must be positive", path, d.name)
				}
				*d.dst = x
			}
		}
	}
	if d := o.Defaults(); d.BatchMaxDuration < d.BatchIdleDuration {
		p.Errorf(n, "", "%s: batchMaxDuration %v is shorter than batchIdleDuration %v", path, d.BatchMaxDuration, d.BatchIdleDuration)
	}
	if v, ok := f.Vals["featureGates"]; ok {
		g, ok := p.Mapping(v, path+".featureGates", "spotToSpotConsolidation")
		if ok {
			if b, ok := g.Vals["spotToSpotConsolidation"]; ok {
				o.SpotToSpotConsolidation, _ = p.Boolean(b, path+".featureGates.spotToSpotConsolidation")
			}
		}
	}
	return o
}

// clusterAutoscaler reads Cluster Autoscaler's options: upstream's flag
// names in camelCase, each with its type; {} turns it on with the
// defaults.
func (p *parser) clusterAutoscaler(n *yaml.Node) *clusterautoscaler.Options {
	const path = "cluster.autoscaling.clusterAutoscaler"
	o := &clusterautoscaler.Options{}
	f, ok := p.Mapping(n, path, clusterautoscaler.Fields...)
	if !ok {
		return o
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"scanInterval", &o.ScanInterval},
		{"scaleDownDelayAfterAdd", &o.ScaleDownDelayAfterAdd},
		{"scaleDownDelayAfterDelete", &o.ScaleDownDelayAfterDelete},
		{"scaleDownDelayAfterFailure", &o.ScaleDownDelayAfterFailure},
		{"scaleDownUnneededTime", &o.ScaleDownUnneededTime},
		{"maxNodeProvisionTime", &o.MaxNodeProvisionTime},
		{"initialNodeGroupBackoffDuration", &o.InitialNodeGroupBackoffDuration},
		{"maxNodeGroupBackoffDuration", &o.MaxNodeGroupBackoffDuration},
		{"nodeGroupBackoffResetTimeout", &o.NodeGroupBackoffResetTimeout},
		{"newPodScaleUpDelay", &o.NewPodScaleUpDelay},
		{"unremovableNodeRecheckTimeout", &o.UnremovableNodeRecheckTimeout},
	} {
		if v, ok := f.Vals[d.name]; ok {
			if x, ok := p.Duration(v, path+"."+d.name); ok {
				*d.dst = x
			}
		}
	}
	if v, ok := f.Vals["scanInterval"]; ok && o.ScanInterval == 0 {
		p.Errorf(v, "upstream's default is 10s", "%s.scanInterval must be positive", path)
	}
	boolPtr := func(name string) *bool {
		if v, ok := f.Vals[name]; ok {
			if b, ok := p.Boolean(v, path+"."+name); ok {
				return &b
			}
		}
		return nil
	}
	o.ScaleDownEnabled = boolPtr("scaleDownEnabled")
	o.SkipNodesWithSystemPods = boolPtr("skipNodesWithSystemPods")
	o.SkipNodesWithLocalStorage = boolPtr("skipNodesWithLocalStorage")
	if b := boolPtr("balanceSimilarNodeGroups"); b != nil {
		o.BalanceSimilarNodeGroups = *b
	}
	if b := boolPtr("ignoreDaemonsetsUtilization"); b != nil {
		o.IgnoreDaemonSetsUtilization = *b
	}
	integer := func(name string, lo, hi int64) (int, bool) {
		if v, ok := f.Vals[name]; ok {
			x, ok := p.Integer(v, path+"."+name, lo, hi)
			return int(x), ok
		}
		return 0, false
	}
	if x, ok := integer("maxGracefulTerminationSec", 0, 1<<20); ok {
		o.MaxGracefulTerminationSec = x
	}
	if x, ok := integer("maxEmptyBulkDelete", 1, 1000); ok {
		o.MaxEmptyBulkDelete = x
	}
	if x, ok := integer("maxDrainParallelism", 1, 1000); ok {
		o.MaxDrainParallelism = x
	}
	if x, ok := integer("expendablePodsPriorityCutoff", math.MinInt32, math.MaxInt32); ok {
		c := int32(x)
		o.ExpendablePodsPriorityCutoff = &c
	}
	if v, ok := f.Vals["scaleDownUtilizationThreshold"]; ok {
		if x, ok := p.fraction(v, path+".scaleDownUtilizationThreshold"); ok {
			o.ScaleDownUtilizationThreshold = x
		}
	}
	if v, ok := f.Vals["expander"]; ok {
		if s, ok := p.Str(v, path+".expander"); ok {
			for _, e := range strings.Split(s, ",") {
				if e = strings.TrimSpace(e); !slices.Contains(clusterautoscaler.Expanders, e) {
					p.Errorf(v, textdist.DidYouMean(e, clusterautoscaler.Expanders, "expanders"), "%s.expander: unknown expander %q", path, e)
				}
			}
			o.Expander = s
		}
	}
	if d := o.Defaults(); d.MaxNodeGroupBackoffDuration < d.InitialNodeGroupBackoffDuration {
		p.Errorf(n, "", "%s: maxNodeGroupBackoffDuration %v is shorter than initialNodeGroupBackoffDuration %v", path, d.MaxNodeGroupBackoffDuration, d.InitialNodeGroupBackoffDuration)
	}
	return o
}

// fraction reads a number in (0, 1].
func (p *parser) fraction(n *yaml.Node, path string) (float64, bool) {
	r := ResolveNode(n)
	if r == nil || r.Kind != yaml.ScalarNode {
		p.Errorf(n, "", "%s: expected a number between 0 and 1, got %s", path, DescribeNode(n))
		return 0, false
	}
	x, err := strconv.ParseFloat(r.Value, 64)
	if err != nil || x <= 0 || x > 1 {
		p.Errorf(n, "e.g. 0.5 (half of allocatable)", "%s: expected a number greater than 0 and at most 1, got %q", path, r.Value)
		return 0, false
	}
	return x, true
}

// capacityType reads a node group's ON_DEMAND or SPOT.
func (p *parser) capacityType(n *yaml.Node, path string) string {
	s, ok := p.Str(n, path)
	if !ok {
		return ""
	}
	switch s {
	case cloud.OnDemand, cloud.Spot:
		return s
	}
	p.Errorf(n, textdist.DidYouMean(strings.ToUpper(strings.ReplaceAll(s, "-", "_")), []string{cloud.OnDemand, cloud.Spot}, "capacity types"),
		"%s: unknown capacity type %q (EKS managed node groups take ON_DEMAND or SPOT)", path, s)
	return ""
}

// spotRates reads cluster.spotInterruptionRates: interruptions per
// instance-hour by instance type, "*" for every other type.
func (p *parser) spotRates(n *yaml.Node) map[string]float64 {
	const path = "cluster.spotInterruptionRates"
	r := ResolveNode(n)
	if r == nil || r.Kind != yaml.MappingNode {
		p.Errorf(n, `e.g. {"*": 0.01, c5.large: 0.05} (interruptions per instance-hour)`, "%s: expected a mapping of instance type to rate, got %s", path, DescribeNode(n))
		return nil
	}
	out := map[string]float64{}
	for i := 0; i+1 < len(r.Content); i += 2 {
		k, v := r.Content[i], ResolveNode(r.Content[i+1])
		if _, known := cloud.Lookup(k.Value); k.Value != "*" && !known {
			p.Errorf(k, textdist.DidYouMean(k.Value, cloud.Names(), "instance types"), "%s: unknown instance type %q (or \"*\" for every type)", path, k.Value)
			continue
		}
		x, err := strconv.ParseFloat(v.Value, 64)
		if v.Kind != yaml.ScalarNode || err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			p.Errorf(v, "interruptions per instance-hour, e.g. 0.05", "%s.%s: expected a number of at least 0, got %q", path, k.Value, v.Value)
			continue
		}
		out[k.Value] = x
	}
	return out
}
