package podtopologyspread

import (
	"math"

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

// PreFilter counts matching pods per domain for the pod's hard
// constraints; a pod without any skips the Filter.
func (pl *PodTopologySpread) PreFilter(state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	var cs []constraint
	if len(pod.Spec.TopologySpreadConstraints) > 0 {
		var err error
		if cs, err = parseConstraints(pod, corev1.DoNotSchedule); err != nil {
			return framework.AsStatus(err)
		}
	} else {
		cs = defaultConstraints(pod, pl.defaults, corev1.DoNotSchedule)
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
	v, err := state.Read(preFilterKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	s := v.(*preFilterState)
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
