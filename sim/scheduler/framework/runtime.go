package framework

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/workqueue"
)

// PluginSpec enables a plugin with its score weight (ignored unless it is
// a ScorePlugin).
type PluginSpec struct {
	Plugin Plugin
	Weight int64
}

// Framework runs the enabled plugins at each extension point in the order
// they were given (upstream's default order is the caller's business).
type Framework struct {
	preFilter  []PreFilterPlugin
	filter     []FilterPlugin
	preScore   []PreScorePlugin
	score      []ScorePlugin
	batch      []BatchScorer        // batch[i] is score[i] as a BatchScorer, or nil
	rowScorer  []RowScorer          // rowScorer[i] is score[i] as a RowScorer, or nil
	rowAdder   []RowAdder           // rowAdder[i] is score[i] as a RowAdder, or nil
	rowKeyed   []RowKeyed           // rowKeyed[i] is a RowAdder score[i] as RowKeyed, or nil
	rowNorm    []RowNormalizer      // rowNorm[i] is a RowScorer score[i]'s extensions as a RowNormalizer, or nil
	normAdder  []NormalizedRowAdder // normAdder[i] is a score[i] with rowNorm[i] as a NormalizedRowAdder, or nil
	uniform    []UniformScorer      // uniform[i] is score[i] as a UniformScorer, or nil
	normalizes []bool               // score[i] has ScoreExtensions
	weights    []int64
	postFilter []PostFilterPlugin

	// filterOf and scoreOf map a pre-plugin to the index of the same
	// plugin's Filter/Score, so that Skip can switch it off (-1 = none).
	filterOf []int
	scoreOf  []int

	// scores[i] holds score plugin i's scores of the cycle's feasible
	// nodes; failed the plugins' failures per chunk (RunScorePlugins).
	scores [][]NodeScore
	failed []*Status
	// uniformScore[i] is plugin i's score on every node this cycle when
	// bit i of the cycle's uniform mask is set (RunScorePlugins).
	uniformScore []int64
	// memo remembers the RowKeyed plugins' scores per row across cycles
	// (RunScorePlugins).
	memo rowMemo

	// enqueue lists, per cluster event, the plugin names whose rejections
	// it may resolve (from EnqueueExtensions).
	enqueue map[ClusterEvent][]string
}

// NewFramework builds a framework from plugins in order. At most 64
// filter and 64 score plugins (the skip sets are bitmasks).
func NewFramework(specs ...PluginSpec) *Framework {
	f := &Framework{}
	for _, s := range specs {
		if p, ok := s.Plugin.(FilterPlugin); ok {
			f.filter = append(f.filter, p)
		}
		if p, ok := s.Plugin.(ScorePlugin); ok {
			w := s.Weight
			if w == 0 {
				w = 1
			}
			f.score = append(f.score, p)
			b, _ := p.(BatchScorer)
			f.batch = append(f.batch, b)
			r, _ := p.(RowScorer)
			f.rowScorer = append(f.rowScorer, r)
			a, _ := p.(RowAdder)
			if p.ScoreExtensions() != nil {
				a = nil // normalised scores need every node's raw score first
			}
			f.rowAdder = append(f.rowAdder, a)
			k, _ := p.(RowKeyed)
			if a == nil {
				k = nil
			}
			f.rowKeyed = append(f.rowKeyed, k)
			u, _ := p.(UniformScorer)
			f.uniform = append(f.uniform, u)
			f.normalizes = append(f.normalizes, p.ScoreExtensions() != nil)
			var rn RowNormalizer
			if r != nil {
				rn, _ = p.ScoreExtensions().(RowNormalizer)
			}
			f.rowNorm = append(f.rowNorm, rn)
			na, _ := p.(NormalizedRowAdder)
			if rn == nil {
				na = nil
			}
			f.normAdder = append(f.normAdder, na)
			f.weights = append(f.weights, w)
		}
		if p, ok := s.Plugin.(PostFilterPlugin); ok {
			f.postFilter = append(f.postFilter, p)
		}
		if p, ok := s.Plugin.(EnqueueExtensions); ok {
			if f.enqueue == nil {
				f.enqueue = map[ClusterEvent][]string{}
			}
			reg := p.EventsToRegister()
			for _, name := range slices.Sorted(maps.Keys(reg)) {
				for _, ev := range reg[name] {
					f.enqueue[ev] = append(f.enqueue[ev], name)
				}
			}
		}
	}
	for _, s := range specs {
		if p, ok := s.Plugin.(PreFilterPlugin); ok {
			f.preFilter = append(f.preFilter, p)
			f.filterOf = append(f.filterOf, indexByName(f.filter, p.Name()))
		}
		if p, ok := s.Plugin.(PreScorePlugin); ok {
			f.preScore = append(f.preScore, p)
			f.scoreOf = append(f.scoreOf, indexByName(f.score, p.Name()))
		}
	}
	if len(f.filter) > 64 || len(f.score) > 64 {
		panic("framework: more than 64 filter or score plugins")
	}
	return f
}

func indexByName[P Plugin](list []P, name string) int {
	for i, p := range list {
		if p.Name() == name {
			return i
		}
	}
	return -1
}

// PluginsFor lists the plugin names whose rejections ev may resolve.
func (f *Framework) PluginsFor(ev ClusterEvent) []string { return f.enqueue[ev] }

// HasFilterPlugins reports whether any Filter plugin is enabled.
func (f *Framework) HasFilterPlugins() bool { return len(f.filter) > 0 }

// HasScorePlugins reports whether any Score plugin is enabled.
func (f *Framework) HasScorePlugins() bool { return len(f.score) > 0 }

// RunPreFilterPlugins runs every PreFilter; the first rejection or error
// ends the cycle. Skips switch the plugin's Filter off for this cycle.
// The node sets of PreFilterResultPlugins are intersected into the state
// (CycleState.PreFilterNodes); an empty intersection rejects the pod as
// upstream does: "node(s) didn't satisfy plugin X" (or "plugin(s) [X Y]
// simultaneously").
func (f *Framework) RunPreFilterPlugins(state *CycleState, pod *corev1.Pod) *Status {
	for i, p := range f.preFilter {
		st := p.PreFilter(state, pod)
		switch {
		case st.IsSuccess():
			if r, ok := p.(PreFilterResultPlugin); ok {
				if st := state.mergePreFilterResult(p.Name(), r.PreFilterResult(state)); st != nil {
					return st
				}
			}
		case st.IsSkip():
			if j := f.filterOf[i]; j >= 0 {
				state.skipFilter |= 1 << j
			}
		default:
			if st.plugin == "" {
				st.plugin = p.Name()
			}
			return st
		}
	}
	return nil
}

// RunFilterPlugins runs the Filters on one node and returns the first
// failure, as upstream (later plugins are not asked).
func (f *Framework) RunFilterPlugins(state *CycleState, pod *corev1.Pod, node *NodeInfo) *Status {
	for i, p := range f.filter {
		if state.skipFilter&(1<<i) != 0 {
			continue
		}
		if st := p.Filter(state, pod, node); !st.IsSuccess() {
			if st.plugin == "" {
				st.plugin = p.Name()
			}
			return st
		}
	}
	return nil
}

// RunPreFilterExtensionAddPod tells every PreFilter plugin with
// PreFilterExtensions (and not skipped this cycle) that podToAdd now runs
// on node; the first failure is returned as an Error, as upstream.
func (f *Framework) RunPreFilterExtensionAddPod(state *CycleState, podToSchedule *corev1.Pod, podToAdd *PodInfo, node *NodeInfo) *Status {
	return f.runPreFilterExtension(state, "AddPod", func(e PreFilterExtensions) *Status {
		return e.AddPod(state, podToSchedule, podToAdd, node)
	})
}

// RunPreFilterExtensionRemovePod is RunPreFilterExtensionAddPod for a pod
// that no longer runs on node.
func (f *Framework) RunPreFilterExtensionRemovePod(state *CycleState, podToSchedule *corev1.Pod, podToRemove *PodInfo, node *NodeInfo) *Status {
	return f.runPreFilterExtension(state, "RemovePod", func(e PreFilterExtensions) *Status {
		return e.RemovePod(state, podToSchedule, podToRemove, node)
	})
}

func (f *Framework) runPreFilterExtension(state *CycleState, op string, call func(PreFilterExtensions) *Status) *Status {
	for i, p := range f.preFilter {
		e, ok := p.(PreFilterExtensions)
		if !ok {
			continue
		}
		if j := f.filterOf[i]; j >= 0 && state.skipFilter&(1<<j) != 0 {
			continue
		}
		if st := call(e); !st.IsSuccess() {
			return AsStatus(fmt.Errorf("running %s on PreFilter plugin %q: %w", op, p.Name(), st.AsError()))
		}
	}
	return nil
}

// RunPreScorePlugins runs every PreScore over the feasible nodes; Skip
// switches the plugin's Score off for this cycle. (A PreFilterResult was
// merged in PreFilter already: upstream does not look at it again here.)
func (f *Framework) RunPreScorePlugins(state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) *Status {
	for i, p := range f.preScore {
		st := p.PreScore(state, pod, nodes)
		switch {
		case st.IsSuccess():
		case st.IsSkip():
			if j := f.scoreOf[i]; j >= 0 {
				state.skipScore |= 1 << j
			}
		default:
			return st.WithPlugin(p.Name())
		}
	}
	return nil
}

// ScoreChunk is how many consecutive feasible nodes one worker scores at
// a time, and ScoreParallelMin the fewest feasible nodes worth scoring
// in parallel. Variables so that tests can force the parallel path on
// small clusters. Parallel scoring is off by default: on a 2-core machine
// a 1k-node/30k-pod bench cost 14% more CPU and 15% more wall time with
// it (the workers' hand-off outweighs ~75 µs of scoring per cycle, and
// the other core is the garbage collector's).
var (
	ScoreChunk       = 64
	ScoreParallelMin = 1 << 30
)

// RunScorePlugins scores every node with every (non-skipped) plugin,
// normalises, weights and sums the results into totals (len(nodes)),
// which it overwrites.
//
// Raw scores are computed as upstream's scheduler computes them: in
// parallel over the nodes (client-go's workqueue.ParallelizeUntil, as
// the Filter phase). Each worker takes fixed chunks of the node list and
// writes each plugin's scores into that chunk's own slots (a RowAdder
// adds its weighted scores straight into the chunk's totals); Score
// plugins only read the pod, the node and what their PreScore wrote. The
// normalising, weighting and adding then run in plugin and node order
// on one goroutine, so totals (and the first error reported, by plugin
// then node) are the same for any GOMAXPROCS.
//
// A plugin whose final score is the same on every node this cycle
// (UniformScorer) is not run per node: its weighted score is where every
// total starts. On one goroutine, the RowKeyed plugins' scores of a row
// unchanged since an earlier cycle with the same keys are remembered
// ones (rowMemo). On one goroutine with the rows recorded, a
// NormalizedRowAdder scores, normalises, weights and adds in its own
// turn, in its own passes over the rows.
func (f *Framework) RunScorePlugins(state *CycleState, pod *corev1.Pod, nodes []*NodeInfo, totals []int64) *Status {
	n := len(nodes)
	for len(f.scores) < len(f.score) {
		f.scores = append(f.scores, nil)
	}
	if len(f.uniformScore) < len(f.score) {
		f.uniformScore = make([]int64, len(f.score))
	}
	var base int64
	var uniform uint64 // plugins settled by UniformScore: not run per node
	for i, u := range f.uniform {
		if u == nil || n == 0 || state.skipScore&(1<<i) != 0 {
			continue
		}
		if s, ok := u.UniformScore(state, pod, nodes); ok {
			uniform |= 1 << i
			f.uniformScore[i] = s
			base += s * f.weights[i]
		}
	}
	for j := range totals {
		totals[j] = base
	}
	rows := state.rows != nil && len(state.rowOf) == n
	byRow := state.rowOf != nil && len(state.rowOf) == n // scoreChunk's test: RowScorers scored by row
	chunks := 1
	workers := min(runtime.GOMAXPROCS(0), (n+ScoreChunk-1)/ScoreChunk)
	parallel := n >= ScoreParallelMin && workers >= 2
	whole := byRow && !parallel // scoreChunk's test: one chunk of every node, by row
	for i := range f.score {
		if uniform&(1<<i) != 0 || rows && f.rowAdder[i] != nil || whole && f.normAdder[i] != nil {
			continue // no per-node scores
		}
		if cap(f.scores[i]) < n {
			f.scores[i] = make([]NodeScore, n)
		}
		f.scores[i] = f.scores[i][:n]
	}
	if parallel {
		chunks = (n + ScoreChunk - 1) / ScoreChunk
	}
	// failed[c*len(f.score)+i] is plugin i's first failure on chunk c.
	if need := chunks * len(f.score); cap(f.failed) < need {
		f.failed = make([]*Status, need)
	}
	failed := f.failed[:chunks*len(f.score)]
	skip := state.skipScore | uniform
	if !parallel && rows && state.table != nil { // the memo's scratch is one cycle's, not one chunk's
		if keyed := f.keyedPlugins(state, pod, skip); keyed != 0 && f.addRemembered(state, pod, nodes, keyed, totals) {
			skip |= keyed // added
		}
	}
	if parallel {
		// The simulation's goroutine waits in ParallelizeUntil until every
		// chunk is done, so every write happens before the reads below.
		workqueue.ParallelizeUntil(context.Background(), workers, chunks, func(c int) {
			lo := c * ScoreChunk
			f.scoreChunk(state, pod, nodes, totals, skip, failed, c, lo, min(lo+ScoreChunk, n))
		})
	} else {
		f.scoreChunk(state, pod, nodes, totals, skip, failed, 0, 0, n) // no closure: nothing allocated per cycle
	}
	defer clear(failed)
	for i, p := range f.score {
		if state.skipScore&(1<<i) != 0 {
			continue
		}
		for c := range chunks {
			if st := failed[c*len(f.score)+i]; st != nil {
				return st.WithPlugin(p.Name())
			}
		}
		if uniform&(1<<i) != 0 {
			if s := f.uniformScore[i]; s < MinNodeScore || s > MaxNodeScore {
				return AsStatus(fmt.Errorf("framework: plugin %q returned score %d out of range for node %q", p.Name(), s, nodes[0].Name()))
			}
			continue
		}
		if rows && f.rowAdder[i] != nil || whole && f.normAdder[i] != nil {
			continue // added in scoreChunk
		}
		scores := f.scores[i]
		if rn := f.rowNorm[i]; rn != nil && byRow {
			if st := rn.NormalizeRows(state, pod, state.rowOf, scores); !st.IsSuccess() {
				return st.WithPlugin(p.Name())
			}
		} else if ext := p.ScoreExtensions(); ext != nil {
			if st := ext.NormalizeScore(state, pod, scores); !st.IsSuccess() {
				return st.WithPlugin(p.Name())
			}
		}
		w := f.weights[i]
		for j := range scores {
			s := scores[j].Score
			if s < MinNodeScore || s > MaxNodeScore {
				return ScoreOutOfRange(p.Name(), s, nodes[j])
			}
			totals[j] += s * w
		}
	}
	return nil
}

// ScoreOutOfRange is the failure of a cycle in which plugin gave node a
// final (normalised) score outside [MinNodeScore, MaxNodeScore].
func ScoreOutOfRange(plugin string, score int64, node *NodeInfo) *Status {
	return AsStatus(fmt.Errorf("framework: plugin %q returned score %d out of range for node %q", plugin, score, node.Name()))
}

// scoreChunk scores nodes[lo:hi] (chunk c) with every plugin not in
// skip, recording a plugin's failure in failed[c*len(f.score)+i]; a
// RowAdder adds into totals[lo:hi], and a NormalizedRowAdder into totals
// when the chunk is every node.
func (f *Framework) scoreChunk(state *CycleState, pod *corev1.Pod, nodes []*NodeInfo, totals []int64, skip uint64, failed []*Status, c, lo, hi int) {
	var rowOf []int32
	if state.rowOf != nil && len(state.rowOf) == len(nodes) {
		rowOf = state.rowOf[lo:hi]
	}
	whole := rowOf != nil && lo == 0 && hi == len(nodes)
	for i := range f.score {
		if skip&(1<<i) != 0 {
			continue
		}
		var st *Status
		if a := f.rowAdder[i]; a != nil && rowOf != nil {
			st = a.AddRows(state, pod, nodes[lo:hi], state.rows, rowOf, f.weights[i], totals[lo:hi])
		} else if na := f.normAdder[i]; na != nil && whole {
			st = na.AddNormalizedRows(state, pod, nodes, state.rows, rowOf, f.weights[i], totals)
		} else {
			st = f.scoreNodes(i, state, pod, nodes[lo:hi], rowOf, f.scores[i][lo:hi])
		}
		if !st.IsSuccess() {
			failed[c*len(f.score)+i] = st
			return // later plugins are not asked, as upstream stops at the first failure
		}
	}
}

// scoreNodes fills scores with score plugin i's raw scores.
//
// A BatchScorer without ScoreExtensions gets its scores by position
// only: nothing reads its scores' Node (no NormalizeScore; the range
// check names nodes[j]), so it stays nil, and no pointer, with its write
// barrier while the collector runs (a third of the time at 5,000 nodes),
// is stored per node for it.
//
// A RowScorer given the nodes' rows (CycleState.SetScoreRows, rowOf[lo:hi]
// for this slice) reads them instead, and sets every score itself; its
// scores' Node is set only when its NormalizeScore needs it (it is no
// RowNormalizer).
func (f *Framework) scoreNodes(i int, state *CycleState, pod *corev1.Pod, nodes []*NodeInfo, rowOf []int32, scores []NodeScore) *Status {
	if r := f.rowScorer[i]; r != nil && rowOf != nil {
		if f.normalizes[i] && f.rowNorm[i] == nil {
			for j, n := range nodes {
				scores[j].Node = n
			}
		}
		return r.ScoreRows(state, pod, nodes, state.rows, rowOf, scores)
	}
	if b := f.batch[i]; b != nil {
		if !f.normalizes[i] {
			for j := range scores {
				scores[j].Score = 0
			}
		} else {
			for j, n := range nodes {
				scores[j] = NodeScore{Node: n}
			}
		}
		return b.ScoreNodes(state, pod, nodes, scores)
	}
	for j, n := range nodes {
		scores[j] = NodeScore{Node: n}
	}
	p := f.score[i]
	for j, n := range nodes {
		s, st := p.Score(state, pod, n)
		if !st.IsSuccess() {
			return st
		}
		scores[j].Score = s
	}
	return nil
}

// RunPostFilterPlugins runs PostFilters until one succeeds.
func (f *Framework) RunPostFilterPlugins(state *CycleState, pod *corev1.Pod, statuses []NodeStatus) (*PostFilterResult, *Status) {
	var last *Status
	for _, p := range f.postFilter {
		r, st := p.PostFilter(state, pod, statuses)
		if st.IsSuccess() {
			return r, nil
		}
		last = st.WithPlugin(p.Name())
		if st.Code() == Error {
			return nil, last
		}
	}
	return nil, last
}

// DefaultNormalizeScore scales scores to [0, maxPriority] by the largest
// one; reverse turns high raw scores into low final ones. All-zero scores
// become 0 (or maxPriority when reversed).
func DefaultNormalizeScore(maxPriority int64, reverse bool, scores []NodeScore) {
	var maxCount int64
	for i := range scores {
		if scores[i].Score > maxCount {
			maxCount = scores[i].Score
		}
	}
	if maxCount == 0 {
		if reverse {
			for i := range scores {
				scores[i].Score = maxPriority
			}
		}
		return
	}
	for i := range scores {
		s := maxPriority * scores[i].Score / maxCount
		if reverse {
			s = maxPriority - s
		}
		scores[i].Score = s
	}
}

// mergePreFilterResult intersects names (nil = all nodes) into the
// cycle's node set and returns the rejection when nothing is left.
func (c *CycleState) mergePreFilterResult(plugin string, names sets.Set[string]) *Status {
	if names == nil {
		return nil
	}
	c.narrowedBy = append(c.narrowedBy, plugin)
	slices.Sort(c.narrowedBy)
	if c.nodes == nil {
		c.nodes = names.Clone()
	} else {
		c.nodes = c.nodes.Intersection(names)
	}
	if len(c.nodes) > 0 {
		return nil
	}
	msg := fmt.Sprintf("node(s) didn't satisfy plugin(s) %v simultaneously", c.narrowedBy)
	if len(c.narrowedBy) == 1 {
		msg = fmt.Sprintf("node(s) didn't satisfy plugin %v", c.narrowedBy[0])
	}
	return NewStatus(UnschedulableAndUnresolvable, msg).WithPlugin(plugin)
}
