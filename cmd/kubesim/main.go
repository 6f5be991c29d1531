// Command kubesim simulates a whole EKS-flavoured Kubernetes cluster in
// virtual time. With no arguments it plays the built-in demo.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubesim/kubesim/internal/gcheadroom"
)

func main() {
	// A big simulation is mostly live state: let the collector keep at
	// most this much garbage over it, not as much again (see gcheadroom).
	gcheadroom.Start(gcheadroom.Default)
	os.Exit(run(os.Args[1:]))
}

// exitError carries a process exit code: 1 an expectation failed, 2 bad
// input or usage, 3 the simulation stopped itself (the livelock guard) or
// failed inside, 130 interrupted by SIGINT or SIGTERM.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func badInput(err error) error { return &exitError{2, err} }

func run(args []string) int {
	// SIGINT and SIGTERM cancel the commands' context; every command
	// stops its engine between two events when it is cancelled. A second
	// signal kills the process the default way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	cmd := newRootCmd()
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != 1 {
			fmt.Fprintln(os.Stderr, "error:", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown command, bad flag.
	fmt.Fprintln(os.Stderr, "error:", err)
	return 2
}
