package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kubesim/kubesim/plan"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

func init() { extraCommands = append(extraCommands, newPlanCmd) }

type planFlags struct {
	seeds   int
	workers int
	report  string
	out     string
	junit   string
	shard   string
}

func newPlanCmd() *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan FILE|NAME",
		Short: "Run a capacity plan: every candidate × fault × seed, ranked by cost among those meeting the SLOs",
		Long: `kubesim plan runs every (candidate × fault × seed) of a plan file as an ordinary
deterministic scenario run, on worker goroutines, and reports the candidates
that met every SLO in every run, cheapest first, against an LP lower bound of
the cost of packing the workload; the failures of the others with the command
that reproduces each; recovery times per fault; utilisation.

--shard I/N (I from 0) runs only every N-th run starting at I and writes a
partial result to --out; "kubesim plan merge DIR..." turns the partial results
into the report a single machine would have printed. In a Kubernetes Indexed
Job, JOB_COMPLETION_INDEX and JOB_COMPLETIONS set the shard.`,
		Example: `  kubesim plan web-capacity
  kubesim plan my-plan.yaml --seeds 20 --workers 2 --out results/
  kubesim plan my-plan.yaml --report html --out results/ > report.html
  kubesim plan my-plan.yaml --shard 0/3 --out shared/ && kubesim plan merge shared/`,
		Args: takesArgs(1, 1, "plan takes one plan file or library plan name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("seeds") && f.seeds == 0 {
				return badInput(fmt.Errorf("--seeds 0 runs nothing: give a positive number of seeds (or leave --seeds out for the plan's)"))
			}
			return runPlan(cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], f)
		},
	}
	cmd.Flags().IntVar(&f.seeds, "seeds", 0, "override the plan's number of seeds (runs use seeds 1..N)")
	cmd.Flags().IntVar(&f.workers, "workers", 0, "runs at once (default: the number of cores); each run is single-threaded")
	cmd.Flags().StringVar(&f.report, "report", "text", "report format: text, json or html")
	cmd.Flags().StringVar(&f.out, "out", "", "directory for the failing runs' scenario files (and a shard's partial result)")
	cmd.Flags().StringVar(&f.junit, "junit", "", "write JUnit XML (a testcase per run) to this file")
	cmd.Flags().StringVar(&f.shard, "shard", "", "run only shard I of N (I/N, I from 0) and write a partial result to --out")

	var m planFlags
	merge := &cobra.Command{
		Use:   "merge DIR...",
		Short: "Merge the partial results of a sharded plan into its report",
		Args:  takesArgs(1, -1, "merge takes one or more directories of partial results"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkReport(m.report); err != nil {
				return err
			}
			parts, err := plan.ReadPartials(args)
			if err != nil {
				return badInput(err)
			}
			rep, err := plan.BuildReport(parts)
			if err != nil {
				return badInput(err)
			}
			return emitPlanReport(cmd.OutOrStdout(), rep, m)
		},
	}
	merge.Flags().StringVar(&m.report, "report", "text", "report format: text, json or html")
	merge.Flags().StringVar(&m.junit, "junit", "", "write JUnit XML (a testcase per run) to this file")
	cmd.AddCommand(merge)
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "List the library plans", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, n := range plan.LibraryNames() {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return nil
		},
	})
	return cmd
}

func checkReport(r string) error {
	if r != "text" && r != "json" && r != "html" {
		return badInput(fmt.Errorf("--report must be text, json or html, not %q", r))
	}
	return nil
}

// parseShard reads --shard I/N, else JOB_COMPLETION_INDEX with
// JOB_COMPLETIONS (a Kubernetes Indexed Job); 0/1 when neither is set.
func parseShard(flag string) (int, int, error) {
	src := "--shard"
	if flag == "" {
		idx, ok := os.LookupEnv("JOB_COMPLETION_INDEX")
		if !ok {
			return 0, 1, nil
		}
		n := os.Getenv("JOB_COMPLETIONS")
		if n == "" {
			return 0, 0, fmt.Errorf("JOB_COMPLETION_INDEX is set (%s) but JOB_COMPLETIONS is not: set it to the Job's spec.completions", idx)
		}
		flag, src = idx+"/"+n, "JOB_COMPLETION_INDEX/JOB_COMPLETIONS"
	}
	a, b, ok := strings.Cut(flag, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 {
		return 0, 0, fmt.Errorf("%s must be I/N with N ≥ 1 (e.g. 0/3), not %q", src, flag)
	}
	if i < 0 || i >= n {
		return 0, 0, fmt.Errorf("%s %s: shard index %d is out of range 0..%d", src, flag, i, n-1)
	}
	return i, n, nil
}

func runPlan(out, errOut io.Writer, arg string, f planFlags) error {
	if err := checkReport(f.report); err != nil {
		return err
	}
	if f.seeds < 0 {
		return badInput(fmt.Errorf("--seeds must be positive, not %d", f.seeds))
	}
	shard, shards, err := parseShard(f.shard)
	if err != nil {
		return badInput(err)
	}
	sharded := shards > 1 || f.shard != ""
	if sharded && f.out == "" {
		return badInput(fmt.Errorf("a shard writes its partial result to --out DIR: give --out"))
	}
	pl, err := plan.Resolve(arg)
	if err != nil {
		return badInput(err)
	}
	opts := plan.Options{Seeds: f.seeds, Workers: f.workers, Shard: shard, Shards: shards, Out: f.out}
	opts.Progress = planProgress(errOut)
	part, err := plan.Sweep(pl, opts)
	if err != nil {
		return badInput(err)
	}
	if f.out != "" {
		if err := pl.WriteScenarios(f.out, part); err != nil {
			return err
		}
	}
	if sharded {
		path, err := plan.WritePartial(f.out, part)
		if err != nil {
			return err
		}
		fmt.Fprintf(errOut, "shard %d/%d: %d runs written to %s; merge with: kubesim plan merge %s\n", shard, shards, len(part.Results), path, f.out)
		return nil
	}
	rep, err := plan.BuildReport([]*plan.Partial{part})
	if err != nil {
		return err
	}
	return emitPlanReport(out, rep, f)
}

func emitPlanReport(out io.Writer, rep *plan.Report, f planFlags) error {
	var buf bytes.Buffer
	var err error
	switch f.report {
	case "json":
		err = rep.WriteJSON(&buf)
	case "html":
		err = rep.WriteHTML(&buf)
	default:
		err = rep.WriteText(&buf)
	}
	if err != nil {
		return err
	}
	if f.junit != "" {
		if err := writeJUnit(f.junit, rep.JUnit()); err != nil {
			return err
		}
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		return err
	}
	if len(rep.Ranking) == 0 {
		return &exitError{1, nil}
	}
	return nil
}

func writeJUnit(path string, doc *plan.JUnitSuites) error {
	var buf bytes.Buffer
	if err := doc.Write(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// planProgress shows a progress bar (runs done, ETA) on a terminal and
// plain lines otherwise.
func planProgress(w io.Writer) func(done, total int, last *plan.RunResult) {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		var bar *progressbar.ProgressBar
		return func(done, total int, _ *plan.RunResult) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("runs"),
					progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionClearOnFinish())
			}
			_ = bar.Set(done)
			if done == total {
				_ = bar.Finish()
			}
		}
	}
	return func(done, total int, r *plan.RunResult) {
		verdict := "ok"
		if r != nil && (!r.Passed || r.Error != "") {
			verdict = "FAILED"
		}
		if r != nil {
			fmt.Fprintf(w, "run %d/%d: %s %s seed %d %s\n", done, total, r.Candidate, r.Variant, r.Seed, verdict)
		}
	}
}

// runMany runs several scenarios (each reported), or each over a range of
// seeds (Monte Carlo), and writes JUnit XML if asked.
func runMany(ctx context.Context, out, errOut io.Writer, args []string, f runFlags) error {
	if f.report != "text" && f.report != "json" {
		return badInput(fmt.Errorf("--report must be text or json, not %q", f.report))
	}
	var from, to uint64
	if f.seeds != "" {
		if f.seed != "" {
			return badInput(fmt.Errorf("give --seed or --seeds, not both"))
		}
		a, b, ok := strings.Cut(f.seeds, "..")
		x, err1 := strconv.ParseUint(a, 10, 64)
		y, err2 := strconv.ParseUint(b, 10, 64)
		if !ok || err1 != nil || err2 != nil || y < x {
			return badInput(fmt.Errorf("--seeds must be A..B with A ≤ B (e.g. 1..200), not %q", f.seeds))
		}
		if y-x >= 1_000_000 {
			return badInput(fmt.Errorf("--seeds %s is more than a million runs", f.seeds))
		}
		from, to = x, y
	}
	seed, err := parseSeed(f.seed)
	if err != nil {
		return err
	}
	var all []*scenarios.Scenario
	for _, a := range args {
		s, err := scenarios.Resolve(a)
		if err != nil {
			return badInput(err)
		}
		all = append(all, s)
	}
	if f.trace != "" && (len(all) > 1 || f.seeds != "") {
		return badInput(fmt.Errorf("--trace writes the trace of one run: give one scenario and no --seeds"))
	}
	opts := runner.Options{Seed: seed, MaxEventsPerInstant: f.maxEvents}
	closeTrace, err := openTrace(f.trace, &opts)
	if err != nil {
		return err
	}
	defer closeTrace()
	doc := &plan.JUnitSuites{Name: "kubesim run"}
	passed := true
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	for i, s := range all {
		if f.seeds != "" {
			var progress func(done, total int)
			if fo, ok := errOut.(*os.File); ok && term.IsTerminal(int(fo.Fd())) {
				bar := progressbar.NewOptions(int(to-from+1), progressbar.OptionSetWriter(errOut), progressbar.OptionSetDescription(s.Name),
					progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
				progress = func(done, _ int) { _ = bar.Set(done) }
			}
			mc := plan.RunSeeds(s, args[i], from, to, f.workers, progress)
			if f.report == "json" {
				err = mc.WriteJSON(out)
			} else {
				err = mc.WriteText(out)
			}
			if err != nil {
				return err
			}
			passed = passed && mc.Passed
			doc.Suites = append(doc.Suites, mc.JUnitSuite())
			continue
		}
		rep, err := runSimulation(ctx, s, opts)
		if err != nil {
			return err
		}
		switch {
		case f.report == "json":
			err = enc.Encode(rep)
		case f.summary:
			err = rep.WriteSummary(out)
		default:
			err = rep.WriteText(out)
		}
		if err != nil {
			return err
		}
		passed = passed && rep.Passed()
		mc := &plan.MonteCarlo{Scenario: s.Name, Arg: args[i], Seeds: []uint64{rep.Seed}, Runs: []*runner.Report{rep}}
		doc.Suites = append(doc.Suites, mc.JUnitSuite())
	}
	if f.junit != "" {
		if err := writeJUnit(f.junit, doc); err != nil {
			return err
		}
	}
	if !passed {
		return &exitError{1, nil}
	}
	return nil
}
