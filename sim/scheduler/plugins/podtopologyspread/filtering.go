package podtopologyspread

import (
	"maps"
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeaffinity"
)

const preFilterKey framework.StateKey = "PreFilter" + Name

var (
	statusNotMatch     = framework.NewStatus(framework.Unschedulable, ErrReasonConstraintsNotMatch).WithPlugin(Name)
	statusMissingLabel = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeLabelNotMatch).WithPlugin(Name)
)

// preFilterState holds, per hard constraint, the matching pod count of
// every eligible topology domain and the smallest of them.
type preFilterState struct {
	constraints       []constraint
	tpValueToMatchNum []map[string]int
	minMatchNum       []int
}

// podConstraints are the pod's spread constraints of action or, when it
// has none, the system default constraints that apply to it (built in
// dst's memory).
func (pl *PodTopologySpread) podConstraints(dst []constraint, pod *corev1.Pod, action corev1.UnsatisfiableConstraintAction) ([]constraint, error) {
	if len(pod.Spec.TopologySpreadConstraints) > 0 {
		return parseConstraints(pod, action)
	}
	return defaultConstraints(dst, pod, pl.defaults, action), nil
}

// PreFilter counts matching pods per domain for the pod's hard
// constraints; a pod without any skips the Filter.
func (pl *PodTopologySpread) PreFilter(state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	cs, err := pl.podConstraints(nil, pod, corev1.DoNotSchedule)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(cs) == 0 {
		return framework.SkipStatus
	}
	state.Write(preFilterKey, pl.calPreFilterState(pod, cs))
	return nil
}

func (pl *PodTopologySpread) calPreFilterState(pod *corev1.Pod, cs []constraint) *preFilterState {
	nodes := pl.lister.NodeInfos()
	s := &preFilterState{constraints: cs, tpValueToMatchNum: make([]map[string]int, len(cs)), minMatchNum: make([]int, len(cs))}
	aff := nodeaffinity.GetRequiredNodeAffinity(pod)
	for i := range cs {
		s.tpValueToMatchNum[i] = map[string]int{}
		pc := pl.counter(i)
		pc.count(pl.lister, &cs[i], pod.Namespace, len(nodes))
		for _, ni := range nodes {
			node := ni.Node()
			if node == nil || !nodeHasKeys(node, cs) || !cs[i].matchNodeInclusion(pod, node, &aff) {
				continue
			}
			s.tpValueToMatchNum[i][node.Labels[cs[i].TopologyKey]] += int(pc.counts[ni.Index])
		}
		m := math.MaxInt
		for _, n := range s.tpValueToMatchNum[i] {
			m = min(m, n)
		}
		s.minMatchNum[i] = m
	}
	return s
}

// Filter rejects the node if placing the pod in its domain would make the
// domain exceed the global minimum by more than maxSkew.
func (pl *PodTopologySpread) Filter(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	s, status := framework.ReadAs[*preFilterState](state, preFilterKey)
	if status != nil {
		return status
	}
	node := ni.Node()
	podLabels := labels.Set(pod.Labels)
	for i := range s.constraints {
		c := &s.constraints[i]
		tpVal, ok := node.Labels[c.TopologyKey]
		if !ok {
			return statusMissingLabel
		}
		minMatch := s.minMatchNum[i]
		if len(s.tpValueToMatchNum[i]) < int(c.MinDomains) {
			minMatch = 0
		}
		self := 0
		if c.Selector.Matches(podLabels) {
			self = 1
		}
		if s.tpValueToMatchNum[i][tpVal]+self-minMatch > int(c.MaxSkew) {
			return statusNotMatch
		}
	}
	return nil
}

// EventsToRegister implements framework.EnqueueExtensions: pods and node labels decide the domains and their counts.
func (*PodTopologySpread) EventsToRegister() map[string][]framework.ClusterEvent {
	return map[string][]framework.ClusterEvent{Name: {framework.AssignedPodAdd, framework.AssignedPodDelete, framework.NodeLabelChange}}
}

// CloneState copies the counts for preemption's dry run, which changes
// them through AddPod and RemovePod.
func (s *preFilterState) CloneState() any {
	c := &preFilterState{constraints: s.constraints, tpValueToMatchNum: make([]map[string]int, len(s.tpValueToMatchNum)), minMatchNum: slices.Clone(s.minMatchNum)}
	for i, m := range s.tpValueToMatchNum {
		c.tpValueToMatchNum[i] = maps.Clone(m)
	}
	return c
}

// AddPod counts podToAdd, now on node, as PreFilter would have.
func (pl *PodTopologySpread) AddPod(state *framework.CycleState, pod *corev1.Pod, podToAdd *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	return updateWithPod(state, pod, podToAdd, node, 1)
}

// RemovePod stops counting podToRemove, no longer on node.
func (pl *PodTopologySpread) RemovePod(state *framework.CycleState, pod *corev1.Pod, podToRemove *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	return updateWithPod(state, pod, podToRemove, node, -1)
}

// updateWithPod adds delta to the domain of node for every constraint
// whose selector matches the pod (same namespace as the incoming pod, on
// a node that takes part in the constraint), then recomputes the minima.
func updateWithPod(state *framework.CycleState, pod *corev1.Pod, pi *framework.PodInfo, ni *framework.NodeInfo, delta int) *framework.Status {
	s, status := framework.ReadAs[*preFilterState](state, preFilterKey)
	if status != nil {
		return status
	}
	node := ni.Node()
	if node == nil || pi.Pod.Namespace != pod.Namespace || !nodeHasKeys(node, s.constraints) {
		return nil
	}
	aff := nodeaffinity.GetRequiredNodeAffinity(pod)
	podLabels := labels.Set(pi.Pod.Labels)
	for i := range s.constraints {
		c := &s.constraints[i]
		if !c.Selector.Matches(podLabels) || !c.matchNodeInclusion(pod, node, &aff) {
			continue
		}
		s.tpValueToMatchNum[i][node.Labels[c.TopologyKey]] += delta
		m := math.MaxInt
		for _, n := range s.tpValueToMatchNum[i] {
			m = min(m, n)
		}
		s.minMatchNum[i] = m
	}
	return nil
}
