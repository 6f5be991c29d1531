package podtopologyspread

import (
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeaffinity"
)

const preScoreKey framework.StateKey = "PreScore" + Name

// preScoreState is reused across cycles (one cycle runs at a time). Topology
// domains are the cache's interned domain ids (framework.Topology), so all
// per-domain data lives in slices indexed by domain id, valid for a domain
// only when its stamp equals the current cycle.
type preScoreState struct {
	constraints []constraint
	// keyIDs[i] is constraint i's topology key id; dom[i] is the
	// lister's DomainsByIndex for it (node index -> domain id).
	keyIDs []int
	dom    [][]int32
	// ignored[i] is true when node index i misses a topology key (only
	// for the pod's own constraints).
	ignored     []bool
	ignoredList []int
	// domCount[i][d] is the number of matching pods in domain d of
	// (non-hostname) constraint i; it is valid (d is a domain of a
	// feasible node) when domStamp[i][d] == cycle.
	domCount [][]int64
	domStamp [][]uint64
	// seen[i] lists the domains of constraint i stamped this cycle;
	// term[i][d] is a seen domain's share of a raw score,
	// float64(count)×weight + (maxSkew-1), computed once per domain
	// rather than per node.
	seen [][]int32
	term [][]float64
	// pair: the constraints are a hostname one and then another (the
	// default constraints' shape); base[d] is then the raw score of a
	// node in domain d of the second with no matching pod of its own,
	// which most nodes are.
	pair    bool
	fast    bool // pair, and no node ignored: rawOf reads base
	base    []int64
	weights []float64
	// topoSize[i] is the number of feasible domains of constraint i
	// (collectDomains' result, kept to reuse its memory).
	topoSize []int
	// counter[i] is the plugin counter holding constraint i's per-node
	// counts (constraints sharing a selector share one).
	counter []int
	// isHost[i]: constraint i spreads over hostnames (its counts are per
	// node, not per domain); skew[i] is its float64(MaxSkew-1); host[i]
	// is a hostname constraint's per-node counts (its counter's, read
	// after counting). Resolved once per cycle, not per node.
	isHost []bool
	skew   []float64
	host   [][]int32
	// stamp[i] == cycle: node index i is a feasible node of this cycle.
	stamp []uint64
	cycle uint64
	// raw is AddNormalizedRows' scratch: the cycle's raw scores.
	raw []int64
}

// PreScore sizes each constraint's domains over the feasible nodes and
// counts matching pods per domain over all eligible nodes; Score reads a
// feasible node's raw score off these counts.
func (pl *PodTopologySpread) PreScore(state *framework.CycleState, pod *corev1.Pod, filtered []*framework.NodeInfo) *framework.Status {
	all := pl.lister.NodeInfos()
	if len(all) == 0 {
		return framework.SkipStatus
	}
	cs, err := pl.podConstraints(pl.score.constraints, pod, corev1.ScheduleAnyway)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(cs) == 0 {
		return framework.SkipStatus
	}
	requireAll := len(pod.Spec.TopologySpreadConstraints) > 0 || !pl.systemDefaulted
	s := pl.resetScoreState(cs, len(all))
	topoSize := s.collectDomains(pl.lister, filtered, nodeIndexes(state, filtered), requireAll)
	aff := nodeaffinity.GetRequiredNodeAffinity(pod)
	for i := range cs {
		sz := topoSize[i]
		if cs[i].TopologyKey == corev1.LabelHostname {
			sz = len(filtered) - len(s.ignoredList)
		}
		s.weights[i] = math.Log(float64(sz + 2))
		pl.countDomains(s, i, pod, &aff, all, requireAll)
		s.host[i] = nil
		if s.isHost[i] {
			s.host[i] = pl.counters[s.counter[i]].counts
			continue
		}
		term, count := s.term[i], s.domCount[i]
		for _, d := range s.seen[i] {
			term[d] = float64(count[d])*s.weights[i] + s.skew[i]
		}
	}
	s.pair = len(cs) == 2 && s.isHost[0] && !s.isHost[1]
	s.fast = s.pair && len(s.ignoredList) == 0
	if s.pair {
		// rawScore's sum for a node with no matching pod: (0 + skew0) +
		// term, the same additions in the same order.
		if n := len(s.term[1]); len(s.base) < n {
			s.base = slices.Grow(s.base, n-len(s.base))[:n]
		}
		for _, d := range s.seen[1] {
			s.base[d] = int64(math.Round(float64(0)*s.weights[0] + s.skew[0] + s.term[1][d]))
		}
	}
	state.Write(preScoreKey, s)
	return nil
}

// domainOf maps a node's domain id to the domain its label value falls in
// when a missing label reads as "" (as upstream's label-map lookups do).
func domainOf(id int32) int32 {
	if id < 0 {
		return framework.EmptyDomain
	}
	return id
}

// nodeIndexes is the feasible nodes' indexes in the lister's list
// (idx[j] is filtered[j].Index) when the scheduler recorded them as the
// cycle's score rows, nil otherwise. The scheduler records rows only for
// a cycle over the cache's whole list, where row i is list node i, so a
// row index is a node index; the first and last are checked, which
// catches rows numbered another way. Reading the indexes from one int32
// array spares PreScore a load of every feasible NodeInfo (a cache miss
// each at 5,000 nodes).
func nodeIndexes(state *framework.CycleState, filtered []*framework.NodeInfo) []int32 {
	_, rowOf := state.ScoreRows()
	n := len(filtered)
	if n == 0 || len(rowOf) != n || int(rowOf[0]) != filtered[0].Index || int(rowOf[n-1]) != filtered[n-1].Index {
		return nil
	}
	return rowOf
}

// collectDomains stamps the feasible nodes (the nodes Score may be asked
// about), marks those missing a key as ignored when requireAll, and
// returns the number of distinct domains per constraint. idx, when not
// nil, holds the feasible nodes' indexes (nodeIndexes).
//
// A constraint's walk stops once it has seen every live domain of its key
// (the lister's NumLiveTopologyDomains): the feasible nodes are listed
// nodes, so no further node can bring a new domain. The nodes come
// zone-interleaved, so a zone constraint finds all zones among its first
// few nodes instead of walking every feasible node.
func (s *preScoreState) collectDomains(lister framework.SharedLister, filtered []*framework.NodeInfo, idx []int32, requireAll bool) []int {
	cs := s.constraints
	topoSize := append(s.topoSize[:0], make([]int, len(cs))...) // reused: no allocation per cycle
	s.topoSize = topoSize
	if idx != nil {
		for _, i := range idx {
			s.stamp[i] = s.cycle
		}
	} else {
		for _, ni := range filtered {
			s.stamp[ni.Index] = s.cycle
		}
	}
	if requireAll {
		for j, ni := range filtered {
			i := ni.Index
			if idx != nil {
				i = int(idx[j])
			}
			if !s.hasAllKeys(i) {
				s.ignored[i] = true
				s.ignoredList = append(s.ignoredList, i)
			}
		}
	}
	for i, k := range s.keyIDs {
		if s.isHost[i] {
			continue
		}
		dom := s.dom[i]
		live := lister.NumLiveTopologyDomains(k)
		stamp, count := s.domStamp[i], s.domCount[i]
		seen := s.seen[i][:0]
		n := 0
		for j, ni := range filtered {
			i := ni.Index
			if idx != nil {
				i = int(idx[j])
			}
			if len(s.ignoredList) > 0 && s.ignored[i] {
				continue
			}
			d := domainOf(dom[i])
			if stamp[d] != s.cycle {
				stamp[d] = s.cycle
				count[d] = 0
				seen = append(seen, d)
				if n++; n == live {
					break
				}
			}
		}
		topoSize[i] = n
		s.seen[i] = seen
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
		s.stamp = make([]uint64, numNodes)
	}
	s.cycle++
	s.constraints = cs
	s.keyIDs = s.keyIDs[:0]
	for i := range cs {
		s.keyIDs = append(s.keyIDs, pl.lister.TopologyKeyID(cs[i].TopologyKey))
	}
	s.dom = s.dom[:0]
	for _, k := range s.keyIDs { // after every key is registered: a new key refills the arrays
		s.dom = append(s.dom, pl.lister.DomainsByIndex(k))
	}
	for len(s.domCount) < len(cs) {
		s.domCount = append(s.domCount, nil)
		s.domStamp = append(s.domStamp, nil)
		s.seen = append(s.seen, nil)
		s.term = append(s.term, nil)
	}
	for i := range cs {
		// Stamps from earlier cycles are all below s.cycle, so growing
		// (zero stamps) is the only reset needed.
		if n := pl.lister.NumTopologyDomains(s.keyIDs[i]); len(s.domStamp[i]) < n {
			s.domStamp[i] = slices.Grow(s.domStamp[i], n-len(s.domStamp[i]))[:n]
			s.domCount[i] = slices.Grow(s.domCount[i], n-len(s.domCount[i]))[:n]
			s.term[i] = slices.Grow(s.term[i], n-len(s.term[i]))[:n]
		}
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
	s.isHost, s.skew = s.isHost[:0], s.skew[:0]
	for i := range cs {
		s.isHost = append(s.isHost, cs[i].TopologyKey == corev1.LabelHostname)
		s.skew = append(s.skew, float64(cs[i].MaxSkew-1))
	}
	s.host = append(s.host[:0], make([][]int32, len(cs))...)
	return s
}

// hasAllKeys reports whether node index i has every constraint's label.
func (s *preScoreState) hasAllKeys(i int) bool {
	for _, dom := range s.dom {
		if dom[i] < 0 {
			return false
		}
	}
	return true
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
	stamp, counts := s.domStamp[i], s.domCount[i]
	if !requireAll && !c.honorTaints && (!c.honorAffinity || aff.IsEmpty()) {
		// Every listed node is included (and present: the list holds
		// only nodes whose object exists), so no node is loaded: the
		// domain comes from the dense array.
		dom := s.dom[i]
		for _, idx := range pc.touched {
			if d := domainOf(dom[idx]); stamp[d] == s.cycle {
				counts[d] += int64(pc.counts[idx])
			}
		}
		return
	}
	for _, idx := range pc.touched {
		ni := all[idx]
		node := ni.Node()
		if node == nil || (requireAll && !s.hasAllKeys(idx)) {
			continue
		}
		d := domainOf(s.dom[i][idx])
		if stamp[d] != s.cycle || !c.matchNodeInclusion(pod, node, aff) {
			continue
		}
		counts[d] += int64(pc.counts[idx])
	}
}

// rawScore sums, over the constraints, count×weight + (maxSkew-1) for the
// domains of feasible node index n; fewer matching pods nearby gives a
// lower raw score. Ignored nodes score 0.
func (s *preScoreState) rawScore(n int) int64 {
	if s.ignored[n] {
		return 0
	}
	var score float64
	for i, dom := range s.dom {
		id := dom[n]
		if id < 0 {
			continue
		}
		if s.isHost[i] {
			score += float64(s.host[i][n])*s.weights[i] + s.skew[i]
		} else {
			score += s.term[i][id]
		}
	}
	return int64(math.Round(score))
}

// Score returns the raw score PreScore computed for the node.
func (pl *PodTopologySpread) Score(state *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, st := readPreScore(state)
	if st != nil {
		return 0, st
	}
	return s.rawOf(ni.Index)
}

// ScoreNodes implements framework.BatchScorer.
func (pl *PodTopologySpread) ScoreNodes(state *framework.CycleState, _ *corev1.Pod, nodes []*framework.NodeInfo, scores []framework.NodeScore) *framework.Status {
	s, st := readPreScore(state)
	if st != nil {
		return st
	}
	for j, ni := range nodes {
		if scores[j].Score, st = s.rawOf(ni.Index); st != nil {
			return st
		}
	}
	return nil
}

// ScoreRows implements framework.RowScorer: ScoreNodes reading the
// nodes' indexes from rowOf (the scheduler's rows are its cache's list,
// row i for list node i: see nodeIndexes) instead of from every
// NodeInfo. Only reads (chunks may be scored in parallel).
func (pl *PodTopologySpread) ScoreRows(state *framework.CycleState, _ *corev1.Pod, _ []*framework.NodeInfo, _ []framework.NodeRow, rowOf []int32, scores []framework.NodeScore) *framework.Status {
	s, st := readPreScore(state)
	if st != nil {
		return st
	}
	for j, r := range rowOf {
		if scores[j].Score, st = s.rawOf(int(r)); st != nil {
			return st
		}
	}
	return nil
}

func readPreScore(state *framework.CycleState) (*preScoreState, *framework.Status) {
	return framework.ReadAs[*preScoreState](state, preScoreKey)
}

// rawOf is feasible node index i's raw score. In the default
// constraints' shape (s.pair, no node ignored) most nodes hold no
// matching pod: their raw score is their domain's base (a node without a
// hostname label takes no hostname term, so it is scored in full).
func (s *preScoreState) rawOf(i int) (int64, *framework.Status) {
	if i < 0 || i >= len(s.stamp) || s.stamp[i] != s.cycle {
		return 0, framework.AsStatus(errNotPreScored)
	}
	if s.fast {
		if d := s.dom[1][i]; d >= 0 && s.host[0][i] == 0 && s.dom[0][i] >= 0 {
			return s.base[d], nil
		}
	}
	return s.rawScore(i), nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *PodTopologySpread) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps raw scores to 100·(max+min−s)/max (ignored nodes 0).
func (pl *PodTopologySpread) NormalizeScore(state *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	s, st := readPreScore(state)
	if st != nil {
		return st
	}
	if len(s.ignoredList) == 0 {
		normalizeAll(scores) // common case: no node index lookups
		return nil
	}
	normalizeIgnoring(scores, func(j int) bool { return s.ignored[scores[j].Node.Index] })
	return nil
}

// NormalizeRows implements framework.RowNormalizer: NormalizeScore for
// the scores ScoreRows set, whose node indexes are rowOf (see
// ScoreRows).
func (pl *PodTopologySpread) NormalizeRows(state *framework.CycleState, _ *corev1.Pod, rowOf []int32, scores []framework.NodeScore) *framework.Status {
	s, st := readPreScore(state)
	if st != nil {
		return st
	}
	if len(s.ignoredList) == 0 {
		normalizeAll(scores)
		return nil
	}
	normalizeIgnoring(scores, func(j int) bool { return s.ignored[rowOf[j]] })
	return nil
}

// AddNormalizedRows implements framework.NormalizedRowAdder: ScoreRows,
// NormalizeRows and the framework's weighting in two passes over the
// rows (the raw scores and their range, then the normalised, weighted
// sums) instead of four over the scores.
func (pl *PodTopologySpread) AddNormalizedRows(state *framework.CycleState, _ *corev1.Pod, nodes []*framework.NodeInfo, _ []framework.NodeRow, rowOf []int32, weight int64, totals []int64) *framework.Status {
	s, st := readPreScore(state)
	if st != nil {
		return st
	}
	s.raw = slices.Grow(s.raw[:0], len(rowOf))[:len(rowOf)]
	minScore, maxScore, st := s.rawScores(rowOf, s.raw)
	if st != nil {
		return st
	}
	ignoring := len(s.ignoredList) > 0
	// Most nodes share one of a few raw scores (their domain's base), so
	// the normalised score of each of the smallest raw scores is
	// remembered for this call instead of dividing per node.
	var memo [64]int64
	var known uint64
	for j, raw := range s.raw {
		var f int64
		switch off := uint64(raw - minScore); {
		case ignoring && s.ignored[rowOf[j]]:
			f = 0
		case maxScore == 0:
			f = framework.MaxNodeScore
		case off < 64 && known&(1<<off) != 0:
			f = memo[off]
		default:
			f = framework.MaxNodeScore * (maxScore + minScore - raw) / maxScore
			if off < 64 {
				memo[off], known = f, known|1<<off
			}
		}
		if f < framework.MinNodeScore || f > framework.MaxNodeScore {
			return framework.ScoreOutOfRange(Name, f, nodes[j])
		}
		totals[j] += f * weight
	}
	return nil
}

// rawScores sets raw[j] to the raw score of node index rowOf[j] (rawOf)
// and returns the smallest and largest among the nodes not ignored, as
// NormalizeScore finds them (MaxInt64 and 0 when every node is ignored;
// the largest is at least 0).
func (s *preScoreState) rawScores(rowOf []int32, raw []int64) (minScore, maxScore int64, st *framework.Status) {
	if s.fast {
		return s.rawScoresFast(rowOf, raw)
	}
	minScore = math.MaxInt64
	ignoring := len(s.ignoredList) > 0
	raw = raw[:len(rowOf)]
	for j, r := range rowOf {
		v, st := s.rawOf(int(r))
		if st != nil {
			return 0, 0, st
		}
		raw[j] = v
		if ignoring && s.ignored[r] {
			continue
		}
		minScore, maxScore = min(minScore, v), max(maxScore, v)
	}
	return minScore, maxScore, nil
}

// rawScoresFast is rawScores when s.fast (no node is ignored): rawOf's
// test for a node scored by its domain's base, in the loop rather than
// behind a call per node.
func (s *preScoreState) rawScoresFast(rowOf []int32, raw []int64) (minScore, maxScore int64, st *framework.Status) {
	minScore = math.MaxInt64
	stamp, cycle := s.stamp, s.cycle
	host, zone, hostCount, base := s.dom[0], s.dom[1], s.host[0], s.base
	raw = raw[:len(rowOf)]
	for j, r := range rowOf {
		i := int(r)
		if uint(i) >= uint(len(stamp)) || stamp[i] != cycle {
			return 0, 0, framework.AsStatus(errNotPreScored)
		}
		var v int64
		if d := zone[i]; d >= 0 && hostCount[i] == 0 && host[i] >= 0 {
			v = base[d]
		} else {
			v = s.rawScore(i)
		}
		raw[j] = v
		minScore, maxScore = min(minScore, v), max(maxScore, v)
	}
	return minScore, maxScore, nil
}

// normalizeIgnoring is NormalizeScore when some nodes are ignored:
// ignored(j) tells whether scores[j]'s node is.
func normalizeIgnoring(scores []framework.NodeScore, ignored func(j int) bool) {
	var minScore int64 = math.MaxInt64
	var maxScore int64
	for i := range scores {
		if ignored(i) {
			continue
		}
		minScore = min(minScore, scores[i].Score)
		maxScore = max(maxScore, scores[i].Score)
	}
	for i := range scores {
		switch {
		case ignored(i):
			scores[i].Score = 0
		case maxScore == 0:
			scores[i].Score = framework.MaxNodeScore
		default:
			scores[i].Score = framework.MaxNodeScore * (maxScore + minScore - scores[i].Score) / maxScore
		}
	}
}

// normalizeAll is NormalizeScore when no node is ignored.
func normalizeAll(scores []framework.NodeScore) {
	var minScore int64 = math.MaxInt64
	var maxScore int64
	for i := range scores {
		minScore = min(minScore, scores[i].Score)
		maxScore = max(maxScore, scores[i].Score)
	}
	if maxScore == 0 {
		for i := range scores {
			scores[i].Score = framework.MaxNodeScore
		}
		return
	}
	// Most nodes share one of a few raw scores (their domain's base), so
	// the quotient of each of the smallest raw scores is remembered for
	// this call instead of dividing per node.
	var memo [64]int64
	var known uint64
	for i := range scores {
		raw := scores[i].Score
		if off := uint64(raw - minScore); off < 64 {
			if known&(1<<off) == 0 {
				memo[off] = framework.MaxNodeScore * (maxScore + minScore - raw) / maxScore
				known |= 1 << off
			}
			scores[i].Score = memo[off]
			continue
		}
		scores[i].Score = framework.MaxNodeScore * (maxScore + minScore - raw) / maxScore
	}
}
