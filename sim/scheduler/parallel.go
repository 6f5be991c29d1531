package scheduler

import (
	"runtime"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Parallel filtering, as upstream's scheduler filters nodes with 16
// workers. This is the one place in sim/ outside sim/etcd that starts
// goroutines, and it cannot change a result: Filter plugins only read the
// pod, the node and the cycle state their PreFilter wrote (none of them
// writes anything during Filter), each node's status lands in its own
// slot, and the slots are read back in candidate order by the same loop
// the sequential scheduler runs. Which goroutine evaluated which node,
// and how many there were (GOMAXPROCS), is never observed; nodes
// evaluated beyond the point where enough feasible ones were found are
// discarded, exactly as upstream discards them.

// filterChunk is how many consecutive candidates one worker takes at a
// time; filterParallelMin the fewest candidates worth fanning out (a
// goroutine hand-off costs about as much as filtering a few nodes).
// Variables so that tests can force the parallel path on small clusters.
var (
	filterChunk       = 32
	filterParallelMin = 256
)

// filterRound evaluates the Filter plugins on the m candidates that
// follow the first `done` ones in rotation order from start, and returns
// their statuses in that order (nil = feasible).
func (s *Scheduler) filterRound(pod *corev1.Pod, nodes []*framework.NodeInfo, start, done, m int) []*framework.Status {
	if cap(s.filterOut) < m {
		s.filterOut = make([]*framework.Status, m)
	}
	out := s.filterOut[:m]
	n := len(nodes)
	eval := func(lo, hi int) {
		at := (start + done + lo) % n
		for k := lo; k < hi; k++ {
			out[k] = s.fwk.RunFilterPlugins(s.state, pod, nodes[at])
			if at++; at == n {
				at = 0
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), (m+filterChunk-1)/filterChunk)
	if m < filterParallelMin || workers < 2 {
		eval(0, m)
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	work := func() {
		defer wg.Done()
		for {
			lo := int(next.Add(int64(filterChunk))) - filterChunk
			if lo >= m {
				return
			}
			eval(lo, min(lo+filterChunk, m))
		}
	}
	wg.Add(workers)
	for w := 1; w < workers; w++ {
		// Deliberate goroutines in sim/ (see the file comment): each
		// writes only its own slots of out, and wg.Wait orders every write
		// before the read-back, so no result depends on scheduling.
		go work() // determinism holds: disjoint slots of out, joined by wg.Wait before any read (see above)
	}
	work() // the simulation's goroutine takes chunks too
	wg.Wait()
	return out
}
