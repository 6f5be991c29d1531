package noderesources

import (
	"math"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// BalancedAllocationName is the plugin's name.
const BalancedAllocationName = "NodeResourcesBalancedAllocation"

const balancedKey framework.StateKey = "PreScore" + BalancedAllocationName

// BalancedAllocation is the NodeResourcesBalancedAllocation plugin.
type BalancedAllocation struct {
	cur podutil.Resources
}

// NewBalancedAllocation returns the plugin.
func NewBalancedAllocation() *BalancedAllocation { return &BalancedAllocation{} }

// Name implements framework.Plugin.
func (*BalancedAllocation) Name() string { return BalancedAllocationName }

// PreScore computes the pod's real requests; a pod requesting nothing
// (best effort) does not change balance, so the plugin skips it.
func (b *BalancedAllocation) PreScore(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	if pi := state.PodInfo(pod); pi != nil {
		b.cur = pi.Requests
	} else {
		b.cur = podutil.PodRequests(pod)
	}
	if b.cur.MilliCPU == 0 && b.cur.Memory == 0 {
		return framework.SkipStatus
	}
	state.Write(balancedKey, &b.cur)
	return nil
}

// Score rates how much placing the pod improves the node's balance
// (v1.37's balancedResourceScorer): with B = BalancedScore before and
// after, 50 + (50 + after - before)/2, so an unchanged balance scores 75,
// an improved one up to 100 and a worsened one down to 50.
func (b *BalancedAllocation) Score(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	req := scoreRequests(state, balancedKey, pod, podutil.PodRequests)
	return balancedImprovement(ni.Requested, req, ni.Allocatable), nil
}

// ScoreNodes implements framework.BatchScorer.
func (b *BalancedAllocation) ScoreNodes(state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo, scores []framework.NodeScore) *framework.Status {
	req := scoreRequests(state, balancedKey, pod, podutil.PodRequests)
	for j, ni := range nodes {
		scores[j].Score = balancedImprovement(ni.Requested, req, ni.Allocatable)
	}
	return nil
}

// balancedImprovement adds CPU and memory only (BalancedScore reads
// nothing else): Resources.Add would merge, and allocate, the scalars of
// a pod that requests any, on every node.
func balancedImprovement(used, pod, alloc podutil.Resources) int64 {
	with := used
	with.MilliCPU += pod.MilliCPU
	with.Memory += pod.Memory
	return framework.MaxNodeScore/2 + (framework.MaxNodeScore/2+BalancedScore(with, alloc)-BalancedScore(used, alloc))/2
}

// BalancedScore scores how evenly requested fills alloc across CPU and
// memory: with two resources std = |f1-f2|/2; fractions are capped at 1.
func BalancedScore(requested, alloc podutil.Resources) int64 {
	var fr [2]float64
	n := 0
	if alloc.MilliCPU > 0 {
		fr[n] = min(float64(requested.MilliCPU)/float64(alloc.MilliCPU), 1)
		n++
	}
	if alloc.Memory > 0 {
		fr[n] = min(float64(requested.Memory)/float64(alloc.Memory), 1)
		n++
	}
	std := 0.0
	if n == 2 {
		std = math.Abs((fr[0] - fr[1]) / 2)
	}
	return int64((1 - std) * float64(framework.MaxNodeScore))
}

// ScoreExtensions implements framework.ScorePlugin.
func (*BalancedAllocation) ScoreExtensions() framework.ScoreExtensions { return nil }
