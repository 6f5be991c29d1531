// Command kubesim simulates a whole EKS-flavoured Kubernetes cluster in
// virtual time. With no arguments it plays the built-in demo.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// exitError carries a process exit code: 1 an expectation failed, 2 bad
// input or usage.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func badInput(err error) error { return &exitError{2, err} }

func run(args []string) int {
	cmd := newRootCmd()
	cmd.SetArgs(args)
	err := cmd.Execute()
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
