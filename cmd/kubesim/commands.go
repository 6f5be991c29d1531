package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kubesim/kubesim/internal/hugeheap"
	"github.com/kubesim/kubesim/internal/offload"
	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/runner"
)

// extraCommands are added by the files of the interactive faces (tui.go,
// web.go, serve.go) from their init functions.
var extraCommands []func() *cobra.Command

// interactiveDemo, if set (by the TUI), runs the demo when stdout is a
// terminal; it returns false to fall back to the play-by-play.
var interactiveDemo func(cmd *cobra.Command) (bool, error)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "kubesim",
		Short: "A deterministic simulator of a whole Kubernetes (EKS) cluster in virtual time",
		Long: `kubesim simulates a whole EKS-flavoured Kubernetes cluster in memory and in
virtual time: API server, scheduler, controllers, nodes and kubelets, and
failures. Run with no arguments for the built-in demo.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if interactiveDemo != nil {
				if ran, err := interactiveDemo(cmd); ran || err != nil {
					return err
				}
			}
			return runScenario(cmd.Context(), cmd.OutOrStdout(), "demo", runFlags{report: "text"})
		},
	}
	root.AddCommand(newRunCmd(), newScenariosCmd(), newBenchCmd())
	for _, c := range extraCommands {
		root.AddCommand(c())
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	return root
}

// atMostOneScenario is the Args check of the interactive faces: an
// optional scenario file or library name.
func atMostOneScenario(verb string) cobra.PositionalArgs {
	return takesArgs(0, 1, verb+" takes at most one scenario file or library name")
}

// takesArgs accepts from lo to hi arguments (hi < 0: no upper bound); another
// count is bad input, saying what the command takes and what it got.
func takesArgs(lo, hi int, takes string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if n := len(args); n < lo || hi >= 0 && n > hi {
			noun := "arguments"
			if n == 1 {
				noun = "argument"
			}
			return badInput(fmt.Errorf("%s (got %d %s)", takes, n, noun))
		}
		return nil
	}
}

// scenarioOrDemo is the scenario an interactive face opens.
func scenarioOrDemo(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return "demo"
}

type runFlags struct {
	seed      string
	report    string
	trace     string
	maxEvents uint64
	// Several scenarios, Monte Carlo and JUnit (plan.go).
	seeds   string
	junit   string
	summary bool
	workers int
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run FILE|NAME...",
		Short: "Run scenario files (or library scenarios by name) and report each",
		Example: `  kubesim run node-failure
  kubesim run my-scenario.yaml --seed 42 --report json
  kubesim run demo --trace trace.jsonl
  kubesim run node-failure zone-outage --summary
  kubesim run my-chaos.yaml --seeds 1..200 --junit chaos.xml`,
		Args: takesArgs(1, -1, "run takes one or more scenario files or library names"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && f.seeds == "" && f.junit == "" && !f.summary {
				return runScenario(cmd.Context(), cmd.OutOrStdout(), args[0], f)
			}
			return runMany(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args, f)
		},
	}
	cmd.Flags().StringVar(&f.seeds, "seeds", "", "Monte Carlo: run each scenario once per seed in A..B (e.g. 1..200) and summarise")
	cmd.Flags().StringVar(&f.junit, "junit", "", "write JUnit XML (one testcase per expectation and seed) to this file")
	cmd.Flags().BoolVar(&f.summary, "summary", false, "print the verdicts and the figures, not the play-by-play")
	cmd.Flags().IntVar(&f.workers, "workers", 0, "Monte Carlo: runs at once (default: the number of cores)")
	cmd.Flags().StringVar(&f.seed, "seed", "", seedUsage)
	cmd.Flags().StringVar(&f.report, "report", "text", "report format: text or json")
	cmd.Flags().StringVar(&f.trace, "trace", "", "write the canonical trace (JSON lines) to this file")
	cmd.Flags().Uint64Var(&f.maxEvents, "max-events-per-instant", sim.DefaultMaxEventsPerInstant,
		"livelock guard: stop the run (exit 3) when this many events run at one virtual instant")
	return cmd
}

// parseSeed reads a --seed flag: nil when not given.
func parseSeed(s string) (*uint64, error) {
	if s == "" {
		return nil, nil
	}
	seed, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, badInput(fmt.Errorf("--seed must be a non-negative integer, not %q", s))
	}
	return &seed, nil
}

// seedUsage is the help of every command's --seed flag.
const seedUsage = "override the scenario's seed (the same scenario and seed give the same trace)"

// speedUsage is the help of the interactive faces' --speed flag.
var speedUsage = fmt.Sprintf(`initial speed in virtual seconds per wall second (0.25 … 1000), or "max"; every face starts at %g`, live.DefaultSpeed)

// openTrace points opts at the --trace file, made afresh (path "": no
// trace); the caller defers the close it returns.
func openTrace(path string, opts *runner.Options) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	tf, err := os.Create(path)
	if err != nil {
		return nil, badInput(err)
	}
	opts.Trace = tf
	return func() { _ = tf.Close() }, nil
}

func runScenario(ctx context.Context, out io.Writer, arg string, f runFlags) error {
	if f.report != "text" && f.report != "json" {
		return badInput(fmt.Errorf("--report must be text or json, not %q", f.report))
	}
	// The JSON report has no play-by-play: do not collect one.
	opts := runner.Options{MaxEventsPerInstant: f.maxEvents, NoPlayByPlay: f.report == "json"}
	seed, err := parseSeed(f.seed)
	if err != nil {
		return err
	}
	opts.Seed = seed
	s, err := scenarios.Resolve(arg)
	if err != nil {
		return badInput(err)
	}
	// A big run's heap in huge pages: a fifth less wall time at 150,000
	// pods (see hugeheap).
	hugeheap.Reserve(hugeheap.ForPods(s.WorkloadPods()))
	closeTrace, err := openTrace(f.trace, &opts)
	if err != nil {
		return err
	}
	defer closeTrace()
	rep, err := runSimulation(ctx, s, opts)
	if err != nil {
		return err
	}
	if f.report == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.WriteText(out); err != nil {
		return err
	}
	if !rep.Passed() {
		return &exitError{1, nil}
	}
	return nil
}

func newScenariosCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scenarios", Short: "List, show and export the built-in scenario library", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return badInput(fmt.Errorf("use: kubesim scenarios list | show NAME | export NAME DIR"))
		}}
	var long bool
	list := &cobra.Command{
		Use: "list", Short: "List the library scenarios: a name and one line each", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			width := terminalWidth(out)
			nameWidth := 0
			for _, e := range scenarios.Library() {
				nameWidth = max(nameWidth, len(e.Name))
			}
			for _, e := range scenarios.Library() {
				if long {
					fmt.Fprintf(out, "%s\n  %s\n\n", e.Name, e.Description)
					continue
				}
				fmt.Fprintln(out, listLine(e.Name, e.Description, nameWidth, width))
			}
			return nil
		},
	}
	list.Flags().BoolVarP(&long, "long", "l", false, "print each whole description")
	cmd.AddCommand(list)
	cmd.AddCommand(&cobra.Command{
		Use: "show NAME", Short: "Print a library scenario's YAML with its manifests inline (it runs on its own)",
		Example: `  kubesim scenarios show node-failure > my.yaml && kubesim run my.yaml`,
		Args:    takesArgs(1, 1, "show takes one scenario name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := scenarios.InlineLibrary(args[0])
			if err != nil {
				return badInput(err)
			}
			_, err = cmd.OutOrStdout().Write(src)
			return err
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "export NAME DIR", Short: "Write a library scenario and its manifest files into DIR, to change and run",
		Example: `  kubesim scenarios export node-failure ./my-failure
  kubesim run ./my-failure/node-failure.yaml`,
		Args: takesArgs(2, 2, "export takes a scenario name and a directory, e.g. kubesim scenarios export node-failure ./my-failure"),
		RunE: func(cmd *cobra.Command, args []string) error {
			written, err := scenarios.ExportLibrary(args[0], args[1])
			if err != nil {
				return badInput(err)
			}
			for _, p := range written {
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", p)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "run it: kubesim run %s\n", written[0])
			return nil
		},
	})
	return cmd
}

// runSimulation runs s to its end. A signal (ctx cancelled) interrupts the
// engine between two events, however busy it is: exit code 130. A run the
// engine stopped itself (the livelock guard) or that failed inside the
// simulation exits with code 3. The trace's lines are made and hashed on
// a goroutine of their own.
func runSimulation(ctx context.Context, s *scenarios.Scenario, opts runner.Options) (*runner.Report, error) {
	opts.TraceOffload = offload.New()
	r, err := runner.Start(s, opts)
	if err != nil {
		return nil, &exitError{3, fmt.Errorf("simulation failed: %w", err)}
	}
	if ctx != nil {
		defer context.AfterFunc(ctx, r.Cluster.Engine.Interrupt)()
	}
	rep, err := r.Finish()
	switch {
	case errors.Is(err, sim.ErrInterrupted):
		return nil, &exitError{130, errors.New("interrupted")}
	case err != nil:
		return nil, &exitError{3, fmt.Errorf("simulation failed: %w", err)}
	}
	return rep, nil
}

// listLine is one scenario of `scenarios list`: the name padded to
// nameWidth (the descriptions start in one column), then its description
// cut to the terminal's width, at the end of a sentence when one ends far
// enough in.
func listLine(name, desc string, nameWidth, width int) string {
	line := fmt.Sprintf("%-*s  %s", nameWidth, name, desc)
	if r := []rune(line); len(r) > width {
		cut := string(r[:width])
		if i := strings.LastIndex(cut, ". "); i >= width/2 {
			return cut[:i+1]
		}
	}
	if r := []rune(line); len(r) > width {
		line = string(r[:width-1]) + "…"
	}
	return line
}

// terminalWidth is the width of out if it is a terminal, else 100.
func terminalWidth(out io.Writer) int {
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w >= 40 {
			return w
		}
	}
	return 100
}
