package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/web"
)

func init() { extraCommands = append(extraCommands, newWebCmd) }

type webFlags struct {
	liveFlags
	listen string
}

func newWebCmd() *cobra.Command {
	f := webFlags{liveFlags: liveFlags{speed: defaultSpeedFlag}}
	cmd := &cobra.Command{
		Use:   "web [FILE|NAME]",
		Short: "Serve the simulation as an animated page in the browser (default: the demo)",
		Long: `Serve a live simulation on a web page: nodes as bins grouped by zone, pods
as blocks, the pending queue, workloads, events and etcd; fail and recover
nodes, scale, apply manifests, travel back in time and save the session as
a scenario file. Everything is embedded; the page works offline.

The server binds 127.0.0.1 by default. Listening on another address
requires the token printed at start (it is part of the printed URL).`,
		Example: `  kubesim web
  kubesim web node-failure --speed 10
  kubesim web my-scenario.yaml --listen 0.0.0.0:8080`,
		Args: atMostOneScenario("web"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWeb(cmd.Context(), cmd.OutOrStdout(), scenarioOrDemo(args), f, nil)
		},
	}
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to serve on; a non-loopback address requires the printed token")
	f.add(cmd, "start paused")
	return cmd
}

// defaultSpeedFlag is live.DefaultSpeed as the --speed flags show it.
var defaultSpeedFlag = strconv.FormatFloat(live.DefaultSpeed, 'f', -1, 64)

func parseSpeed(s string) (float64, error) {
	if s == "max" {
		return live.AsFastAsPossible, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || !(x > 0) || x > 1e6 {
		return 0, fmt.Errorf(`--speed must be a positive number or "max", not %q`, s)
	}
	return x, nil
}

// runWeb serves until ctx ends. ready, if set, receives the URL to open
// once the server listens (tests).
func runWeb(ctx context.Context, out io.Writer, arg string, f webFlags, ready func(url, token string)) error {
	opts, err := f.options()
	if err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(f.listen); err != nil {
		return badInput(fmt.Errorf("--listen must be host:port, not %q", f.listen))
	}
	sc, err := scenarios.Resolve(arg)
	if err != nil {
		return badInput(err)
	}
	loopback := web.IsLoopback(f.listen)
	token := ""
	if !loopback {
		if token, err = newToken(); err != nil {
			return err
		}
	}
	ln, err := listen(f.listen)
	if err != nil {
		return err
	}
	sess, err := live.New(sc, opts)
	if err != nil {
		ln.Close()
		return &exitError{3, fmt.Errorf("cannot start the simulation: %w", err)}
	}
	sess.Start()
	srv := web.New(sess, web.Options{Token: token, LoopbackOnly: loopback, Session: live.Options{Speed: opts.Speed}})
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/"
	if token != "" {
		url += "?token=" + token
		fmt.Fprintf(out, "kubesim web: listening on a non-loopback address; the token is %s\n", token)
	}
	fmt.Fprintf(out, "kubesim web: serving %q at %s (Ctrl-C to stop)\n", sc.Name, url)
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if ready != nil {
		ready(url, token)
	}
	return serveUntil(ctx, errc, srv.Close, hs)
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
