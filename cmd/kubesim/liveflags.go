package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubesim/kubesim/live"
)

// liveFlags are the flags of the commands that run a live session (serve,
// web, tui, lab): the pace of virtual time, the seed and whether it starts
// paused.
type liveFlags struct {
	speed  string
	seed   string
	paused bool
}

// add registers --speed, --seed and --paused (pausedUsage: its help).
func (f *liveFlags) add(cmd *cobra.Command, pausedUsage string) {
	cmd.Flags().StringVar(&f.speed, "speed", f.speed, speedUsage)
	cmd.Flags().StringVar(&f.seed, "seed", "", seedUsage)
	cmd.Flags().BoolVar(&f.paused, "paused", false, pausedUsage)
}

// options reads the flags into the session's options; a bad --speed is
// bad input.
func (f liveFlags) options() (live.Options, error) {
	speed, err := parseSpeed(f.speed)
	if err != nil {
		return live.Options{}, badInput(err)
	}
	seed, err := parseSeed(f.seed)
	if err != nil {
		return live.Options{}, err
	}
	return live.Options{Speed: speed, Paused: f.paused, Seed: seed}, nil
}

// listen opens a TCP listener on addr; failing is bad input (the address
// is the user's).
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, badInput(fmt.Errorf("cannot listen on %s: %w", addr, err))
	}
	return ln, nil
}

// serveUntil waits until a server fails (errc) or ctx ends; then stop
// ends the long-lived streams (watches, event streams) so that shutting
// the servers down does not wait on them, the others are shut down and
// primary last, each within five seconds. primary's error, if any, is returned.
func serveUntil(ctx context.Context, errc <-chan error, stop func(), primary *http.Server, others ...*http.Server) error {
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, hs := range others {
		if hs != nil {
			_ = hs.Shutdown(sctx)
		}
	}
	if err := primary.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
