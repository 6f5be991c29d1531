package plan

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/runner"
	"github.com/kubesim/kubesim/sim/store"
)

// Options tune a sweep.
type Options struct {
	// Seeds overrides the plan's number of seeds when > 0.
	Seeds int
	// Workers is the number of runs at once (default runtime.NumCPU()).
	Workers int
	// Shard and Shards: run only the grid cells i with i % Shards == Shard
	// (Shards 0 or 1: all of them).
	Shard, Shards int
	// Out is the directory the scenarios are written to (it appears in
	// the reproduce commands); "" when they are not written.
	Out string
	// Progress, if set, is called after each run with the runs done and
	// the runs of this shard (from one goroutine at a time).
	Progress func(done, total int, last *RunResult)
}

// cell is one (candidate, fault variant, seed) of the grid.
type cell struct {
	cand, variant int
	seed          uint64
}

// grid lists every run in the fixed order: candidates, then fault
// variants, then seeds.
func (pl *Plan) grid(seeds int) []cell {
	var out []cell
	for ci, c := range pl.Candidates {
		for vi := range pl.variants(c) {
			for s := 1; s <= seeds; s++ {
				out = append(out, cell{ci, vi, uint64(s)})
			}
		}
	}
	return out
}

// RunResult is the outcome of one run.
type RunResult struct {
	Index     int       `json:"index"`
	Candidate string    `json:"candidate"`
	Fault     string    `json:"fault"`
	Variant   string    `json:"variant"`
	Seed      uint64    `json:"seed"`
	Scenario  string    `json:"scenario"`
	Passed    bool      `json:"passed"`
	TraceHash string    `json:"traceHash,omitempty"`
	Failures  []Failure `json:"failures,omitempty"`
	// RecoverySeconds is the longest recovery of the allReady checks
	// (runs with a fault whose checks held).
	RecoverySeconds *float64 `json:"recoverySeconds,omitempty"`
	// CPU and Memory are requested / allocatable over the Ready nodes at
	// the end of the run.
	CPU    float64 `json:"cpuUtilisation"`
	Memory float64 `json:"memoryUtilisation"`
	// Pending is the most pods Pending in each virtual minute.
	Pending []int  `json:"pending"`
	Error   string `json:"error,omitempty"`
}

// Failure is one SLO a run missed.
type Failure struct {
	SLO         string `json:"slo"`
	Expectation string `json:"expectation"`
	Message     string `json:"message,omitempty"`
}

// Sweep runs the plan's grid (or this shard's share of it) and returns
// the partial result, in grid order whatever the number of workers.
func Sweep(pl *Plan, opts Options) (*Partial, error) {
	seeds := pl.Seeds
	if opts.Seeds > 0 {
		seeds = opts.Seeds
	}
	shards := max(opts.Shards, 1)
	if opts.Shard < 0 || opts.Shard >= shards {
		return nil, fmt.Errorf("plan: shard %d out of range 0..%d", opts.Shard, shards-1)
	}
	all := pl.grid(seeds)
	var mine []int
	for i := range all {
		if i%shards == opts.Shard {
			mine = append(mine, i)
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = max(1, min(workers, len(mine)))
	defer batchGC()()
	results := make([]RunResult, len(mine))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				c := all[mine[j]]
				results[j] = pl.runOne(mine[j], c, opts.Out)
				mu.Lock()
				done++
				if opts.Progress != nil {
					opts.Progress(done, len(mine), &results[j])
				}
				mu.Unlock()
			}
		}()
	}
	for j := range mine {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	return &Partial{Header: pl.header(seeds, opts.Shard, shards, len(all), opts.Out), Results: results}, nil
}

// batchGC lets the heap grow to three times the live data between
// collections (GOGC=200) while a batch of runs is under way, unless the
// user set GOGC: a run's heap is mostly its cluster, live until the run
// ends, and collecting it twice as often cost a plan sweep 7% more CPU
// (paired whole-process runs, 3 runs × 3 pairs). A memory-limit-based
// setting does not pay now: GOGC=400 under a 1 GiB limit saved 2.3% CPU
// (ratio 0.977, 0.929-1.015, 3 pairs of the 24-run sweep) for 2.2 times
// the peak RSS (994 MiB against 446 MiB). It returns the undo.
func batchGC() func() {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	old := debug.SetGCPercent(200)
	return func() { debug.SetGCPercent(old) }
}

// runOne runs one cell as an ordinary scenario run.
func (pl *Plan) runOne(index int, c cell, out string) RunResult {
	cand := pl.Candidates[c.cand]
	v := pl.variants(cand)[c.variant].forSeed(cand, c.seed)
	res := RunResult{Index: index, Candidate: cand.Name, Fault: v.fault.Name, Variant: v.Name, Seed: c.seed, Scenario: cand.file(v)}
	data, origins, err := pl.scenarioYAML(cand, v)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	s, err := scenarios.Parse(res.Scenario, data, nil)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	pending := &pendingSeries{}
	rep, err := runner.Run(s, runner.Options{Seed: &c.seed, Observe: pending.observe, NoPlayByPlay: true})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Passed, res.TraceHash = rep.Passed(), rep.TraceHash
	for i, e := range rep.Expectations {
		slo := pl.SLOs[origins[i].slo]
		if !e.Passed {
			res.Failures = append(res.Failures, Failure{SLO: slo.String(), Expectation: e.Description, Message: e.Message})
		}
		if slo.Kind == SLOAllReady && e.RecoverySeconds != nil {
			r := *e.RecoverySeconds
			if res.RecoverySeconds == nil || r > *res.RecoverySeconds {
				res.RecoverySeconds = &r
			}
		}
	}
	res.CPU, res.Memory = utilisation(rep)
	res.Pending = pending.finish(pl.Duration)
	return res
}

// pendingSeries follows the number of Pending pods through a run and
// keeps each virtual minute's maximum (a store watch: it adds nothing to
// the trace).
type pendingSeries struct {
	c       *cluster.Cluster
	pending map[string]bool
	count   int
	minutes []int
}

func (p *pendingSeries) observe(c *cluster.Cluster) {
	p.c, p.pending = c, map[string]bool{}
	c.Store.Watch("Pod", 0, func(ev store.Event) {
		pod := ev.Object.(*corev1.Pod)
		key := pod.Namespace + "/" + pod.Name
		now := ev.Type != store.Deleted && (pod.Status.Phase == corev1.PodPending || pod.Status.Phase == "") && pod.DeletionTimestamp == nil
		if now != p.pending[key] {
			if now {
				p.count++
				p.pending[key] = true
			} else {
				p.count--
				delete(p.pending, key)
			}
		}
		p.record(c.Engine.Elapsed())
	})
}

func (p *pendingSeries) record(t time.Duration) {
	m := int(t / time.Minute)
	for len(p.minutes) <= m {
		last := 0
		if len(p.minutes) > 0 {
			last = p.count
		}
		p.minutes = append(p.minutes, last)
	}
	p.minutes[m] = max(p.minutes[m], p.count)
}

func (p *pendingSeries) finish(d time.Duration) []int {
	n := int((d + time.Minute - 1) / time.Minute)
	for len(p.minutes) < n {
		p.minutes = append(p.minutes, p.count)
	}
	return slices.Clip(p.minutes[:n])
}

// utilisation is requested / allocatable cpu and memory over the nodes
// Ready at the end.
func utilisation(rep *runner.Report) (cpu, mem float64) {
	var rc, ac, rm, am float64
	for _, n := range rep.Nodes {
		if !n.Ready {
			continue
		}
		rc += qty(n.Requested["cpu"], true)
		ac += qty(n.Allocatable["cpu"], true)
		rm += qty(n.Requested["memory"], false)
		am += qty(n.Allocatable["memory"], false)
	}
	if ac > 0 {
		cpu = rc / ac
	}
	if am > 0 {
		mem = rm / am
	}
	return cpu, mem
}

func qty(s string, milli bool) float64 {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0
	}
	if milli {
		return float64(q.MilliValue())
	}
	return float64(q.Value())
}
