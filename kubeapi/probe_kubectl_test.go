package kubeapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const probePods = `apiVersion: v1
kind: Pod
metadata:
  name: liveness
  annotations: {sim.kubesim.io/unhealthy-after: 30s}
spec:
  containers:
  - name: app
    image: nginx:1.27
    livenessProbe:
      httpGet: {path: /healthz, port: 80}
      initialDelaySeconds: 5
      periodSeconds: 5
---
apiVersion: v1
kind: Pod
metadata: {name: unready}
spec:
  containers:
  - name: app
    image: nginx:1.27
    ports: [{containerPort: 80}]
    readinessProbe:
      httpGet: {path: /, port: 8080}
      periodSeconds: 5
---
apiVersion: v1
kind: Pod
metadata: {name: never-started}
spec:
  containers:
  - name: app
    image: nginx:1.27
    ports: [{containerPort: 80}]
    startupProbe:
      httpGet: {path: /, port: 8080}
      periodSeconds: 5
      failureThreshold: 3
    livenessProbe:
      httpGet: {path: /, port: 80}
`

// TestKubectlProbes: a liveness probe that starts failing restarts the
// container (RESTARTS, Unhealthy and Killing events as upstream), a
// readiness probe aimed at a port nothing serves keeps the pod 0/1, and a
// startup probe that never passes restarts its container after
// failureThreshold failures (its liveness probe never runs).
func TestKubectlProbes(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	k.apply(probePods)
	require.NoError(t, f.sess.RunFor(20*time.Second))
	out := k.ok("get", "pods")
	require.Regexp(t, spaced("liveness", "1/1", "Running", "0"), out)
	require.Regexp(t, spaced("unready", "0/1", "Running", "0"), out)

	require.NoError(t, f.sess.RunFor(40*time.Second)) // unhealthy from ~30s: 3 failures 5s apart, then the restart
	require.Regexp(t, `liveness\s+1/1\s+Running\s+1 \(\S+ ago\)`, k.ok("get", "pod", "liveness"))
	out = k.ok("describe", "pod", "liveness")
	require.Regexp(t, `Warning\s+Unhealthy\s+.*Liveness probe failed: HTTP probe failed with statuscode: 500`, out)
	require.Regexp(t, `Normal\s+Killing\s+.*Container app failed liveness probe, will be restarted`, out)
	require.Regexp(t, `Restart Count:\s+1`, out)

	out = k.ok("describe", "pod", "unready")
	require.Regexp(t, `Warning\s+Unhealthy\s+.*Readiness probe failed: Get "http://[0-9.]+:8080/": dial tcp [0-9.]+:8080: connect: connection refused`, out)
	require.Regexp(t, spaced("unready", "0/1", "Running", "0"), k.ok("get", "pod", "unready"))

	out = k.ok("describe", "pod", "never-started")
	require.Regexp(t, `Warning\s+Unhealthy\s+.*Startup probe failed: Get "http://[0-9.]+:8080/": dial tcp [0-9.]+:8080: connect: connection refused`, out)
	require.Regexp(t, `Normal\s+Killing\s+.*Container app failed startup probe, will be restarted`, out)
	require.NotContains(t, out, "Liveness probe failed")
	require.Regexp(t, `never-started\s+0/1\s+\S+\s+[1-9]`, k.ok("get", "pod", "never-started"))
}
