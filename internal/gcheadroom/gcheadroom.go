// Package gcheadroom bounds how much garbage the Go collector lets pile
// up over the live heap.
//
// The runtime's default pacing (GOGC=100) lets the heap grow to twice what
// the last collection found live before it collects again, so a process's
// peak resident memory is about twice its live heap. For a simulation of
// 150,000 pods that is 1.5 GiB live and 3 GiB resident, most of it garbage
// waiting for a collection. Past a live heap of Headroom, this package
// lowers the collector's percentage after every cycle so that the heap
// grows by at most Headroom before the next one: more collections on big
// runs (on the spare core, mostly), a peak near live + Headroom. Small runs
// keep the default pacing.
//
// The user's own setting wins: with GOGC or GOMEMLIMIT in the environment
// nothing is changed. So does the program's: once something else sets the
// percentage (a plan sweep's batches do) or a memory limit (bench
// --memlimit), the pacer stands down for the rest of the process.
package gcheadroom

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Default is the headroom kubesim runs with: 512 MiB, and 96 MiB more
// since the etcd members share one map (history.go), which took about
// that much off the live heap at 5,000 nodes / 150,000 pods: the peak
// stays where it was, with fewer collections.
const Default = 608 << 20

// minPercent keeps a huge heap from collecting back to back.
const minPercent = 10

var once sync.Once

// Start makes the collector keep at most headroom bytes of garbage over
// the live heap (but never collect more often than GOGC=100 would on a
// small heap), for the rest of the process. It does nothing when GOGC or
// GOMEMLIMIT is set, and only its first call counts.
func Start(headroom uint64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || headroom == 0 {
		return
	}
	once.Do(func() {
		p := &pacer{headroom: headroom, percent: 100, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
		p.arm()
	})
}

// Percent is the collector's percentage as it stands (what GOGC sets).
func Percent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// pacer re-derives the percentage once per collection: a finalizer on an
// object nothing references runs after the cycle that found it dead, and
// arms the next one.
type pacer struct {
	headroom uint64
	percent  int
	sample   []metrics.Sample
}

// sentinel holds a pointer so that it is never a tiny allocation, whose
// finalizer might not run.
type sentinel struct{ p *pacer }

func (p *pacer) arm() {
	runtime.SetFinalizer(&sentinel{p: p}, func(s *sentinel) { s.p.afterGC() })
}

func (p *pacer) afterGC() {
	if Percent() != p.percent || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return // someone else manages the collector now: not re-armed
	}
	metrics.Read(p.sample)
	if want := percentFor(p.sample[0].Value.Uint64(), p.headroom); want != p.percent {
		debug.SetGCPercent(want)
		p.percent = want
	}
	p.arm()
}

// percentFor is the GOGC percentage that lets a heap of live bytes grow by
// at most headroom: 100 while live is at most headroom, never under
// minPercent.
func percentFor(live, headroom uint64) int {
	if live <= headroom {
		return 100
	}
	return max(int(headroom*100/live), minPercent)
}
