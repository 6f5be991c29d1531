package karpenter

import (
	"cmp"
	"slices"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"

	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/podutil"
)

// offeringKey is one (instance type, zone, capacity type) EC2 sells.
type offeringKey struct{ typ, zone, capacityType string }

// offering is a priced, available offering.
type offering struct {
	offeringKey
	price float64
}

// typeLabels are the well-known labels a node of type t carries, as
// Karpenter's AWS provider computes them.
func typeLabels(t cloud.InstanceType) map[string]string {
	return derived(t).labels
}

// typeDerived is what typeLabels and allocatable derive from an instance
// type, computed once per type: consolidation asks for them for every type
// in every simulation. The labels map is shared: callers never modify it.
type typeDerived struct {
	t      cloud.InstanceType
	labels map[string]string
	alloc  podutil.Resources
	// capacity is t.Capacity(), shared and only read.
	capacity corev1.ResourceList
}

// derivedCache maps a type's name to its typeDerived (a sync.Map: the
// clusters of parallel tests share it).
var derivedCache sync.Map

func derived(t cloud.InstanceType) *typeDerived {
	if d, ok := derivedCache.Load(t.Name); ok && d.(*typeDerived).t == t {
		return d.(*typeDerived)
	}
	labels := map[string]string{
		corev1.LabelInstanceTypeStable: t.Name,
		corev1.LabelArchStable:         t.Arch,
		corev1.LabelOSStable:           "linux",
		karpv1.LabelInstanceFamily:     t.Family(),
		karpv1.LabelInstanceCategory:   t.Category(),
		karpv1.LabelInstanceGen:        t.Generation(),
		karpv1.LabelInstanceSize:       t.Size(),
		karpv1.LabelInstanceCPU:        strconv.Itoa(t.VCPU),
		karpv1.LabelInstanceMemory:     strconv.FormatInt(t.MemoryMiB, 10),
	}
	d := &typeDerived{t: t, labels: labels, alloc: podutil.AllocatableOf(t.Allocatable()), capacity: t.Capacity()}
	if _, ok := derivedCache.Load(t.Name); !ok {
		derivedCache.Store(t.Name, d)
	}
	return d
}

// wellKnown are the requirement keys that select offerings; any other key
// is a label the NodePool puts on its nodes.
var wellKnown = map[string]bool{
	corev1.LabelInstanceTypeStable: true, corev1.LabelArchStable: true, corev1.LabelOSStable: true,
	karpv1.LabelInstanceFamily: true, karpv1.LabelInstanceCategory: true, karpv1.LabelInstanceGen: true,
	karpv1.LabelInstanceSize: true, karpv1.LabelInstanceCPU: true, karpv1.LabelInstanceMemory: true,
	karpv1.LabelCapacityType: true, corev1.LabelTopologyZone: true,
}

// WellKnownKeys lists the requirement keys that select offerings (for
// did-you-mean hints).
func WellKnownKeys() []string { return sortedKeys(wellKnown) }

// matches reports whether one requirement admits a label set (a missing
// key is absent).
func matches(r karpv1.NodeSelectorRequirementWithMinValues, labels map[string]string) bool {
	v, has := labels[r.Key]
	switch r.Operator {
	case corev1.NodeSelectorOpIn:
		return has && slices.Contains(r.Values, v)
	case corev1.NodeSelectorOpNotIn:
		return !has || !slices.Contains(r.Values, v)
	case corev1.NodeSelectorOpExists:
		return has
	case corev1.NodeSelectorOpDoesNotExist:
		return !has
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt, karpv1.NodeSelectorOpGte, karpv1.NodeSelectorOpLte:
		if !has || len(r.Values) != 1 {
			return false
		}
		x, err1 := strconv.ParseInt(v, 10, 64)
		y, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		switch r.Operator {
		case corev1.NodeSelectorOpGt:
			return x > y
		case corev1.NodeSelectorOpLt:
			return x < y
		case karpv1.NodeSelectorOpGte:
			return x >= y
		}
		return x <= y
	}
	return false
}

// admits reports whether every well-known requirement admits labels.
func admits(reqs []karpv1.NodeSelectorRequirementWithMinValues, labels map[string]string) bool {
	for _, r := range reqs {
		if wellKnown[r.Key] && !matches(r, labels) {
			return false
		}
	}
	return true
}

// admitsType reports whether the requirements on an instance type's
// labels (all but zone and capacity type) admit t.
func admitsType(reqs []karpv1.NodeSelectorRequirementWithMinValues, t cloud.InstanceType) bool {
	labels := typeLabels(t)
	for _, r := range reqs {
		if r.Key == corev1.LabelTopologyZone || r.Key == karpv1.LabelCapacityType {
			continue
		}
		if wellKnown[r.Key] && !matches(r, labels) {
			return false
		}
	}
	return true
}

// capacityTypes are the capacity types a NodePool allows (Karpenter's
// default, when the NodePool names none, is on-demand only).
func capacityTypes(reqs []karpv1.NodeSelectorRequirementWithMinValues) []string {
	return keyValues(reqs, karpv1.LabelCapacityType, []string{karpv1.CapacityTypeSpot, karpv1.CapacityTypeOnDemand}, []string{karpv1.CapacityTypeOnDemand})
}

// keyValues lists the values of candidates that the requirements on key
// admit; def when no requirement names the key.
func keyValues(reqs []karpv1.NodeSelectorRequirementWithMinValues, key string, candidates, def []string) []string {
	var out []string
	for _, v := range candidates {
		ok := true
		for _, r := range reqs {
			if r.Key == key && !matches(r, map[string]string{key: v}) {
				ok = false
			}
		}
		if ok {
			out = append(out, v)
		}
	}
	explicit := false
	for _, r := range reqs {
		explicit = explicit || r.Key == key
	}
	if !explicit && def != nil {
		return def
	}
	return out
}

// eksCapacityType is the EC2 spelling of a Karpenter capacity type.
func eksCapacityType(ct string) string {
	if ct == karpv1.CapacityTypeSpot {
		return cloud.Spot
	}
	return cloud.OnDemand
}

// nodePoolTypes are the catalogue's instance types a NodePool's
// requirements admit (on any capacity type and zone), sorted by
// on-demand price.
func nodePoolTypes(np *karpv1.NodePool) []cloud.InstanceType {
	var out []cloud.InstanceType
	for _, name := range cloud.Names() {
		t, _ := cloud.Lookup(name)
		if admitsType(np.Spec.Template.Spec.Requirements, t) {
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b cloud.InstanceType) int { return cmp.Compare(a.PricePerHour, b.PricePerHour) })
	return out
}

// zones are the zones a NodePool admits among the cloud's.
func (c *Controller) zones(np *karpv1.NodePool) []string {
	return keyValues(np.Spec.Template.Spec.Requirements, corev1.LabelTopologyZone, c.cloud.Zones(), nil)
}

// available reports whether an offering is not in the unavailable
// offerings cache (an ICE within the last 3 minutes).
func (c *Controller) available(k offeringKey) bool {
	until, ok := c.ice[k]
	return !ok || c.now() >= until
}

// markUnavailable caches an offering as unavailable (ICE, spot
// interruption) for UnavailableOfferingsTTL.
func (c *Controller) markUnavailable(k offeringKey) {
	c.ice[k] = c.now() + UnavailableOfferingsTTL
}

// cheapest returns the cheapest available offering among types in zone
// for the allowed capacity types: spot when spot is allowed and any spot
// offering is available (Karpenter prioritises spot), else on-demand.
func (c *Controller) cheapest(types []cloud.InstanceType, zone string, cts []string) (offering, bool) {
	for _, ct := range []string{karpv1.CapacityTypeSpot, karpv1.CapacityTypeOnDemand} {
		if !slices.Contains(cts, ct) {
			continue
		}
		best, found := offering{}, false
		for _, t := range types {
			k := offeringKey{t.Name, zone, ct}
			if !c.available(k) {
				continue
			}
			p, ok := c.cloud.Price(t.Name, eksCapacityType(ct))
			if !ok {
				continue
			}
			if !found || p < best.price {
				best, found = offering{k, p}, true
			}
		}
		if found {
			return best, true
		}
	}
	return offering{}, false
}

// allocatable is a type's allocatable as scheduler resources.
func allocatable(t cloud.InstanceType) podutil.Resources {
	return derived(t).alloc
}

// limitsAllow reports whether adding a node of type t keeps a NodePool
// within its limits (cpu, memory, pods, nodes), given its current usage.
func limitsAllow(np *karpv1.NodePool, usage corev1.ResourceList, t cloud.InstanceType) bool {
	if len(np.Spec.Limits) == 0 {
		return true
	}
	capacity := derived(t).capacity
	for name, limit := range np.Spec.Limits {
		used := usage[name]
		add, ok := capacity[name]
		if name == "nodes" {
			add, ok = *resourceInt(1), true
		}
		if !ok {
			continue
		}
		used.Add(add)
		if used.Cmp(limit) > 0 {
			return false
		}
	}
	return true
}
