package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/tui"
)

func init() {
	extraCommands = append(extraCommands, newTUICmd)
	interactiveDemo = func(cmd *cobra.Command) (bool, error) {
		if !isTerminal(cmd) {
			return false, nil
		}
		return true, runTUI(cmd.Context(), "demo", liveFlags{speed: defaultSpeedFlag}, nil)
	}
}

// isTerminal reports whether the command talks to a person: stdout and
// stdin are both terminals (a pipe or a test gets the play-by-play).
func isTerminal(cmd *cobra.Command) bool {
	out, ok := cmd.OutOrStdout().(*os.File)
	return ok && term.IsTerminal(int(out.Fd())) && term.IsTerminal(int(os.Stdin.Fd()))
}

func newTUICmd() *cobra.Command {
	f := liveFlags{speed: defaultSpeedFlag}
	cmd := &cobra.Command{
		Use:   "tui [FILE|NAME]",
		Short: "Watch a scenario in the terminal and break things with a key (default: the demo)",
		Long: `tui runs a scenario live in the terminal: nodes as bins of pods, the pending
queue, workloads, events and a describe pane. Keys pause, step and change
the speed of virtual time, fail/recover/cordon/drain nodes, scale
workloads, delete pods and stop etcd members; w saves the session as a
scenario file that replays to the same trace. Press ? for help.`,
		Example: `  kubesim tui
  kubesim tui node-failure --speed 30
  kubesim tui my-scenario.yaml --paused`,
		Args: atMostOneScenario("tui"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := scenarioOrDemo(args)
			return runTUI(cmd.Context(), name, f, nil)
		},
	}
	f.add(cmd, "start paused (space resumes)")
	return cmd
}

// runTUI shows the session until the user quits or ctx ends (SIGINT or
// SIGTERM: in the terminal's raw mode Ctrl-C is a key the UI handles
// itself, but a signal from elsewhere must end the program too). screen
// is nil for the terminal (tests pass a simulation screen).
func runTUI(ctx context.Context, arg string, f liveFlags, screen tcell.Screen) error {
	opts, err := f.options()
	if err != nil {
		return err
	}
	sc, err := scenarios.Resolve(arg)
	if err != nil {
		return badInput(err)
	}
	sess, err := live.New(sc, opts)
	if err != nil {
		return &exitError{3, fmt.Errorf("simulation failed: %w", err)}
	}
	defer sess.Close()
	sess.Start()
	app := tui.New(sess, tui.Options{Screen: screen})
	done := make(chan error, 1)
	go func() { done <- app.Run() }()
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	app.Stop()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		// The UI did not stop: end anyway (the deferred Close is prompt).
		return errors.New("the terminal UI did not stop within 5 s of the signal")
	}
}
