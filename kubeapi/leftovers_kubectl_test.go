package kubeapi

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
	if _, err := os.Stat(kubectlPath); err != nil {
		t.Skipf("kubectl is not installed at %s", kubectlPath)
	}
	f := newFixture(t, fixtureOpts{})
	k := kubectl{t: t, config: f.kubeconfig(t)}
	p := filepath.Join(t.TempDir(), "pods.yaml")
	require.NoError(t, os.WriteFile(p, []byte(sidecarPods), 0o644))
	k.ok("apply", "-f", p)
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
