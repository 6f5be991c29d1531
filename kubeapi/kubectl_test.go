package kubeapi

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/internal/manifests"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

const kubectlPath = "/usr/bin/kubectl"

// kubectl runs the real kubectl against the fixture.
type kubectl struct {
	t      *testing.T
	config string
}

// command is kubectl with args, configured for the fixture; ctx ending
// kills it.
func (k kubectl) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, kubectlPath, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+k.config, "HOME="+filepath.Dir(k.config))
	return cmd
}

func (k kubectl) run(args ...string) (string, error) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := k.command(ctx, args...).CombinedOutput()
	return string(out), err
}

// newKubectl starts a fixture and the real kubectl configured for it,
// skipping the test where kubectl is not installed.
func newKubectl(t *testing.T, o fixtureOpts) (*fixture, kubectl) {
	t.Helper()
	if _, err := os.Stat(kubectlPath); err != nil {
		t.Skipf("kubectl is not installed at %s", kubectlPath)
	}
	f := newFixture(t, o)
	return f, kubectl{t: t, config: f.kubeconfig(t)}
}

// file writes body to a file of its own and returns its path, for -f.
func (k kubectl) file(body string) string {
	k.t.Helper()
	p := filepath.Join(k.t.TempDir(), "manifest.yaml")
	require.NoError(k.t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

// apply runs `kubectl apply -f` on body, requires success and returns the
// output.
func (k kubectl) apply(body string) string {
	k.t.Helper()
	return k.ok("apply", "-f", k.file(body))
}

// ok runs kubectl, requires success and returns its output.
func (k kubectl) ok(args ...string) string {
	k.t.Helper()
	out, err := k.run(args...)
	require.NoError(k.t, err, "kubectl %s:\n%s", strings.Join(args, " "), out)
	return out
}

// nginxWeb is Deployment web: replicas nginx pods (app=web) serving the
// port named http.
func nginxWeb(replicas int) string {
	return manifests.Deployment("web", replicas, "{name: nginx, image: nginx:1.27, ports: [{containerPort: 80, name: http}]}")
}

// webService is Service web: port 80 to nginxWeb's http port.
const webService = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`

// mainWeb is Deployment web: replicas pods (app=web) of one container,
// main, running nginx:1.27 with the given further lines of the container
// (indented for it); meta is one more line of the Deployment's metadata.
func mainWeb(meta string, replicas int, container string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  %s
spec:
  replicas: %d
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: nginx:1.27
%s`, meta, replicas, container)
}

var webManifest = mainWeb("labels: {app: web}", 3, "        ports: [{containerPort: 80}]\n        resources:\n          requests: {cpu: 100m, memory: 64Mi}\n") + `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 4
  selector:
    matchLabels: {app: web}
`

const tolerantPod = `apiVersion: v1
kind: Pod
metadata:
  name: probe
spec:
  tolerations:
  - {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}
  containers:
  - {name: main, image: busybox:1.36, command: [sleep, "3600"]}
`

// spaced matches kubectl's column layout: words separated by runs of
// spaces.
func spaced(words ...string) *regexp.Regexp {
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}

// TestKubectlCKASession drives the real kubectl through a CKA-style
// session against the simulation, asserting on its real output, then
// replays the recorded session to the same trace.
func TestKubectlCKASession(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{speed: 20})
	manifest := k.file(webManifest)
	pod := k.file(tolerantPod)

	out := k.ok("apply", "-f", manifest)
	require.Contains(t, out, "deployment.apps/web created")
	require.Contains(t, out, "poddisruptionbudget.policy/web created")
	require.Contains(t, k.ok("rollout", "status", "deploy/web", "--timeout=60s"), `deployment "web" successfully rolled out`)

	out = k.ok("get", "pods", "-o", "wide", "-l", "app=web")
	require.Regexp(t, spaced("NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"), out)
	require.Len(t, regexp.MustCompile(`web-\S+\s+1/1\s+Running\s+0\s+\S+\s+100\.64\.\S+\s+general-\d`).FindAllString(out, -1), 3, out)

	require.Contains(t, k.ok("scale", "deploy/web", "--replicas=5"), "deployment.apps/web scaled")
	require.Contains(t, k.ok("rollout", "status", "deploy/web", "--timeout=60s"), "successfully rolled out")
	require.Regexp(t, spaced("web", "5/5", "5", "5"), k.ok("get", "deploy", "web"))

	require.Contains(t, k.ok("set", "image", "deploy/web", "main=nginx:1.28"), "deployment.apps/web image updated")
	require.Contains(t, k.ok("rollout", "status", "deploy/web", "--timeout=60s"), "successfully rolled out")
	require.Regexp(t, spaced("REVISION", "CHANGE-CAUSE", "1", "<none>", "2", "<none>"), k.ok("rollout", "history", "deploy/web"))
	require.Contains(t, k.ok("rollout", "undo", "deploy/web"), "deployment.apps/web rolled back")
	require.Contains(t, k.ok("rollout", "status", "deploy/web", "--timeout=60s"), "successfully rolled out")
	require.Equal(t, "nginx:1.27", k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"))

	require.Contains(t, k.ok("cordon", "general-1"), "node/general-1 cordoned")
	out = k.ok("drain", "general-1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s")
	require.Contains(t, out, "node/general-1 drained")
	require.Regexp(t, spaced("general-1", "Ready,SchedulingDisabled"), k.ok("get", "nodes"))
	out = k.ok("get", "pods", "-o", "wide", "-l", "app=web", "--field-selector", "spec.nodeName=general-1")
	require.Contains(t, out, "No resources found")

	require.Contains(t, k.ok("taint", "nodes", "general-2", "general-3", "dedicated=batch:NoSchedule"), "node/general-3 tainted")
	require.Contains(t, k.ok("run", "probe", "--image=busybox:1.36", "--restart=Never", "--", "sleep", "3600"), "pod/probe created")
	require.NoError(t, f.sess.RunFor(10*time.Second))
	require.Regexp(t, spaced("probe", "0/1", "Pending"), k.ok("get", "pod", "probe"))
	out = k.ok("get", "events", "--field-selector", "involvedObject.name=probe")
	require.Contains(t, out, "FailedScheduling")
	require.Contains(t, out, "untolerated taint(s)")
	require.Contains(t, k.ok("delete", "pod", "probe"), `pod "probe" deleted`)
	require.Contains(t, k.ok("apply", "-f", pod), "pod/probe created")
	require.Contains(t, k.ok("wait", "--for=condition=Ready", "pod/probe", "--timeout=60s"), "pod/probe condition met")

	require.Contains(t, k.ok("expose", "deploy/web", "--port=80"), "service/web exposed")
	require.NoError(t, f.sess.RunFor(5*time.Second))
	require.Regexp(t, spaced("web", "ClusterIP", "10.100."), k.ok("get", "svc", "web"))
	require.Regexp(t, `web-\S+\s+IPv4\s+80\s+100\.64\.`, k.ok("get", "endpointslices", "-l", "kubernetes.io/service-name=web"))

	out = k.ok("describe", "node", "general-2")
	require.Regexp(t, spaced("Name:", "general-2"), out)
	require.Regexp(t, spaced("Taints:", "dedicated=batch:NoSchedule"), out)
	require.Contains(t, out, "Non-terminated Pods:")
	require.Contains(t, out, "Allocated resources:")

	require.Regexp(t, spaced("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"), k.ok("get", "events", "--sort-by=.lastTimestamp"))
	require.Contains(t, k.ok("logs", "deploy/web", "--tail=1"), `"GET / HTTP/1.1" 200`)
	require.Contains(t, k.ok("wait", "--for=condition=Available", "deploy/web", "--timeout=30s"), "condition met")

	// Bad input from kubectl: an unknown kind and a field typo.
	bad := k.file("apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n")
	out, err := k.run("apply", "-f", bad)
	require.Error(t, err)
	require.Contains(t, out, `no matches for kind "Widget"`)
	bad = k.file("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndta: {a: b}\n")
	out, err = k.run("apply", "-f", bad)
	require.Error(t, err)
	require.Contains(t, out, `unknown field "dta"`)

	// A second apply patches (client-side apply, strategic merge).
	out = k.ok("apply", "-f", manifest)
	require.Contains(t, out, "deployment.apps/web configured")
	require.Contains(t, out, "poddisruptionbudget.policy/web") // "configured" also upstream: its selector is patchStrategy=replace
	require.NotContains(t, strings.ToLower(out), "warning")

	// The whole session replays.
	f.sess.Pause()
	require.NoError(t, f.sess.RunFor(f.sess.Scenario().Duration-f.sess.Snapshot().Time))
	want := f.sess.Snapshot().TraceHash
	path, err := f.sess.Save(t.TempDir(), "session")
	require.NoError(t, err)
	replay, err := scenarios.Load(path)
	require.NoError(t, err)
	rep, err := runner.Run(replay, runner.Options{})
	require.NoError(t, err)
	require.Equal(t, want, rep.TraceHash, "the kubectl session replays to the same trace")
}
