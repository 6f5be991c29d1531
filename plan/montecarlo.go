package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"gonum.org/v1/gonum/stat"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

// MonteCarlo is one scenario run over many seeds.
type MonteCarlo struct {
	Scenario string `json:"scenario"`
	// Arg is the file or library name the scenario was given as (the
	// reproduce commands use it).
	Arg          string           `json:"arg"`
	Seeds        []uint64         `json:"seeds"`
	Passed       bool             `json:"passed"`
	SeedsPassed  int              `json:"seedsPassed"`
	Expectations []MCExpectation  `json:"expectations"`
	Failing      []MCFailure      `json:"failing"`
	Runs         []*runner.Report `json:"-"`
	Errors       []string         `json:"errors,omitempty"`
}

// MCExpectation is one expectation over every seed.
type MCExpectation struct {
	Index       int    `json:"index"`
	Line        int    `json:"line"`
	Description string `json:"description"`
	Passed      int    `json:"passed"`
	Runs        int    `json:"runs"`
	// Recovery is the distribution of a within/after check's recovery
	// time over the seeds where it held.
	Recovery *RecoveryReport `json:"recovery,omitempty"`
}

// MCFailure is a failing seed and how to rerun it.
type MCFailure struct {
	Seed      uint64   `json:"seed"`
	Failed    []string `json:"failed"`
	Reproduce string   `json:"reproduce"`
	// TraceHash is the seed's trace hash, as the reproduce command's run
	// prints it (`--report json`).
	TraceHash string `json:"traceHash,omitempty"`
}

// RunSeeds runs s once per seed in [from, to] on workers goroutines and
// gathers the verdicts in seed order.
func RunSeeds(s *scenarios.Scenario, arg string, from, to uint64, workers int, progress func(done, total int)) *MonteCarlo {
	var seeds []uint64
	for x := from; x <= to; x++ {
		seeds = append(seeds, x)
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	defer batchGC()()
	reps := make([]*runner.Report, len(seeds))
	errs := make([]error, len(seeds))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range max(1, min(workers, len(seeds))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				seed := seeds[i]
				reps[i], errs[i] = runner.Run(s, runner.Options{Seed: &seed, NoPlayByPlay: true})
				mu.Lock()
				done++
				if progress != nil {
					progress(done, len(seeds))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range seeds {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	mc := &MonteCarlo{Scenario: s.Name, Arg: arg, Seeds: seeds, Runs: reps, Passed: true}
	for _, e := range s.Expect {
		mc.Expectations = append(mc.Expectations, MCExpectation{Index: e.Index, Line: e.Line(), Description: e.Description()})
	}
	rec := make([][]float64, len(mc.Expectations))
	for i, rep := range reps {
		cmd := fmt.Sprintf("kubesim run %s --seed %d", arg, seeds[i])
		if errs[i] != nil {
			mc.Passed = false
			mc.Errors = append(mc.Errors, fmt.Sprintf("seed %d: %v", seeds[i], errs[i]))
			mc.Failing = append(mc.Failing, MCFailure{Seed: seeds[i], Failed: []string{"simulation failed: " + errs[i].Error()}, Reproduce: cmd})
			continue
		}
		var failed []string
		for j, e := range rep.Expectations {
			me := &mc.Expectations[j]
			me.Runs++
			if e.Passed {
				me.Passed++
				if e.RecoverySeconds != nil {
					rec[j] = append(rec[j], *e.RecoverySeconds)
				}
			} else {
				failed = append(failed, fmt.Sprintf("line %d: %s: %s", e.Line, e.Description, e.Message))
			}
		}
		if len(failed) == 0 {
			mc.SeedsPassed++
		} else {
			mc.Passed = false
			mc.Failing = append(mc.Failing, MCFailure{Seed: seeds[i], Failed: failed, Reproduce: cmd, TraceHash: rep.TraceHash})
		}
	}
	for j, xs := range rec {
		if mc.Expectations[j].Description == "" || len(xs) == 0 {
			continue
		}
		slices.Sort(xs)
		mc.Expectations[j].Recovery = &RecoveryReport{Fault: "after", Recovered: len(xs), Runs: mc.Expectations[j].Runs,
			P50: stat.Quantile(0.5, stat.Empirical, xs, nil), P95: stat.Quantile(0.95, stat.Empirical, xs, nil), Max: xs[len(xs)-1]}
	}
	return mc
}

// WriteText prints the Monte Carlo summary.
func (mc *MonteCarlo) WriteText(w io.Writer) error {
	verdict := "PASS"
	if !mc.Passed {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s  %s over seeds %d..%d: %d/%d seeds passed every expectation\n", verdict, mc.Scenario,
		mc.Seeds[0], mc.Seeds[len(mc.Seeds)-1], mc.SeedsPassed, len(mc.Seeds))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  LINE\tEXPECTATION\tPASSED\tRECOVERY P50\tP95\tMAX")
	for _, e := range mc.Expectations {
		r50, r95, rmax := "", "", ""
		if e.Recovery != nil {
			r50, r95, rmax = secs(e.Recovery.P50), secs(e.Recovery.P95), secs(e.Recovery.Max)
		}
		fmt.Fprintf(tw, "  %d\t%s\t%d/%d\t%s\t%s\t%s\n", e.Line, e.Description, e.Passed, e.Runs, r50, r95, rmax)
	}
	tw.Flush()
	const maxShown = 20
	for i, f := range mc.Failing {
		if i == maxShown {
			fmt.Fprintf(w, "  … %d more failing seeds (see --report json)\n", len(mc.Failing)-maxShown)
			break
		}
		fmt.Fprintf(w, "  seed %d failed: %s\n    %s\n", f.Seed, oneLine(strings.Join(f.Failed, "; ")), f.Reproduce)
	}
	_, err := fmt.Fprintln(w)
	return err
}

// WriteJSON prints the summary as JSON.
func (mc *MonteCarlo) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(mc)
}

// JUnitSuite is one testcase per expectation and seed.
func (mc *MonteCarlo) JUnitSuite() JUnitSuite {
	suite := JUnitSuite{Name: mc.Scenario}
	for i, rep := range mc.Runs {
		seed := mc.Seeds[i]
		if rep == nil {
			suite.add(JUnitCase{Name: fmt.Sprintf("seed %d", seed), ClassName: "scenario." + mc.Scenario, Time: "0",
				Error: &JUnitFailure{Message: "simulation failed", Type: "error", Text: fmt.Sprintf("reproduce: kubesim run %s --seed %d", mc.Arg, seed)}})
			continue
		}
		for _, e := range rep.Expectations {
			jc := JUnitCase{Name: fmt.Sprintf("line %d: %s [seed %d]", e.Line, e.Description, seed), ClassName: "scenario." + mc.Scenario, Time: "0"}
			if !e.Passed {
				jc.Failure = &JUnitFailure{Message: e.Message, Type: "expectation",
					Text: fmt.Sprintf("%s\nreproduce: kubesim run %s --seed %d", e.Message, mc.Arg, seed)}
			}
			suite.add(jc)
		}
	}
	return suite
}
