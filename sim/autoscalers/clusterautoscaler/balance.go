package clusterautoscaler

import (
	"cmp"
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// Labels the node group comparator ignores: they differ between groups
// in different zones by construction (upstream's basic ignored labels
// plus the AWS provider's).
var ignoredLabels = map[string]bool{
	corev1.LabelHostname: true, corev1.LabelTopologyZone: true, corev1.LabelTopologyRegion: true,
	corev1.LabelFailureDomainBetaZone: true, corev1.LabelFailureDomainBetaRegion: true,
	"beta.kubernetes.io/fluentd-ds-ready": true, "kops.k8s.io/instancegroup": true,
	"eks.amazonaws.com/nodegroup": true, "alpha.eksctl.io/nodegroup-name": true,
	"eks.amazonaws.com/sourceLaunchTemplateId": true, "eks.amazonaws.com/sourceLaunchTemplateVersion": true,
	"k8s.amazonaws.com/eniConfig": true, "lifecycle": true, "topology.ebs.csi.aws.com/zone": true,
}

// Upstream's comparator tolerances.
const (
	maxCapacityMemoryDifferenceRatio = 0.015
	maxAllocatableDifferenceRatio    = 0.05
)

// similar reports whether two groups' nodes are interchangeable for
// --balance-similar-node-groups: same cpu, memory within 1.5%,
// allocatable within 5%, same labels (ignoring zone-specific ones) and
// taints.
func similar(a, b *corev1.Node) bool {
	if !a.Status.Capacity.Cpu().Equal(*b.Status.Capacity.Cpu()) {
		return false
	}
	if !within(a.Status.Capacity.Memory().Value(), b.Status.Capacity.Memory().Value(), maxCapacityMemoryDifferenceRatio) ||
		!within(a.Status.Allocatable.Memory().MilliValue(), b.Status.Allocatable.Memory().MilliValue(), maxAllocatableDifferenceRatio) ||
		!within(a.Status.Allocatable.Cpu().MilliValue(), b.Status.Allocatable.Cpu().MilliValue(), maxAllocatableDifferenceRatio) {
		return false
	}
	for k, v := range a.Labels { // set comparison: order does not matter
		if !ignoredLabels[k] && b.Labels[k] != v {
			return false
		}
	}
	for k := range b.Labels {
		if _, ok := a.Labels[k]; !ok && !ignoredLabels[k] {
			return false
		}
	}
	return equality.Semantic.DeepEqual(a.Spec.Taints, b.Spec.Taints)
}

func within(x, y int64, ratio float64) bool {
	hi := math.Max(float64(x), float64(y))
	return hi == 0 || math.Abs(float64(x-y))/hi <= ratio
}

// balance spreads the chosen option's new nodes over the similar groups
// that could also take the pods, filling the smallest groups first
// (upstream's BalanceScaleUpBetweenGroups), each up to its max.
func (a *Autoscaler) balance(best Option, options []Option, targets map[string]int) []Option {
	set := []Option{best}
	for _, o := range options {
		if o.Group.Name != best.Group.Name && similar(best.Group.Template, o.Group.Template) {
			set = append(set, o)
		}
	}
	if len(set) == 1 {
		return set
	}
	slices.SortFunc(set, func(x, y Option) int {
		if d := targets[x.Group.Name] - targets[y.Group.Name]; d != 0 {
			return d
		}
		return cmp.Compare(x.Group.Name, y.Group.Name)
	})
	size := make([]int, len(set))
	for i, o := range set {
		size[i] = targets[o.Group.Name]
	}
	add := make([]int, len(set))
	for left := best.NodeCount; left > 0; left-- {
		pick := -1
		for i, o := range set {
			if size[i] >= o.Group.Max {
				continue
			}
			if pick < 0 || size[i] < size[pick] {
				pick = i
			}
		}
		if pick < 0 {
			break
		}
		size[pick]++
		add[pick]++
	}
	var out []Option
	for i, o := range set {
		if add[i] > 0 {
			o.NodeCount = add[i]
			if o.Group.Name != best.Group.Name {
				o.Pods = nil // the pods are attributed to the chosen option
			} else {
				o.Pods = best.Pods
			}
			out = append(out, o)
		}
	}
	if len(out) > 0 && out[0].Pods == nil {
		out[0].Pods = best.Pods
		for i := 1; i < len(out); i++ {
			out[i].Pods = nil
		}
	}
	return out
}
