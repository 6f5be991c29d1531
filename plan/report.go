package plan

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/kubesim/kubesim/sim/cloud"
)

// Header describes the sweep a partial result belongs to.
type Header struct {
	Plan     string `json:"plan"`
	Digest   string `json:"digest"`
	Seeds    int    `json:"seeds"`
	Duration string `json:"duration"`
	Shard    int    `json:"shard"`
	Shards   int    `json:"shards"`
	// Total is the number of runs of the whole grid.
	Total      int               `json:"total"`
	Out        string            `json:"out"`
	Candidates []CandidateStatic `json:"candidates"`
	Faults     []string          `json:"faults"`
}

// CandidateStatic is what is known of a candidate before any run: its
// nodes and price and the LP bound.
type CandidateStatic struct {
	Name        string  `json:"name"`
	Setup       string  `json:"setup"`
	Nodes       int     `json:"nodes"`
	CostPerHour float64 `json:"costPerHour"`
	Bound       *Bound  `json:"bound,omitempty"`
	BoundError  string  `json:"boundError,omitempty"`
}

// Partial is one shard's result (the whole grid when unsharded).
type Partial struct {
	Header  Header      `json:"header"`
	Results []RunResult `json:"results"`
}

func (pl *Plan) header(seeds, shard, shards, total int, out string) Header {
	h := Header{Plan: pl.Name, Digest: pl.Digest, Seeds: seeds, Duration: pl.Duration.String(), Shard: shard, Shards: shards, Total: total, Out: out}
	demand, overhead := demandOf(pl.workloadObjects())
	for _, c := range pl.Candidates {
		cs := CandidateStatic{Name: c.Name}
		var parts []string
		for _, g := range c.NodeGroups {
			price, _ := cloud.Price(pl.Region, g.InstanceType, cloud.OnDemand) // both validated at load
			cs.Nodes += g.Count
			cs.CostPerHour += float64(g.Count) * price
			parts = append(parts, fmt.Sprintf("%d×%s", g.Count, g.InstanceType))
		}
		cs.Setup = strings.Join(parts, " + ")
		b, err := LowerBound(machinesOf(c, overhead, pl.Region), demand)
		if err != nil {
			cs.BoundError = err.Error()
		} else {
			cs.Bound = &b
		}
		h.Candidates = append(h.Candidates, cs)
	}
	for _, f := range pl.Faults {
		h.Faults = append(h.Faults, f.Name)
	}
	return h
}

// Report is the plan's verdict.
type Report struct {
	Plan     string `json:"plan"`
	Digest   string `json:"digest"`
	Seeds    int    `json:"seeds"`
	Duration string `json:"duration"`
	Runs     int    `json:"runs"`
	// Ranking names the candidates that met every SLO in every fault and
	// seed, cheapest first.
	Ranking    []string          `json:"ranking"`
	Candidates []CandidateReport `json:"candidates"`
	// results are every run, in grid order (charts); out is the
	// scenarios' directory in reproduce commands.
	results []RunResult
	out     string
}

// CandidateReport is one candidate's outcome.
type CandidateReport struct {
	CandidateStatic
	Passed     bool    `json:"passed"`
	Rank       int     `json:"rank,omitempty"`
	RunsPassed int     `json:"runsPassed"`
	Runs       int     `json:"runs"`
	CostVsLP   float64 `json:"costVsBound,omitempty"`
	// NodesVsLP is Nodes over the bound's node count.
	NodesVsLP   float64          `json:"nodesVsBound,omitempty"`
	CPU         float64          `json:"cpuUtilisation"`
	Memory      float64          `json:"memoryUtilisation"`
	Recovery    []RecoveryReport `json:"recovery"`
	Failures    []FailureReport  `json:"failures,omitempty"`
	FailedRuns  int              `json:"failedRuns"`
	ErrorsShown int              `json:"-"`
}

// RecoveryReport is the recovery-time distribution of one fault over its
// runs (seeds, and zones or nodes).
type RecoveryReport struct {
	Fault     string  `json:"fault"`
	Recovered int     `json:"recovered"`
	Runs      int     `json:"runs"`
	P50       float64 `json:"p50Seconds"`
	P95       float64 `json:"p95Seconds"`
	Max       float64 `json:"maxSeconds"`
}

// FailureReport is one SLO missed in one run, with the command that
// reproduces it.
type FailureReport struct {
	Fault     string `json:"fault"`
	Seed      uint64 `json:"seed"`
	SLO       string `json:"slo"`
	Message   string `json:"message"`
	Reproduce string `json:"reproduce"`
	// TraceHash is the failed run's trace hash: the reproduce command's
	// run (`--report json`) prints the same one.
	TraceHash string `json:"traceHash,omitempty"`
}

// maxFailuresListed bounds the failures the text report lists per candidate.
const maxFailuresListed = 4

// BuildReport merges partial results into the report. The partials must
// come from the same plan and sweep and together hold every run once.
func BuildReport(parts []*Partial) (*Report, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("plan: no results to report")
	}
	h := parts[0].Header
	all := make([]*RunResult, h.Total)
	for _, p := range parts {
		if err := sameSweep(h, p.Header); err != nil {
			return nil, err
		}
		for i := range p.Results {
			r := &p.Results[i]
			if r.Index < 0 || r.Index >= h.Total {
				return nil, fmt.Errorf("plan: run index %d out of range", r.Index)
			}
			if all[r.Index] != nil {
				return nil, fmt.Errorf("plan: run %d (shard %d/%d) is given twice", r.Index, p.Header.Shard, p.Header.Shards)
			}
			all[r.Index] = r
		}
	}
	for i, r := range all {
		if r == nil {
			return nil, fmt.Errorf("plan: run %d of %d is missing (shard %d of %d)", i, h.Total, i%h.Shards, h.Shards)
		}
	}
	rep := &Report{Plan: h.Plan, Digest: h.Digest, Seeds: h.Seeds, Duration: h.Duration, Runs: h.Total, out: h.Out}
	for _, r := range all {
		rep.results = append(rep.results, *r)
	}
	for _, cs := range h.Candidates {
		cr := CandidateReport{CandidateStatic: cs, Passed: true}
		if cs.Bound != nil && cs.Bound.CostPerHour > 0 {
			cr.CostVsLP = cs.CostPerHour / cs.Bound.CostPerHour
			cr.NodesVsLP = float64(cs.Nodes) / float64(max(cs.Bound.Nodes, 1))
		}
		rec := map[string][]float64{}
		runsOf := map[string]int{}
		var cpu, mem []float64
		for _, r := range rep.results {
			if r.Candidate != cs.Name {
				continue
			}
			cr.Runs++
			runsOf[r.Fault]++
			if r.Passed && r.Error == "" {
				cr.RunsPassed++
			} else {
				cr.Passed = false
				cr.FailedRuns++
			}
			if r.RecoverySeconds != nil {
				rec[r.Fault] = append(rec[r.Fault], *r.RecoverySeconds)
			}
			cpu, mem = append(cpu, r.CPU), append(mem, r.Memory)
			cmd := reproduce(h.Out, &r)
			if r.Error != "" {
				cr.Failures = append(cr.Failures, FailureReport{Fault: r.Variant, Seed: r.Seed, SLO: "(run)", Message: r.Error, Reproduce: cmd, TraceHash: r.TraceHash})
			}
			for _, f := range r.Failures {
				cr.Failures = append(cr.Failures, FailureReport{Fault: r.Variant, Seed: r.Seed, SLO: f.SLO, Message: f.Expectation + ": " + f.Message, Reproduce: cmd, TraceHash: r.TraceHash})
			}
		}
		if len(cpu) > 0 {
			cr.CPU, cr.Memory = stat.Mean(cpu, nil), stat.Mean(mem, nil)
		}
		for _, f := range h.Faults {
			xs := rec[f]
			if runsOf[f] == 0 {
				continue
			}
			rr := RecoveryReport{Fault: f, Recovered: len(xs), Runs: runsOf[f]}
			if len(xs) > 0 {
				slices.Sort(xs)
				rr.P50 = stat.Quantile(0.5, stat.Empirical, xs, nil)
				rr.P95 = stat.Quantile(0.95, stat.Empirical, xs, nil)
				rr.Max = xs[len(xs)-1]
			}
			cr.Recovery = append(cr.Recovery, rr)
		}
		rep.Candidates = append(rep.Candidates, cr)
	}
	var ok []*CandidateReport
	for i := range rep.Candidates {
		if rep.Candidates[i].Passed {
			ok = append(ok, &rep.Candidates[i])
		}
	}
	slices.SortStableFunc(ok, func(a, b *CandidateReport) int { return cmp.Compare(a.CostPerHour, b.CostPerHour) })
	for i, c := range ok {
		c.Rank = i + 1
		rep.Ranking = append(rep.Ranking, c.Name)
	}
	return rep, nil
}

func sameSweep(a, b Header) error {
	switch {
	case a.Digest != b.Digest || a.Plan != b.Plan:
		return fmt.Errorf("plan: results of plan %q (%s) cannot be merged with results of plan %q (%s)", b.Plan, short(b.Digest), a.Plan, short(a.Digest))
	case a.Seeds != b.Seeds || a.Shards != b.Shards || a.Total != b.Total || a.Out != b.Out:
		return fmt.Errorf("plan: shard %d/%d was run with other settings (seeds %d, %d shards, out %q) than shard %d/%d (seeds %d, %d shards, out %q)",
			b.Shard, b.Shards, b.Seeds, b.Shards, b.Out, a.Shard, a.Shards, a.Seeds, a.Shards, a.Out)
	}
	return nil
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// reproduce is the command that reruns one run alone.
func reproduce(out string, r *RunResult) string {
	dir := out
	if dir == "" {
		dir = "OUT"
	}
	return fmt.Sprintf("kubesim run %s/%s --seed %d", strings.TrimSuffix(dir, "/"), r.Scenario, r.Seed)
}

// WriteJSON prints the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteText prints the report for a person.
func (rep *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Plan %s: %d runs (%d seeds, %s of virtual time each)\n\n", rep.Plan, rep.Runs, rep.Seeds, rep.Duration)
	fmt.Fprintln(w, "CANDIDATES (cheapest passing first)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  RANK\tCANDIDATE\tNODES\t$/HOUR\tLP NODES\tLP $/HOUR\tCOST/LP\tCPU\tMEM\tRUNS OK")
	for _, c := range rep.order() {
		rank := "-"
		if c.Rank > 0 {
			rank = fmt.Sprint(c.Rank)
		}
		lpNodes, lpCost, ratio := "-", "-", "-"
		if c.Bound != nil {
			lpNodes, lpCost = fmt.Sprint(c.Bound.Nodes), fmt.Sprintf("%.3f", c.Bound.CostPerHour)
			if c.CostVsLP > 0 {
				ratio = fmt.Sprintf("%.2f×", c.CostVsLP)
			}
		}
		fmt.Fprintf(tw, "  %s\t%s (%s)\t%d\t%.3f\t%s\t%s\t%s\t%.0f%%\t%.0f%%\t%d/%d\n", rank, c.Name, c.Setup, c.Nodes, c.CostPerHour,
			lpNodes, lpCost, ratio, 100*c.CPU, 100*c.Memory, c.RunsPassed, c.Runs)
	}
	tw.Flush()
	if len(rep.Ranking) > 0 {
		best := rep.Candidates[slices.IndexFunc(rep.Candidates, func(c CandidateReport) bool { return c.Name == rep.Ranking[0] })]
		fmt.Fprintf(w, "\nBest: %s at $%.3f/hour", best.Name, best.CostPerHour)
		if best.Bound != nil && best.Bound.CostPerHour > 0 {
			fmt.Fprintf(w, ", %.0f%% above the LP bound of $%.3f/hour", 100*(best.CostVsLP-1), best.Bound.CostPerHour)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "\nNo candidate met every SLO in every fault and seed.")
	}

	fmt.Fprintln(w, "\nRECOVERY (time until every Deployment was ready again after the fault)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  CANDIDATE\tFAULT\tRECOVERED\tP50\tP95\tMAX")
	for _, c := range rep.Candidates {
		for _, r := range c.Recovery {
			if r.Fault == string(FaultNone) {
				continue
			}
			if r.Recovered == 0 {
				fmt.Fprintf(tw, "  %s\t%s\t0/%d\t-\t-\t-\n", c.Name, r.Fault, r.Runs)
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d/%d\t%s\t%s\t%s\n", c.Name, r.Fault, r.Recovered, r.Runs, secs(r.P50), secs(r.P95), secs(r.Max))
		}
	}
	tw.Flush()

	failed := false
	for _, c := range rep.Candidates {
		if len(c.Failures) == 0 {
			continue
		}
		if !failed {
			fmt.Fprintln(w, "\nFAILURES")
			failed = true
		}
		fmt.Fprintf(w, "  %s: %d of %d runs failed\n", c.Name, c.FailedRuns, c.Runs)
		for i, f := range c.Failures {
			if i == maxFailuresListed {
				fmt.Fprintf(w, "    … %d more (all in --report json)\n", len(c.Failures)-maxFailuresListed)
				break
			}
			fmt.Fprintf(w, "    %s seed %d: %s: %s\n      %s\n", f.Fault, f.Seed, f.SLO, oneLine(f.Message), f.Reproduce)
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

// order lists the passing candidates by rank, then the others in plan order.
func (rep *Report) order() []CandidateReport {
	var out, rest []CandidateReport
	for _, name := range rep.Ranking {
		out = append(out, rep.Candidates[slices.IndexFunc(rep.Candidates, func(c CandidateReport) bool { return c.Name == name })])
	}
	for _, c := range rep.Candidates {
		if !c.Passed {
			rest = append(rest, c)
		}
	}
	return append(out, rest...)
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond).String()
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
