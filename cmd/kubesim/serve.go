package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubesim/kubesim/kubeapi"
	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/web"
)

func init() { extraCommands = append(extraCommands, newServeCmd) }

type serveFlags struct {
	listen     string
	kubeconfig string
	speed      string
	seed       string
	paused     bool
	web        string
}

func newServeCmd() *cobra.Command {
	f := serveFlags{speed: defaultSpeedFlag}
	cmd := &cobra.Command{
		Use:   "serve [FILE|NAME]",
		Short: "Serve the Kubernetes API over a live simulation, for the real kubectl (default: the demo)",
		Long: `Run a simulation live (×5 by default, like every face) and serve the Kubernetes REST API over it, so
that kubectl and client-go work against the simulated cluster: get, describe,
apply, scale, rollout, cordon, drain, taint, expose, logs, events, wait...

The API is served over TLS with a self-signed certificate generated at
start; a kubeconfig trusting it is written to --kubeconfig and the export
line to use it is printed. The server binds 127.0.0.1 by default; listening
on another address requires the bearer token written in the kubeconfig.
Every write is recorded at its virtual time, so the session replays.`,
		Example: `  kubesim serve
  kubesim serve node-failure --kubeconfig /tmp/kubesim.kubeconfig
  kubesim serve my-scenario.yaml --listen 0.0.0.0:6443 --web 127.0.0.1:8080`,
		Args: atMostOneScenario("serve"),
		RunE: func(cmd *cobra.Command, args []string) error {
			arg := scenarioOrDemo(args)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, cmd.OutOrStdout(), arg, f)
		},
	}
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:6443", "address of the Kubernetes API; a non-loopback address requires the bearer token")
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "kubesim.kubeconfig", "where to write the kubeconfig")
	cmd.Flags().StringVar(&f.speed, "speed", f.speed, speedUsage)
	cmd.Flags().StringVar(&f.seed, "seed", "", seedUsage)
	cmd.Flags().BoolVar(&f.paused, "paused", false, "start paused")
	cmd.Flags().StringVar(&f.web, "web", "", "also serve the web UI on this address (e.g. 127.0.0.1:8080)")
	return cmd
}

func runServe(ctx context.Context, out io.Writer, arg string, f serveFlags) error {
	speed, err := parseSpeed(f.speed)
	if err != nil {
		return badInput(err)
	}
	seed, err := parseSeed(f.seed)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(f.listen)
	if err != nil {
		return badInput(fmt.Errorf("--listen must be host:port, not %q", f.listen))
	}
	sc, err := scenarios.Resolve(arg)
	if err != nil {
		return badInput(err)
	}
	// The kubeconfig always carries a token (kubectl prompts for a user
	// name otherwise); the server requires it off loopback only.
	token := kubeapi.NewToken()
	required := ""
	if !kubeapi.IsLoopback(f.listen) {
		required = token
	}
	cert, caPEM, err := kubeapi.SelfSigned(host)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return badInput(fmt.Errorf("cannot listen on %s: %w", f.listen, err))
	}
	if sc.StartTime.IsZero() {
		// The served clock starts now, so the ages kubectl computes
		// itself (describe's events, -o yaml) read right; a saved session
		// records it and replays from the same instant.
		sc.StartTime = time.Now().UTC().Truncate(time.Second)
	}
	sess, err := live.New(sc, live.Options{Speed: speed, Paused: f.paused, Seed: seed})
	if err != nil {
		ln.Close()
		return &exitError{3, fmt.Errorf("cannot start the simulation: %w", err)}
	}
	sess.Start()
	defer sess.Close()
	api := kubeapi.New(sess, kubeapi.Options{Token: required, AdminToken: token})
	defer api.Close()

	server := "https://" + ln.Addr().String()
	if host == "0.0.0.0" || host == "::" {
		server = "https://127.0.0.1:" + portOf(ln.Addr())
	}
	path, err := filepath.Abs(f.kubeconfig)
	if err != nil {
		return badInput(err)
	}
	if err := os.WriteFile(path, kubeapi.Kubeconfig(server, caPEM, token), 0o600); err != nil {
		return badInput(fmt.Errorf("cannot write the kubeconfig: %w", err))
	}
	hs := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, TLSConfig: kubeapi.TLSConfig(cert)}
	errc := make(chan error, 2)
	go func() { errc <- hs.ServeTLS(ln, "", "") }()
	var ws *http.Server
	if f.web != "" {
		if ws, err = startWeb(sess, f.web, errc); err != nil {
			return badInput(err)
		}
		fmt.Fprintf(out, "kubesim serve: web UI at http://%s/\n", f.web)
	}
	fmt.Fprintf(out, "kubesim serve: %q at %s (Ctrl-C to stop)\n", sc.Name, server)
	fmt.Fprintf(out, "export KUBECONFIG=%s\n", path)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	api.Close() // ends the watches, so Shutdown does not wait on them
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if ws != nil {
		_ = ws.Shutdown(sctx)
	}
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// startWeb serves the web UI over the same session (plain HTTP, loopback
// only).
func startWeb(sess *live.Session, addr string, errc chan<- error) (*http.Server, error) {
	if !web.IsLoopback(addr) {
		return nil, fmt.Errorf("--web must be a loopback address, not %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	srv := web.New(sess, web.Options{LoopbackOnly: true})
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { errc <- hs.Serve(ln) }()
	return hs, nil
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}
