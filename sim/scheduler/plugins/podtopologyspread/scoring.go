package podtopologyspread

import (
	"math"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeaffinity"
)

const preScoreKey framework.StateKey = "PreScore" + Name

// preScoreState is reused across cycles (one cycle runs at a time).
type preScoreState struct {
	constraints []constraint
	// ignored[i] is true when node index i misses a topology key (only
	// for the pod's own constraints).
	ignored     []bool
	ignoredList []int
	// valueCounts[i] maps topology value -> matching pods, for the
	// non-hostname constraints, over the feasible nodes' domains.
	valueCounts []map[string]int64
	weights     []float64
	// counter[i] is the plugin counter holding constraint i's per-node
	// counts (constraints sharing a selector share one).
	counter []int
	// vals/has hold each feasible node's topology values, row-major by
	// constraint, so labels are looked up once per cycle.
	vals []string
	has  []bool
	// raw[i] is node index i's raw score, valid when stamp[i] == cycle.
	raw   []int64
	stamp []uint64
	cycle uint64
}

// PreScore sizes each constraint's domains over the feasible nodes,
// counts matching pods per domain over all eligible nodes, and computes
// every feasible node's raw score.
func (pl *PodTopologySpread) PreScore(state *framework.CycleState, pod *corev1.Pod, filtered []*framework.NodeInfo) *framework.Status {
	all := pl.lister.NodeInfos()
	if len(all) == 0 {
		return framework.SkipStatus
	}
	var cs []constraint
	if len(pod.Spec.TopologySpreadConstraints) > 0 {
		var err error
		if cs, err = parseConstraints(pod, corev1.ScheduleAnyway); err != nil {
			return framework.AsStatus(err)
		}
	} else {
		cs = defaultConstraints(pod, pl.defaults, corev1.ScheduleAnyway)
	}
	if len(cs) == 0 {
		return framework.SkipStatus
	}
	requireAll := len(pod.Spec.TopologySpreadConstraints) > 0 || !pl.systemDefaulted
	s := pl.resetScoreState(cs, len(all))
	topoSize := s.collectDomains(filtered, requireAll)
	aff := nodeaffinity.GetRequiredNodeAffinity(pod)
	for i := range cs {
		sz := topoSize[i]
		if cs[i].TopologyKey == corev1.LabelHostname {
			sz = len(filtered) - len(s.ignoredList)
		}
		s.weights[i] = math.Log(float64(sz + 2))
		pl.countDomains(s, i, pod, &aff, all, requireAll)
	}
	for j, ni := range filtered {
		s.raw[ni.Index] = pl.rawScore(s, j, ni)
		s.stamp[ni.Index] = s.cycle
	}
	state.Write(preScoreKey, s)
	return nil
}

// collectDomains records the feasible nodes' topology values and returns
// the number of distinct domains per constraint.
func (s *preScoreState) collectDomains(filtered []*framework.NodeInfo, requireAll bool) []int {
	cs := s.constraints
	topoSize := make([]int, len(cs))
	for _, ni := range filtered {
		labels := ni.Node().Labels
		allKeys := true
		for i := range cs {
			v, ok := labels[cs[i].TopologyKey]
			s.vals = append(s.vals, v)
			s.has = append(s.has, ok)
			allKeys = allKeys && ok
		}
		if requireAll && !allKeys {
			s.ignored[ni.Index] = true
			s.ignoredList = append(s.ignoredList, ni.Index)
			continue
		}
		row := s.vals[len(s.vals)-len(cs):]
		for i := range cs {
			if cs[i].TopologyKey == corev1.LabelHostname {
				continue
			}
			if _, ok := s.valueCounts[i][row[i]]; !ok {
				s.valueCounts[i][row[i]] = 0
				topoSize[i]++
			}
		}
	}
	return topoSize
}

func (pl *PodTopologySpread) resetScoreState(cs []constraint, numNodes int) *preScoreState {
	s := &pl.score
	for _, i := range s.ignoredList {
		if i < len(s.ignored) {
			s.ignored[i] = false
		}
	}
	s.ignoredList = s.ignoredList[:0]
	if len(s.ignored) < numNodes {
		s.ignored = make([]bool, numNodes)
		s.raw = make([]int64, numNodes)
		s.stamp = make([]uint64, numNodes)
	}
	s.cycle++
	s.constraints = cs
	for len(s.valueCounts) < len(cs) {
		s.valueCounts = append(s.valueCounts, map[string]int64{})
	}
	for i := range s.valueCounts {
		clear(s.valueCounts[i])
	}
	s.weights = append(s.weights[:0], make([]float64, len(cs))...)
	s.counter = s.counter[:0]
	for i := range cs {
		ci := i
		if cs[i].sameAsPrev {
			ci = s.counter[i-1]
		}
		s.counter = append(s.counter, ci)
	}
	s.vals, s.has = s.vals[:0], s.has[:0]
	return s
}

// countDomains fills constraint i's counter with per-node counts and adds
// them into the constraint's domains.
func (pl *PodTopologySpread) countDomains(s *preScoreState, i int, pod *corev1.Pod, aff *nodeaffinity.RequiredNodeAffinity, all []*framework.NodeInfo, requireAll bool) {
	c := &s.constraints[i]
	pc := pl.counter(s.counter[i])
	if s.counter[i] == i {
		pc.count(pl.lister, c, pod.Namespace, len(all))
	}
	if c.TopologyKey == corev1.LabelHostname {
		return
	}
	for _, idx := range pc.touched {
		node := all[idx].Node()
		if node == nil || (requireAll && !nodeHasKeys(node, s.constraints)) || !c.matchNodeInclusion(pod, node, aff) {
			continue
		}
		v := node.Labels[c.TopologyKey]
		if n, ok := s.valueCounts[i][v]; ok {
			s.valueCounts[i][v] = n + int64(pc.counts[idx])
		}
	}
}

// rawScore sums, over the constraints, count×weight + (maxSkew-1) for the
// domains of feasible node j; fewer matching pods nearby gives a lower
// raw score.
func (pl *PodTopologySpread) rawScore(s *preScoreState, j int, ni *framework.NodeInfo) int64 {
	if s.ignored[ni.Index] {
		return 0
	}
	n := len(s.constraints)
	var score float64
	for i := range s.constraints {
		if !s.has[j*n+i] {
			continue
		}
		c := &s.constraints[i]
		var cnt int64
		if c.TopologyKey == corev1.LabelHostname {
			cnt = int64(pl.counters[s.counter[i]].counts[ni.Index])
		} else {
			cnt = s.valueCounts[i][s.vals[j*n+i]]
		}
		score += float64(cnt)*s.weights[i] + float64(c.MaxSkew-1)
	}
	return int64(math.Round(score))
}

// Score returns the raw score PreScore computed for the node.
func (pl *PodTopologySpread) Score(state *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	v, err := state.Read(preScoreKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	s := v.(*preScoreState)
	if ni.Index < 0 || ni.Index >= len(s.stamp) || s.stamp[ni.Index] != s.cycle {
		return 0, framework.AsStatus(errNotPreScored)
	}
	return s.raw[ni.Index], nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *PodTopologySpread) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps raw scores to 100·(max+min−s)/max (ignored nodes 0).
func (pl *PodTopologySpread) NormalizeScore(state *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	v, err := state.Read(preScoreKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	s := v.(*preScoreState)
	var minScore int64 = math.MaxInt64
	var maxScore int64
	for i := range scores {
		if s.ignored[scores[i].Node.Index] {
			continue
		}
		minScore = min(minScore, scores[i].Score)
		maxScore = max(maxScore, scores[i].Score)
	}
	for i := range scores {
		switch {
		case s.ignored[scores[i].Node.Index]:
			scores[i].Score = 0
		case maxScore == 0:
			scores[i].Score = framework.MaxNodeScore
		default:
			scores[i].Score = framework.MaxNodeScore * (maxScore + minScore - scores[i].Score) / maxScore
		}
	}
	return nil
}
