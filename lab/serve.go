package lab

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/kubesim/kubesim/kubeapi"
)

// Served is a Runner's Kubernetes API on a TLS listener, as `kubesim
// serve` serves it: a self-signed certificate and a kubeconfig that
// trusts it.
type Served struct {
	URL        string
	Kubeconfig []byte
	srv        *http.Server
	errc       chan error
}

// ServeAPI serves r's API on ln and starts r (its first lab's cluster).
func ServeAPI(r *Runner, ln net.Listener) (*Served, error) {
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	cert, caPEM, err := kubeapi.SelfSigned(host)
	if err != nil {
		return nil, err
	}
	// The kubeconfig's token is the labs' admin (RBAC applies to every
	// request, as on a real cluster).
	token := r.AdminToken()
	url := "https://" + net.JoinHostPort(host, port)
	s := &Served{URL: url, Kubeconfig: kubeapi.Kubeconfig(url, caPEM, token), errc: make(chan error, 1)}
	if err := r.Start(); err != nil {
		return nil, err
	}
	s.srv = &http.Server{Handler: r.APIHandler(), ReadHeaderTimeout: 10 * time.Second, TLSConfig: kubeapi.TLSConfig(cert)}
	go func() { s.errc <- s.srv.ServeTLS(ln, "", "") }()
	return s, nil
}

// Err receives the server's error if it stops by itself.
func (s *Served) Err() <-chan error { return s.errc }

// Close stops serving (the runner's watches must be closed first, by
// Runner.Close, or Shutdown waits for them until ctx ends).
func (s *Served) Close(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
