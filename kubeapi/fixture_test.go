package kubeapi

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubesim/kubesim/internal/manifests"
	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/scenarios"
)

// testScenario is a small cluster: three m5.large nodes and the add-ons.
var testScenario = manifests.SmallCluster("kubeapi-test")

// fixture is a live session served over TLS on a loopback port.
type fixture struct {
	sess   *live.Session
	api    *Server
	ts     *httptest.Server
	caPEM  []byte
	token  string
	config *rest.Config
	client kubernetes.Interface
}

type fixtureOpts struct {
	scenario string  // "" = testScenario
	speed    float64 // 0: paused (tests move time with RunFor)
	token    string
	options  Options
}

func newFixture(t *testing.T, o fixtureOpts) *fixture {
	t.Helper()
	src := testScenario
	if o.scenario != "" {
		src = o.scenario
	}
	sc, err := scenarios.Parse("kubeapi-test.yaml", []byte(src), nil)
	require.NoError(t, err)
	lo := live.Options{Paused: o.speed == 0, Speed: o.speed, Tick: 10 * time.Millisecond}
	sess, err := live.New(sc, lo)
	require.NoError(t, err)
	require.NoError(t, sess.RunFor(30*time.Second)) // nodes Ready, add-ons running
	if o.speed > 0 {
		sess.Start()
	}
	opts := o.options
	opts.Token = o.token
	admin := o.token
	if admin == "" {
		admin = "kubesim-test-admin"
	}
	opts.AdminToken = admin
	api := New(sess, opts)
	cert, caPEM, err := SelfSigned()
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(api)
	ts.EnableHTTP2 = true
	ts.TLS = TLSConfig(cert)
	ts.StartTLS()
	f := &fixture{sess: sess, api: api, ts: ts, caPEM: caPEM, token: admin}
	t.Cleanup(func() {
		api.Close()
		ts.Close()
		sess.Close()
	})
	f.config = &rest.Config{Host: ts.URL, BearerToken: admin, TLSClientConfig: rest.TLSClientConfig{CAData: caPEM}, UserAgent: "kubeapi-test/v0"}
	f.client, err = kubernetes.NewForConfig(f.config)
	require.NoError(t, err)
	return f
}

// httpClient trusts the fixture's certificate.
func (f *fixture) httpClient(t *testing.T) *http.Client {
	t.Helper()
	tr, err := rest.TransportFor(&rest.Config{Host: f.ts.URL, BearerToken: f.token, TLSClientConfig: rest.TLSClientConfig{CAData: f.caPEM}})
	require.NoError(t, err)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// caPool trusts the fixture's serving certificate.
func (f *fixture) caPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(f.caPEM)
	return p
}

// kubeconfig writes a kubeconfig for the fixture and returns its path.
func (f *fixture) kubeconfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(p, Kubeconfig(f.ts.URL, f.caPEM, f.token), 0o600))
	return p
}
