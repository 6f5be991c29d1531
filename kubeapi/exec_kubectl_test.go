package kubeapi

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/cluster"
)

const execObjects = `apiVersion: v1
kind: Service
metadata: {name: backend-api}
spec:
  selector: {app: backend}
  ports: [{name: http, port: 8080, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data:
  app.properties: |
    color=blue
    size=large
  MODE: fast
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cr3t}
`

const execPods = `apiVersion: v1
kind: Pod
metadata: {name: box, labels: {app: box, tier: debug}}
spec:
  containers:
  - name: box
    image: busybox:1.36
    command: [sleep, "3600"]
    env:
    - {name: GREETING, value: hello}
    - {name: MESSAGE, value: "$(GREETING) world"}
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    envFrom: [{configMapRef: {name: app-config}}]
    volumeMounts:
    - {name: config, mountPath: /etc/config}
    - {name: creds, mountPath: /etc/creds, readOnly: true}
    - {name: info, mountPath: /etc/podinfo}
  volumes:
  - name: config
    configMap: {name: app-config}
  - name: creds
    secret: {secretName: creds}
  - name: info
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: name, fieldRef: {fieldPath: metadata.name}}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
---
apiVersion: v1
kind: Pod
metadata: {name: static}
spec:
  containers:
  - name: app
    image: gcr.io/distroless/static-debian12:nonroot
---
apiVersion: v1
kind: Pod
metadata: {name: huge}
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: [sleep, "3600"]
    resources: {requests: {cpu: "64"}}
`

// TestKubectlExec: the real kubectl execs into modelled containers over
// the WebSocket protocol: the environment the kubelet builds, mounted
// files, exit codes as kubectl reports them, a shell's "not found", an
// image without a shell, a pod that is not running, stdin, and sleep on
// the virtual clock.
func TestKubectlExec(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	k.apply(execObjects)
	require.NoError(t, f.sess.RunFor(time.Second))
	k.apply(execPods)
	require.NoError(t, f.sess.RunFor(30*time.Second))
	require.Regexp(t, spaced("box", "1/1", "Running"), k.ok("get", "pods"))

	// The environment: PATH and HOSTNAME, envFrom, env with $(VAR), the
	// downward API, and the Service links of Services older than the pod.
	env := k.ok("exec", "box", "--", "env")
	svcIP := k.ok("get", "svc", "backend-api", "-o", "jsonpath={.spec.clusterIP}")
	podIP := k.ok("get", "pod", "box", "-o", "jsonpath={.status.podIP}")
	for _, want := range []string{"HOSTNAME=box", "MODE=fast", "GREETING=hello", "MESSAGE=hello world", "POD_IP=" + podIP,
		"BACKEND_API_SERVICE_HOST=" + svcIP, "BACKEND_API_SERVICE_PORT=8080", "BACKEND_API_SERVICE_PORT_HTTP=8080",
		"BACKEND_API_PORT=tcp://" + svcIP + ":8080", "BACKEND_API_PORT_8080_TCP_ADDR=" + svcIP, "KUBERNETES_SERVICE_HOST=",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"} {
		require.Contains(t, env, want, "env:\n%s", env)
	}
	require.True(t, strings.HasPrefix(env, "PATH="), env)

	// Mounted files.
	require.Equal(t, "color=blue\nsize=large\n", k.ok("exec", "box", "--", "cat", "/etc/config/app.properties"))
	require.Equal(t, "s3cr3t", k.ok("exec", "box", "--", "cat", "/etc/creds/password"))
	require.Equal(t, "MODE\napp.properties\n", k.ok("exec", "box", "--", "ls", "/etc/config"))
	require.Equal(t, "app=\"box\"\ntier=\"debug\"", k.ok("exec", "box", "--", "cat", "/etc/podinfo/labels"))
	require.Equal(t, "ca.crt\nnamespace\ntoken\n", k.ok("exec", "box", "--", "ls", "/var/run/secrets/kubernetes.io/serviceaccount"))
	require.Equal(t, "default", k.ok("exec", "box", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace"))
	token := k.ok("exec", "box", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token")
	require.Equal(t, 2, strings.Count(token, "."), "a JWT: %q", token)
	// The token authenticates as the pod's ServiceAccount.
	out, err := k.run("get", "pods", "--token", token, "--user", "")
	require.Error(t, err)
	require.Contains(t, out, `User "system:serviceaccount:default:default" cannot list resource "pods"`)
	require.Equal(t, "box\n", k.ok("exec", "box", "--", "hostname"))
	require.Contains(t, k.ok("exec", "web", "--", "cat", "/usr/share/nginx/html/index.html"), "<title>Welcome to nginx!</title>")

	// Exit codes and the shell's messages.
	out, err = k.run("exec", "box", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
	require.Equal(t, 3, exitCode(err), out)
	require.Equal(t, "out\nerr\ncommand terminated with exit code 3\n", out)
	out, err = k.run("exec", "box", "--", "sh", "-c", "frobnicate --now")
	require.Equal(t, 127, exitCode(err), out)
	require.Equal(t, "sh: frobnicate: not found\ncommand terminated with exit code 127\n", out)
	out, err = k.run("exec", "web", "--", "sh", "-c", "frobnicate")
	require.Equal(t, 127, exitCode(err), out)
	require.Equal(t, "sh: 1: frobnicate: not found\ncommand terminated with exit code 127\n", out)
	out, err = k.run("exec", "box", "--", "cat", "/etc/nope")
	require.Equal(t, 1, exitCode(err), out)
	require.Equal(t, "cat: can't open '/etc/nope': No such file or directory\ncommand terminated with exit code 1\n", out)
	out, err = k.run("exec", "box", "--", "sh", "-c", "echo x > /etc/config/new")
	require.Equal(t, 1, exitCode(err), out)
	require.Contains(t, out, "sh: can't create /etc/config/new: Read-only file system")
	// What a script writes stays in the container for the next exec.
	k.ok("exec", "box", "--", "sh", "-c", "mkdir -p /data && echo saved > /data/f")
	require.Equal(t, "saved\n", k.ok("exec", "box", "--", "cat", "/data/f"))
	require.Equal(t, "3\n", k.ok("exec", "box", "--", "sh", "-c", "for i in 1 2 3; do echo $i; done | wc -l"))

	// An image without a shell, and a pod that is not running.
	out, err = k.run("exec", "static", "--", "sh")
	require.Error(t, err)
	require.Contains(t, out, `OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown`)
	out, err = k.run("exec", "huge", "--", "ls")
	require.Error(t, err)
	require.Contains(t, out, "pod huge does not have a host assigned")
	out, err = k.run("exec", "box", "-c", "nope", "--", "ls")
	require.Error(t, err)
	require.Contains(t, out, "container nope is not valid for pod box")

	// A script on stdin.
	out = k.in("echo from stdin; hostname; date +%Y", "exec", "-i", "box", "--", "sh")
	var year string
	f.sess.With(func(cl *cluster.Cluster) { year = cl.Engine.Now().UTC().Format("2006") })
	require.Equal(t, "from stdin\nbox\n"+year+"\n", out)

	// sleep waits on the virtual clock: the command ends once the
	// simulation has moved 20 s, not before.
	done := make(chan string, 1)
	go func() {
		out, _ := k.run("exec", "box", "--", "sh", "-c", "sleep 20; echo woke")
		done <- out
	}()
	select {
	case out := <-done:
		t.Fatalf("sleep ended before the clock moved: %q", out)
	case <-time.After(2 * time.Second):
	}
	require.NoError(t, f.sess.RunFor(25*time.Second))
	select {
	case out := <-done:
		require.Equal(t, "woke\n", out)
	case <-time.After(60 * time.Second):
		t.Fatal("sleep did not end after the clock moved")
	}
}

// in runs kubectl with stdin and requires success.
func (k kubectl) in(stdin string, args ...string) string {
	k.t.Helper()
	cmd := k.command(context.Background(), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	require.NoError(k.t, err, "kubectl %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

var execNetwork = nginxWeb(2) + "---\n" + webService + `---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, labels: {run: client}}
spec:
  containers:
  - name: client
    image: busybox:1.36
    command: [sleep, "3600"]
`

const denyWeb = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-deny}
spec:
  podSelector: {matchLabels: {app: web}}
`

const allowClient = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {run: client}}}]
    ports: [{port: http}]
`

// TestKubectlExecNetwork: the network commands answer from the network
// model through kubectl exec — nslookup of a Service, wget through it,
// a NetworkPolicy that drops the traffic (wget times out on the virtual
// clock) and one that lets the client in again.
func TestKubectlExecNetwork(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{speed: 20}) // commands take virtual time: the clock runs
	apply := func(manifest string) {
		k.apply(manifest)
		require.NoError(t, f.sess.RunFor(30*time.Second))
	}
	apply(execNetwork)
	ip := k.ok("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}")

	// busybox's nslookup also asks the search path's other names (and
	// exits 1 for their NXDOMAINs), as the real one does.
	out, _ := k.run("exec", "client", "--", "nslookup", "web")
	require.Contains(t, out, "Name:\tweb.default.svc.cluster.local\nAddress: "+ip+"\n")
	out, err := k.run("exec", "client", "--", "nslookup", "nosuch")
	require.Equal(t, 1, exitCode(err), out)
	require.Contains(t, out, "** server can't find nosuch")
	require.Contains(t, k.ok("exec", "client", "--", "wget", "-qO-", "-T2", "http://web"), "<title>Welcome to nginx!</title>")
	require.Contains(t, k.ok("exec", "client", "--", "cat", "/etc/resolv.conf"), "search default.svc.cluster.local svc.cluster.local cluster.local")

	// A headless Service's name answers with every ready pod's IP, and
	// its EndpointSlice lists them.
	podIPs := strings.Fields(k.ok("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].status.podIP}"))
	require.Len(t, podIPs, 2)
	out, _ = k.run("exec", "client", "--", "nslookup", "web-headless.default.svc.cluster.local")
	for _, pip := range podIPs {
		require.Contains(t, out, "Name:\tweb-headless.default.svc.cluster.local\nAddress: "+pip+"\n")
	}
	out = k.ok("get", "endpointslices", "-l", "kubernetes.io/service-name=web-headless")
	require.Regexp(t, spaced("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"), out)
	require.Regexp(t, `web-headless-[a-z0-9]{5}\s+IPv4\s+80\s+[0-9.]+,[0-9.]+\s`, out)

	// Dropped: wget waits out its 2 s on the virtual clock.
	apply(denyWeb)
	now := func() (t time.Time) {
		f.sess.With(func(cl *cluster.Cluster) { t = cl.Engine.Now() })
		return t
	}
	before := now()
	out, err = k.run("exec", "client", "--", "wget", "-qO-", "-T2", "http://web")
	require.Equal(t, 1, exitCode(err), out)
	require.Equal(t, "wget: download timed out\ncommand terminated with exit code 1\n", out)
	require.GreaterOrEqual(t, now().Sub(before), 2*time.Second, "the timeout is waited out on the virtual clock")

	apply(allowClient)
	require.Contains(t, k.ok("exec", "client", "--", "wget", "-qO-", "-T2", "http://web"), "Welcome to nginx!")
	// The nginx image has curl (not wget); curl answers as curl does.
	out, err = k.run("exec", "deploy/web", "--", "wget", "http://web")
	require.Equal(t, 1, exitCode(err), out)
	require.Contains(t, out, `OCI runtime exec failed: exec failed: unable to start container process: exec: "wget": executable file not found in $PATH`)
	require.Contains(t, k.ok("exec", "deploy/web", "--", "curl", "-s", "http://localhost"), "Welcome to nginx!")
	// The web pods themselves are not let in: curl gives up (exit 28).
	out, err = k.run("exec", "deploy/web", "--", "curl", "-s", "-m", "1", "http://web")
	require.Equal(t, 28, exitCode(err), out)
}
