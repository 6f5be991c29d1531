package scheduler

import (
	"context"
	"runtime"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/workqueue"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Parallel filtering, as upstream's scheduler filters nodes with 16
// workers through client-go's workqueue.ParallelizeUntil (its
// parallelize package), which is what runs the workers here too. It
// cannot change a result: Filter plugins only read the
// pod, the node and the cycle state their PreFilter wrote (none of them
// writes anything during Filter), each node's status lands in its own
// slot, and the slots are read back in candidate order by the same loop
// the sequential scheduler runs. Which goroutine evaluated which node,
// and how many there were (GOMAXPROCS), is never observed; nodes
// evaluated beyond the point where enough feasible ones were found are
// discarded, exactly as upstream discards them.

// filterChunk is how many consecutive candidates one worker takes at a
// time; filterParallelMin the fewest candidates worth fanning out.
// Variables so that tests can force the parallel path on small clusters.
//
// Parallel filtering is off by default, as parallel scoring is
// (framework.ScoreParallelMin): on this 2-core machine a 1k-node/30k-pod
// bench (2 min virtual) cost 4% more CPU with it (paired runs, CPU ratio
// sequential/parallel 0.96, range 0.88-1.03, n=3). A round is the ~500
// candidates the adaptive sampling looks for, ~50 ns of filtering each,
// so ~25 µs of work against the workers' start, hand-off and wake-ups
// (6 allocations a round), and the other core is the garbage collector's.
// At 5,000 nodes it is no better: with filtering and scoring both in
// parallel a cycle cost 35-40 µs of CPU against 12-22 µs sequentially
// (BenchmarkSchedulePod5000Nodes/parallel=true, -cpu 2, n=4, 8
// allocations a cycle), for ~15 µs of work split over two cores.
var (
	filterChunk       = 32
	filterParallelMin = 1 << 30
)

// filterRound evaluates the Filter plugins on the m candidates that
// follow the first `done` ones in rotation order from start, and returns
// their statuses in that order (nil = feasible).
func (s *Scheduler) filterRound(pod *corev1.Pod, nodes []*framework.NodeInfo, start, done, m int) []*framework.Status {
	if cap(s.filterOut) < m {
		s.filterOut = make([]*framework.Status, m)
	}
	out := s.filterOut[:m]
	if m < filterParallelMin { // GOMAXPROCS takes the scheduler's lock: not asked per round
		s.filterRange(pod, nodes, start+done, out) // no closure: nothing allocated per cycle
		return out
	}
	workers := min(runtime.GOMAXPROCS(0), (m+filterChunk-1)/filterChunk)
	if workers < 2 {
		s.filterRange(pod, nodes, start+done, out)
		return out
	}
	// Chunk c covers candidates [c*filterChunk, (c+1)*filterChunk). The
	// simulation's goroutine waits in ParallelizeUntil until every chunk is
	// done, so every write to out happens before the read-back.
	chunks := (m + filterChunk - 1) / filterChunk
	workqueue.ParallelizeUntil(context.Background(), workers, chunks, func(c int) {
		lo := c * filterChunk
		s.filterRange(pod, nodes, start+done+lo, out[lo:min(lo+filterChunk, m)])
	})
	return out
}

// filterRange fills out with the Filter statuses of len(out) candidates
// from rotation position first on.
// A node the cycle's QuickRule passes is feasible without asking the
// plugins (see framework.QuickFilter).
//
// With the cycle's node rows (s.rows, row i for nodes[i]) the rule reads
// each candidate's row, a cache line of consecutive ones, and a NodeInfo
// only for the few candidates it does not pass.
func (s *Scheduler) filterRange(pod *corev1.Pod, nodes []*framework.NodeInfo, first int, out []*framework.Status) {
	n := len(nodes)
	at := first % n
	quick, rule := s.quick, &s.rule
	if rows := s.rows; quick && rows != nil {
		rows = rows[:n]
		for k := range out {
			if rule.PassesRow(&rows[at]) {
				if out[k] != nil {
					out[k] = nil
				}
			} else {
				out[k] = s.fwk.RunFilterPlugins(s.state, pod, nodes[at])
			}
			if at++; at == n {
				at = 0
			}
		}
		return
	}
	for k := range out {
		if ni := nodes[at]; quick && rule.Passes(ni) {
			if out[k] != nil { // mostly nil already (cleared each cycle): no store, no write barrier
				out[k] = nil
			}
		} else {
			out[k] = s.fwk.RunFilterPlugins(s.state, pod, ni)
		}
		if at++; at == n {
			at = 0
		}
	}
}
