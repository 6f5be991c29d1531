package kubeapi

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var portForwardManifest = nginxWeb(1) + `---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: web, port: 8000, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: v1
kind: Pod
metadata: {name: pending}
spec:
  nodeSelector: {no-such: node}
  containers:
  - {name: app, image: nginx:1.27}
`

// portForward starts `kubectl port-forward TARGET :REMOTE` and returns the
// local address it listens on (kubectl names the pod's port, podPort) and
// its stderr.
func (k kubectl) portForward(env []string, target, remote, podPort string) (addr string, stderr *syncBuffer) {
	k.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := k.command(ctx, "port-forward", target, ":"+remote)
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(k.t, err)
	stderr = &syncBuffer{}
	cmd.Stderr = stderr
	require.NoError(k.t, cmd.Start())
	k.t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	re := regexp.MustCompile(`^Forwarding from (127\.0\.0\.1:\d+) -> ` + podPort + `$`)
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			require.True(k.t, ok, "kubectl port-forward ended: %s", stderr.String())
			if m := re.FindStringSubmatch(l); m != nil {
				go func() { // keep draining ("Handling connection for …")
					for range lines {
					}
				}()
				return m[1], stderr
			}
		case <-deadline:
			k.t.Fatalf("kubectl port-forward never listened: %s", stderr.String())
		}
	}
}

func httpGet(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// TestKubectlPortForward: the real kubectl forwards a local port to a pod
// (over its default SPDY-in-WebSocket tunnel, and over plain SPDY when
// told not to use WebSockets), to a Service's target port, past a
// NetworkPolicy that denies all ingress (port-forward enters the pod's
// network namespace), and reports containerd's error for a port nothing
// listens on and kubectl's own for a pod that is not running.
func TestKubectlPortForward(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 20})
	k.apply(portForwardManifest)
	k.ok("rollout", "status", "deploy/web", "--timeout=60s")
	pod := strings.TrimSpace(k.ok("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}"))

	addr, _ := k.portForward(nil, "pod/"+pod, "80", "80")
	resp, body := httpGet(t, "http://"+addr+"/")
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "nginx/1.27.5", resp.Header.Get("Server"))
	require.Contains(t, body, "<title>Welcome to nginx!</title>")
	resp, body = httpGet(t, "http://"+addr+"/missing")
	require.Equal(t, 404, resp.StatusCode)
	require.Contains(t, body, "<center><h1>404 Not Found</h1></center>")

	// The Service's port 8000 is the pod's named port http (80).
	addr, _ = k.portForward(nil, "svc/web", "8000", "80")
	_, body = httpGet(t, "http://"+addr+"/")
	require.Contains(t, body, "Welcome to nginx!")

	// Plain SPDY (kubectl's fallback) forwards the same.
	addr, _ = k.portForward([]string{"KUBECTL_PORT_FORWARD_WEBSOCKETS=false"}, "deploy/web", "80", "80")
	_, body = httpGet(t, "http://"+addr+"/")
	require.Contains(t, body, "Welcome to nginx!")

	// Nothing listens on 8081: the connection is dropped and kubectl
	// prints containerd's error.
	addr, stderr := k.portForward(nil, "pod/"+pod, "8081", "8081")
	_, err := (&http.Client{Timeout: 30 * time.Second}).Get("http://" + addr + "/")
	require.Error(t, err)
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "an error occurred forwarding") }, 30*time.Second, 100*time.Millisecond)
	require.Regexp(t, `an error occurred forwarding \d+ -> 8081: error forwarding port 8081 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace \\?"/var/run/netns/cni-[0-9a-f-]{36}\\?": failed to connect to localhost:8081 inside namespace \\?"[0-9a-f]{64}\\?", IPv4: dial tcp4 127\.0\.0\.1:8081: connect: connection refused`, stderr.String())
	// and, as kubectl 1.32 does after an error, gives up.
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "error: lost connection to pod") }, 30*time.Second, 100*time.Millisecond)

	out, err := k.run("port-forward", "pod/pending", "8080:80")
	require.Error(t, err)
	require.Contains(t, out, "error: unable to forward port because pod is not running. Current status=Pending")
	out, err = k.run("port-forward", "pod/nosuch", "8080:80")
	require.Error(t, err)
	require.Contains(t, out, `pods "nosuch" not found`)
}

// TestPortForwardEndsWithTheServer: a forward in progress (a client that
// keeps its connection open) does not keep the API server's Close
// waiting.
func TestPortForwardEndsWithTheServer(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{speed: 20})
	k.apply(portForwardManifest)
	k.ok("rollout", "status", "deploy/web", "--timeout=60s")
	addr, _ := k.portForward(nil, "deploy/web", "80", "80")
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.Equal(t, 200, resp.StatusCode)

	closed := make(chan struct{})
	go func() {
		f.api.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("the API server's Close waited on an open port-forward")
	}
}
