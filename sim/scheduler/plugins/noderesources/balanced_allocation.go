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
	// memo[i] is the last score ScoreNodes computed for the node at
	// index i, with the inputs it was computed from (see balancedMemo).
	memo []balancedMemo
}

// balancedMemo remembers one node's score with every input it depends on
// (Fit's memo uses it too, with the non-zero requests):
// the node's CPU and memory requested and allocatable and the pod's CPU
// and memory request (balancedImprovement reads nothing else). A score is
// reused only when all six are equal, so it is exact by construction and
// cannot go stale; it needs no invalidation. It pays because consecutive
// cycles mostly schedule pods of one template (the same requests) over
// nodes of which only the last one bound to has changed, and a hit is six
// compares where a miss is four float divisions.
type balancedMemo struct {
	usedCPU, usedMem, allocCPU, allocMem int64
	podCPU, podMem                       int64
	score                                int64
	ok                                   bool
}

// lookup returns the remembered score for the inputs, if any.
func (m *balancedMemo) lookup(used, pod, alloc *podutil.Resources) (int64, bool) {
	return m.lookupOf(used.MilliCPU, used.Memory, alloc.MilliCPU, alloc.Memory, pod)
}

func (m *balancedMemo) store(used, pod, alloc *podutil.Resources, score int64) {
	m.storeOf(used.MilliCPU, used.Memory, alloc.MilliCPU, alloc.Memory, pod, score)
}

// lookupOf and storeOf are lookup and store given the node's values (as
// a NodeRow holds them).
func (m *balancedMemo) lookupOf(usedCPU, usedMem, allocCPU, allocMem int64, pod *podutil.Resources) (int64, bool) {
	return m.score, m.ok && m.usedCPU == usedCPU && m.usedMem == usedMem &&
		m.allocCPU == allocCPU && m.allocMem == allocMem &&
		m.podCPU == pod.MilliCPU && m.podMem == pod.Memory
}

func (m *balancedMemo) storeOf(usedCPU, usedMem, allocCPU, allocMem int64, pod *podutil.Resources, score int64) {
	*m = balancedMemo{usedCPU: usedCPU, usedMem: usedMem, allocCPU: allocCPU, allocMem: allocMem,
		podCPU: pod.MilliCPU, podMem: pod.Memory, score: score, ok: true}
}

// NewBalancedAllocation returns the plugin.
func NewBalancedAllocation() *BalancedAllocation { return &BalancedAllocation{} }

// Name implements framework.Plugin.
func (*BalancedAllocation) Name() string { return BalancedAllocationName }

// PreScore computes the pod's real requests; a pod requesting nothing
// (best effort) does not change balance, so the plugin skips it.
func (b *BalancedAllocation) PreScore(state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) *framework.Status {
	if pi := state.PodInfo(pod); pi != nil {
		b.cur = pi.Requests
	} else {
		b.cur = podutil.PodRequests(pod)
	}
	if b.cur.MilliCPU == 0 && b.cur.Memory == 0 {
		return framework.SkipStatus
	}
	state.Write(balancedKey, &b.cur)
	b.memo = sizeMemo(b.memo, state, nodes)
	return nil
}

// sizeMemo grows memo to cover every node's Index. It runs in PreScore,
// not in ScoreNodes, which may run on several goroutines (each writes
// only its own nodes' entries). With the nodes' rows, the Index of every
// node is below their number: no NodeInfo needs reading.
func sizeMemo(memo []balancedMemo, state *framework.CycleState, nodes []*framework.NodeInfo) []balancedMemo {
	last := -1
	if rows, _ := state.ScoreRows(); rows != nil {
		last = len(rows) - 1
	} else {
		for _, ni := range nodes {
			last = max(last, ni.Index)
		}
	}
	if last >= len(memo) {
		memo = append(memo, make([]balancedMemo, last+1-len(memo))...)
	}
	return memo
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
		if ni.Index < 0 || ni.Index >= len(b.memo) { // not sized by PreScore: no memo
			scores[j].Score = balancedImprovement(ni.Requested, req, ni.Allocatable)
			continue
		}
		m := &b.memo[ni.Index]
		score, ok := m.lookup(&ni.Requested, &req, &ni.Allocatable)
		if !ok {
			score = balancedImprovement(ni.Requested, req, ni.Allocatable)
			m.store(&ni.Requested, &req, &ni.Allocatable, score)
		}
		scores[j].Score = score
	}
	return nil
}

// AddRows implements framework.RowAdder: ScoreNodes reading the nodes'
// rows (the requested and allocatable CPU and memory, which is all
// balancedImprovement reads), with the same memo, adding weight × score
// into totals. Scores are in [50, MaxNodeScore]: BalancedScore is in
// [0, 100] (fractions capped at 1), so 50 + (50 + after - before)/2 is.
func (b *BalancedAllocation) AddRows(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo, rows []framework.NodeRow, rowOf []int32, weight int64, totals []int64) *framework.Status {
	req := scoreRequests(state, balancedKey, pod, podutil.PodRequests)
	memo := b.memo
	totals = totals[:len(rowOf)]
	for j, i := range rowOf {
		r := &rows[i]
		if int(i) >= len(memo) { // not sized by PreScore: no memo
			totals[j] += weight * balancedOf(r, &req)
			continue
		}
		m := &memo[i]
		score, ok := m.lookupOf(r.ReqCPU, r.ReqMem, r.AllocCPU, r.AllocMem, &req)
		if !ok {
			score = balancedOf(r, &req)
			m.storeOf(r.ReqCPU, r.ReqMem, r.AllocCPU, r.AllocMem, &req, score)
		}
		totals[j] += weight * score
	}
	return nil
}

// RowKey implements framework.RowKeyed: AddRows's score of a row is
// balancedOf the row's requested and allocatable CPU and memory and of
// the pod's CPU and memory request.
func (b *BalancedAllocation) RowKey(state *framework.CycleState, pod *corev1.Pod) (framework.RowKey, bool) {
	req := scoreRequests(state, balancedKey, pod, podutil.PodRequests)
	return framework.RowKey{req.MilliCPU, req.Memory}, true
}

// balancedOf is balancedImprovement of the node with row r.
func balancedOf(r *framework.NodeRow, req *podutil.Resources) int64 {
	return balancedImprovement(podutil.Resources{MilliCPU: r.ReqCPU, Memory: r.ReqMem}, *req,
		podutil.Resources{MilliCPU: r.AllocCPU, Memory: r.AllocMem})
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
