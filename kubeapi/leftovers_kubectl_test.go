package kubeapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/live"
)

const sidecarPods = `apiVersion: v1
kind: Pod
metadata: {name: with-sidecar}
spec:
  initContainers:
  - {name: log-shipper, image: busybox:1.36, restartPolicy: Always, command: [sleep, "3600"]}
  containers:
  - {name: app, image: nginx:1.27}
---
apiVersion: v1
kind: Pod
metadata: {name: task}
spec:
  restartPolicy: Never
  initContainers:
  - {name: proxy, image: nginx:1.27, restartPolicy: Always}
  containers:
  - {name: main, image: busybox:1.36, command: [sh, -c, "echo done"]}
`

// TestKubectlNativeSidecar: a restartable init container (a native
// sidecar) lets the app containers start once it runs and counts in
// READY (2/2), and it does not keep a finished pod running.
func TestKubectlNativeSidecar(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	k.apply(sidecarPods)
	require.NoError(t, f.sess.RunFor(60*time.Second))
	out := k.ok("get", "pods")
	require.Regexp(t, spaced("with-sidecar", "2/2", "Running", "0"), out)
	require.Regexp(t, spaced("task", "0/2", "Completed", "0"), out)
	out = k.ok("get", "pod", "with-sidecar", "-o", `jsonpath={.status.conditions[?(@.type=="Initialized")].status} {.status.initContainerStatuses[0].started} {.status.initContainerStatuses[0].ready}`)
	require.Equal(t, "True true true", out)
	require.Equal(t, "Succeeded", k.ok("get", "pod", "task", "-o", "jsonpath={.status.phase}"))
}

// TestUnknownPathNotFoundHasDetails: kube-apiserver's 404 for a path it
// does not serve carries "details":{} (kubectl debug dereferences it).
func TestUnknownPathNotFoundHasDetails(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for _, path := range []string{"/api/v1/namespaces/default/widgets", "/apis/apps/v1/widgets", "/api/v1/pods/a/b/c/d"} {
		code, st := f.do(t, "GET", path, "", nil, "")
		require.Equal(t, 404, code, path)
		require.Equal(t, "the server could not find the requested resource", st.Message, path)
		require.NotNil(t, st.Details, "%s: the 404 has a details object", path)
	}
}

// TestKubectlHealthEndpoints: /readyz?verbose, /livez and /readyz/etcd as
// kube-apiserver answers them, and the etcd checks fail while the
// simulated etcd has lost its quorum.
func TestKubectlHealthEndpoints(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	out := k.ok("get", "--raw", "/readyz?verbose")
	require.Regexp(t, `(?s)^\[\+\]ping ok\n\[\+\]log ok\n\[\+\]etcd ok\n\[\+\]etcd-readiness ok\n\[\+\]informer-sync ok\n.*\[\+\]poststarthook/rbac/bootstrap-roles ok\n.*\[\+\]shutdown ok\nreadyz check passed\n$`, out)
	require.Equal(t, "ok", k.ok("get", "--raw", "/readyz"))
	require.Equal(t, "ok", k.ok("get", "--raw", "/livez/etcd"))
	out = k.ok("get", "--raw", "/livez?verbose&exclude=etcd")
	require.Contains(t, out, "[+]etcd excluded: ok\n")
	require.NotContains(t, out, "etcd-readiness", "livez has no readiness checks")
	require.Contains(t, out, "livez check passed")

	for _, m := range []string{"etcd-1", "etcd-2"} {
		_, err := f.sess.Do(live.Command{Verb: "etcd-stop", Member: m})
		require.NoError(t, err)
	}
	require.NoError(t, f.sess.RunFor(5*time.Second))
	out, err := k.run("get", "--raw", "/readyz")
	require.Error(t, err, out)
	require.Contains(t, out, `[-]etcd failed: reason withheld`)
	require.Contains(t, out, `readyz check failed`)
}

// TestKubectlRoleVerbsAsUpstream: RBAC accepts any verb string (upstream
// validates only that a rule has verbs), so a Role with an unknown verb
// is stored and grants exactly that verb; a rule without verbs is refused
// with kube-apiserver's message and nothing is stored.
func TestKubectlRoleVerbsAsUpstream(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{})
	p := k.file(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: odd}
rules: [{apiGroups: [""], resources: [pods], verbs: [frobnicate]}]
`)
	require.Contains(t, k.ok("create", "-f", p), "role.rbac.authorization.k8s.io/odd created")
	k.ok("create", "rolebinding", "odd", "--role=odd", "--user=jane")
	out := k.ok("auth", "can-i", "frobnicate", "pods", "--as=jane")
	require.Contains(t, out, "yes")
	require.Contains(t, out, "Warning: verb 'frobnicate' is not a known verb", "kubectl's own warning")
	out, err := k.run("auth", "can-i", "get", "pods", "--as=jane")
	require.Error(t, err)
	require.Equal(t, "no\n", out)

	p = k.file(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: empty}
rules: [{apiGroups: [""], resources: [pods], verbs: []}]
`)
	out, err = k.run("create", "-f", p)
	require.Error(t, err, out)
	require.Contains(t, out, `The Role "empty" is invalid: rules[0].verbs: Required value: verbs must contain at least one value`)
	out, err = k.run("get", "role", "empty")
	require.Error(t, err)
	require.Contains(t, out, `roles.rbac.authorization.k8s.io "empty" not found`)
}

// TestKubectlDiffAndSecretType: two of what real clients tripped on
// (issue 13 item 8) that no test went through the real kubectl for:
// `kubectl diff` of what was just applied finds nothing (a dry-run patch
// keeps creationTimestamp), and a Secret created without a type is
// Opaque.
func TestKubectlDiffAndSecretType(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	manifest := k.file(nginxWeb(2) + "---\n" + webService)
	k.ok("apply", "-f", manifest)
	require.NoError(t, f.sess.RunFor(time.Minute))
	out, err := k.run("diff", "-f", manifest)
	require.NoError(t, err, "kubectl diff finds a difference:\n%s", out)
	require.Empty(t, out)

	k.ok("create", "secret", "generic", "plain", "--from-literal=a=b")
	require.Equal(t, "Opaque", k.ok("get", "secret", "plain", "-o", "jsonpath={.type}"))
	require.Regexp(t, spaced("plain", "Opaque", "1"), k.ok("get", "secret", "plain"))
}

// TestKubectlComponentStatuses: `kubectl get cs` (issue 13 item 8) as
// kube-apiserver answers it: deprecated with a warning, the scheduler,
// the controller manager and etcd probed healthy, etcd unhealthy while it
// has no quorum.
func TestKubectlComponentStatuses(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	out := k.ok("get", "cs")
	require.Contains(t, out, "Warning: v1 ComponentStatus is deprecated in v1.19+")
	require.Regexp(t, spaced("NAME", "STATUS", "MESSAGE", "ERROR"), out)
	for _, c := range []string{"scheduler", "controller-manager", "etcd-0"} {
		require.Regexp(t, `(?m)^`+c+`\s+Healthy\s+ok\s*$`, out)
	}
	require.Equal(t, "Warning: v1 ComponentStatus is deprecated in v1.19+\nHealthy True ok", k.ok("get", "componentstatus", "etcd-0", "-o", `jsonpath={.conditions[0].type} {.conditions[0].status} {.conditions[0].message}`))
	out, err := k.run("get", "cs", "nosuch")
	require.Error(t, err)
	require.Contains(t, out, `Error from server (NotFound): componentstatuses "nosuch" not found`)

	for _, m := range []string{"etcd-1", "etcd-2"} {
		_, err := f.sess.Do(live.Command{Verb: "etcd-stop", Member: m})
		require.NoError(t, err)
	}
	require.NoError(t, f.sess.RunFor(5*time.Second))
	require.Regexp(t, `(?m)^etcd-0\s+Unhealthy\s+etcdserver: request timed out\s*$`, k.ok("get", "cs"))
}
