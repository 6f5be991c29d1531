// Package noderesources holds NodeResourcesFit (does the pod's request fit
// the node's free allocatable; score by LeastAllocated or MostAllocated)
// and NodeResourcesBalancedAllocation (prefer nodes whose CPU and memory
// utilisation stay even).
package noderesources

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// FitName is the Fit plugin's name.
const FitName = "NodeResourcesFit"

// Scoring strategies of NodeResourcesFit.
const (
	LeastAllocated = "LeastAllocated"
	MostAllocated  = "MostAllocated"
)

// Upstream's failure reasons.
const (
	ReasonTooManyPods        = "Too many pods"
	ReasonInsufficientCPU    = "Insufficient cpu"
	ReasonInsufficientMemory = "Insufficient memory"
)

const (
	fitKey      framework.StateKey = "PreFilter" + FitName
	fitScoreKey framework.StateKey = "PreScore" + FitName
)

// Fit is the NodeResourcesFit plugin.
type Fit struct {
	// most: the MostAllocated strategy (else LeastAllocated).
	most bool
	// cur is the pod request of the running cycle; one cycle runs at a
	// time, so keeping it here saves an allocation per cycle.
	cur podutil.Resources
	// nz is the pod's non-zero request for scoring, set in PreScore.
	nz podutil.Resources
	// memo[i] is the last score ScoreNodes computed for the node at index
	// i, with every input it was computed from: the node's non-zero CPU
	// and memory requested and allocatable and the pod's non-zero CPU and
	// memory (score reads nothing else; the strategy is fixed per plugin).
	// As BalancedAllocation's, it is reused only when all six are equal,
	// so it cannot go stale: a hit is six compares where a miss is three
	// divisions.
	memo []balancedMemo
}

// NewFit returns the plugin scoring with strategy (LeastAllocated when
// empty or unknown).
func NewFit(strategy string) *Fit {
	return &Fit{most: strategy == MostAllocated}
}

// Name implements framework.Plugin.
func (*Fit) Name() string { return FitName }

// PreFilter computes the pod's request once.
func (f *Fit) PreFilter(state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	if pi := state.PodInfo(pod); pi != nil {
		f.cur = pi.Requests // derived once per cycle by the scheduler
	} else {
		f.cur = podutil.PodRequests(pod)
	}
	state.Write(fitKey, &f.cur)
	return nil
}

// Filter rejects the node when the pod count or any request exceeds what
// is left of its allocatable. A request larger than the whole allocatable
// is unresolvable (preemption cannot help).
func (f *Fit) Filter(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	var req podutil.Resources
	if v, err := state.Read(fitKey); err == nil {
		req = *v.(*podutil.Resources)
	} else {
		req = podutil.PodRequests(pod)
	}
	reasons, unresolvable := InsufficientResources(req, ni)
	if len(reasons) == 0 {
		return nil
	}
	code := framework.Unschedulable
	if unresolvable {
		code = framework.UnschedulableAndUnresolvable
	}
	return framework.NewStatus(code, reasons...).WithPlugin(FitName)
}

// EventsToRegister implements framework.EnqueueExtensions: a pod leaving a node frees room; a node growing has more of it.
func (*Fit) EventsToRegister() map[string][]framework.ClusterEvent {
	return map[string][]framework.ClusterEvent{FitName: {framework.AssignedPodDelete, framework.NodeAllocatableChange}}
}

// InsufficientResources lists upstream's reasons why req does not fit the
// node, in upstream order (pods, cpu, memory, then ephemeral-storage,
// hugepages and extended resources such as nvidia.com/gpu, by name).
func InsufficientResources(req podutil.Resources, ni *framework.NodeInfo) (reasons []string, unresolvable bool) {
	alloc, used := ni.Allocatable, ni.Requested
	if used.Pods+1 > alloc.Pods {
		reasons = append(reasons, ReasonTooManyPods)
	}
	if req.MilliCPU == 0 && req.Memory == 0 && len(req.Scalars) == 0 {
		return reasons, false
	}
	if req.MilliCPU > 0 && req.MilliCPU > alloc.MilliCPU-used.MilliCPU {
		reasons = append(reasons, ReasonInsufficientCPU)
		unresolvable = unresolvable || req.MilliCPU > alloc.MilliCPU
	}
	if req.Memory > 0 && req.Memory > alloc.Memory-used.Memory {
		reasons = append(reasons, ReasonInsufficientMemory)
		unresolvable = unresolvable || req.Memory > alloc.Memory
	}
	for _, s := range req.Scalars {
		if a := alloc.Scalar(s.Name); s.Value > a-used.Scalar(s.Name) {
			reasons = append(reasons, "Insufficient "+string(s.Name))
			unresolvable = unresolvable || s.Value > a
		}
	}
	return reasons, unresolvable
}

// Score rates the node by its CPU and memory allocation after placing the
// pod (non-zero requests: containers without requests count as 100m and
// 200 MiB), averaged with weight 1 each.
func (f *Fit) Score(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	return f.score(scoreRequests(state, fitScoreKey, pod, podutil.NonZeroRequests), ni), nil
}

// ScoreNodes implements framework.BatchScorer.
func (f *Fit) ScoreNodes(state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo, scores []framework.NodeScore) *framework.Status {
	req := scoreRequests(state, fitScoreKey, pod, podutil.NonZeroRequests)
	for j, ni := range nodes {
		if ni.Index < 0 || ni.Index >= len(f.memo) { // not sized by PreScore: no memo
			scores[j].Score = f.score(req, ni)
			continue
		}
		m := &f.memo[ni.Index]
		score, ok := m.lookup(&ni.NonZeroRequested, &req, &ni.Allocatable)
		if !ok {
			score = f.score(req, ni)
			m.store(&ni.NonZeroRequested, &req, &ni.Allocatable, score)
		}
		scores[j].Score = score
	}
	return nil
}

// AddRows implements framework.RowAdder: ScoreNodes reading the nodes'
// rows (the non-zero requested and allocatable CPU and memory, which is
// all score reads), with the same memo, adding weight × score into
// totals. Scores are in [0, MaxNodeScore]: each resource's score is, and
// so is their average.
func (f *Fit) AddRows(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo, rows []framework.NodeRow, rowOf []int32, weight int64, totals []int64) *framework.Status {
	req := scoreRequests(state, fitScoreKey, pod, podutil.NonZeroRequests)
	memo := f.memo
	totals = totals[:len(rowOf)]
	for j, i := range rowOf {
		r := &rows[i]
		if int(i) >= len(memo) { // not sized by PreScore: no memo
			totals[j] += weight * f.scoreOf(r.NZCPU, r.NZMem, r.AllocCPU, r.AllocMem, &req)
			continue
		}
		m := &memo[i]
		score, ok := m.lookupOf(r.NZCPU, r.NZMem, r.AllocCPU, r.AllocMem, &req)
		if !ok {
			score = f.scoreOf(r.NZCPU, r.NZMem, r.AllocCPU, r.AllocMem, &req)
			m.storeOf(r.NZCPU, r.NZMem, r.AllocCPU, r.AllocMem, &req, score)
		}
		totals[j] += weight * score
	}
	return nil
}

// RowKey implements framework.RowKeyed: AddRows's score of a row is
// scoreOf the row's non-zero requested and allocatable CPU and memory
// and of the pod's non-zero CPU and memory request (the strategy is the
// plugin's own, fixed).
func (f *Fit) RowKey(state *framework.CycleState, pod *corev1.Pod) (framework.RowKey, bool) {
	req := scoreRequests(state, fitScoreKey, pod, podutil.NonZeroRequests)
	return framework.RowKey{req.MilliCPU, req.Memory}, true
}

// scoreRequests is the pod's requests as its PreScore wrote them under
// key, or compute(pod) when no PreScore ran (a Score called on its own, as
// upstream's tests call it).
func scoreRequests(state *framework.CycleState, key framework.StateKey, pod *corev1.Pod, compute func(*corev1.Pod) podutil.Resources) podutil.Resources {
	if v, err := state.Read(key); err == nil {
		return *v.(*podutil.Resources)
	}
	return compute(pod)
}

// PreScore computes the pod's non-zero request once per cycle.
func (f *Fit) PreScore(state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) *framework.Status {
	if pi := state.PodInfo(pod); pi != nil {
		f.nz = pi.NonZero
	} else {
		f.nz = podutil.NonZeroRequests(pod)
	}
	state.Write(fitScoreKey, &f.nz)
	f.memo = sizeMemo(f.memo, state, nodes)
	return nil
}

// score is ResourceScore of the node's non-zero requests plus the pod's.
// Only CPU and memory are added: ResourceScore reads nothing else, and
// Resources.Add would merge (and allocate) the scalars of a pod that
// requests any, on every node. The strategy is a branch, not a call
// through f.scorer, so that both scorers inline.
func (f *Fit) score(podReq podutil.Resources, ni *framework.NodeInfo) int64 {
	return f.scoreOf(ni.NonZeroRequested.MilliCPU, ni.NonZeroRequested.Memory, ni.Allocatable.MilliCPU, ni.Allocatable.Memory, &podReq)
}

// scoreOf is score of a node with non-zero requests usedCPU and usedMem
// and allocatable allocCPU and allocMem.
func (f *Fit) scoreOf(usedCPU, usedMem, allocCPU, allocMem int64, podReq *podutil.Resources) int64 {
	cpu, mem := usedCPU+podReq.MilliCPU, usedMem+podReq.Memory
	var sum, weights int64
	if allocCPU > 0 {
		sum += f.scoreOne(cpu, allocCPU)
		weights++
	}
	if allocMem > 0 {
		sum += f.scoreOne(mem, allocMem)
		weights++
	}
	if weights == 0 {
		return 0
	}
	return sum / weights
}

func (f *Fit) scoreOne(requested, allocatable int64) int64 {
	if f.most {
		return MostRequestedScore(requested, allocatable)
	}
	return LeastRequestedScore(requested, allocatable)
}

// ResourceScore averages scorer over CPU and memory, skipping resources
// the node has none of, with integer division as upstream.
func ResourceScore(scorer func(requested, allocatable int64) int64, req, alloc podutil.Resources) int64 {
	var sum, weights int64
	if alloc.MilliCPU > 0 {
		sum += scorer(req.MilliCPU, alloc.MilliCPU)
		weights++
	}
	if alloc.Memory > 0 {
		sum += scorer(req.Memory, alloc.Memory)
		weights++
	}
	if weights == 0 {
		return 0
	}
	return sum / weights
}

// LeastRequestedScore is (allocatable-requested)*100/allocatable, 0 when
// over-committed: emptier nodes score higher.
func LeastRequestedScore(requested, allocatable int64) int64 {
	if allocatable == 0 || requested > allocatable {
		return 0
	}
	return (allocatable - requested) * framework.MaxNodeScore / allocatable
}

// MostRequestedScore is requested*100/allocatable (capped): fuller nodes
// score higher (bin packing).
func MostRequestedScore(requested, allocatable int64) int64 {
	if allocatable == 0 {
		return 0
	}
	requested = min(requested, allocatable)
	return requested * framework.MaxNodeScore / allocatable
}

// ScoreExtensions implements framework.ScorePlugin.
func (*Fit) ScoreExtensions() framework.ScoreExtensions { return nil }

// QuickRule implements framework.QuickFilter: Filter passes a node with
// room for one more pod and the pod's CPU and memory (the conditions
// InsufficientResources checks). A pod requesting any other resource has
// no rule: its nodes go through Filter.
func (f *Fit) QuickRule(state *framework.CycleState, pod *corev1.Pod) (framework.QuickRule, bool) {
	var req podutil.Resources
	if v, err := state.Read(fitKey); err == nil {
		req = *v.(*podutil.Resources)
	} else {
		req = podutil.PodRequests(pod)
	}
	if len(req.Scalars) != 0 {
		return framework.QuickRule{}, false
	}
	return framework.QuickRule{Fits: true, CPU: req.MilliCPU, Memory: req.Memory}, true
}
