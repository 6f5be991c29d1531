package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubesim/kubesim/kubeapi"
	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/web"
)

func init() { extraCommands = append(extraCommands, newServeCmd) }

type serveFlags struct {
	liveFlags
	listen     string
	kubeconfig string
	web        string
}

func newServeCmd() *cobra.Command {
	f := serveFlags{liveFlags: liveFlags{speed: defaultSpeedFlag}}
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
			return runServe(cmd.Context(), cmd.OutOrStdout(), scenarioOrDemo(args), f)
		},
	}
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:6443", "address of the Kubernetes API; a non-loopback address requires the bearer token")
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "kubesim.kubeconfig", "where to write the kubeconfig")
	f.add(cmd, "start paused")
	cmd.Flags().StringVar(&f.web, "web", "", "also serve the web UI on this address (e.g. 127.0.0.1:8080)")
	return cmd
}

func runServe(ctx context.Context, out io.Writer, arg string, f serveFlags) error {
	opts, err := f.options()
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
	ln, err := listen(f.listen)
	if err != nil {
		return err
	}
	if sc.StartTime.IsZero() {
		// The served clock starts now, so the ages kubectl computes
		// itself (describe's events, -o yaml) read right; a saved session
		// records it and replays from the same instant.
		sc.StartTime = time.Now().UTC().Truncate(time.Second)
	}
	sess, err := live.New(sc, opts)
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
			return err
		}
		fmt.Fprintf(out, "kubesim serve: web UI at http://%s/\n", f.web)
	}
	fmt.Fprintf(out, "kubesim serve: %q at %s (Ctrl-C to stop)\n", sc.Name, server)
	fmt.Fprintf(out, "export KUBECONFIG=%s\n", path)
	return serveUntil(ctx, errc, api.Close, hs, ws)
}

// startWeb serves the web UI over the same session (plain HTTP, loopback
// only).
func startWeb(sess *live.Session, addr string, errc chan<- error) (*http.Server, error) {
	if !web.IsLoopback(addr) {
		return nil, badInput(fmt.Errorf("--web must be a loopback address, not %q", addr))
	}
	ln, err := listen(addr)
	if err != nil {
		return nil, err
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
