package kubeapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const configPods = `apiVersion: v1
kind: Pod
metadata: {name: envfrom}
spec:
  containers:
  - name: app
    image: nginx:1.27
    envFrom: [{configMapRef: {name: app-config}}]
---
apiVersion: v1
kind: Pod
metadata: {name: key}
spec:
  containers:
  - name: app
    image: nginx:1.27
    env:
    - name: MODE
      valueFrom: {configMapKeyRef: {name: other, key: mode}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other}
data: {level: debug}
---
apiVersion: v1
kind: Pod
metadata: {name: vol}
spec:
  containers:
  - name: app
    image: nginx:1.27
    volumeMounts: [{name: certs, mountPath: /etc/certs}]
  volumes:
  - name: certs
    secret: {secretName: tls}
---
apiVersion: v1
kind: Pod
metadata: {name: items}
spec:
  containers:
  - name: app
    image: nginx:1.27
    volumeMounts: [{name: conf, mountPath: /etc/app}]
  volumes:
  - name: conf
    configMap: {name: other, items: [{key: mode, path: mode.conf}]}
`

// TestKubectlConfigErrors: a missing ConfigMap in envFrom, a missing key,
// a missing Secret volume and a configMap volume item naming a missing key keep pods from running with upstream's
// reasons and messages; creating what is missing lets them start.
func TestKubectlConfigErrors(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	p := k.file(configPods)
	k.ok("apply", "-f", p)
	require.NoError(t, f.sess.RunFor(30*time.Second))

	out := k.ok("get", "pods")
	require.Regexp(t, spaced("envfrom", "0/1", "CreateContainerConfigError"), out)
	require.Regexp(t, spaced("key", "0/1", "CreateContainerConfigError"), out)
	require.Regexp(t, spaced("vol", "0/1", "ContainerCreating"), out)
	require.Regexp(t, spaced("items", "0/1", "ContainerCreating"), out)
	require.Equal(t, `configmap "app-config" not found`,
		k.ok("get", "pod", "envfrom", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.message}"))
	require.Equal(t, `couldn't find key mode in ConfigMap default/other`,
		k.ok("get", "pod", "key", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.message}"))
	require.Regexp(t, `Warning\s+Failed\s+.*Error: configmap "app-config" not found`, k.ok("describe", "pod", "envfrom"))
	require.Regexp(t, `Warning\s+FailedMount\s+.*MountVolume.SetUp failed for volume "certs" : secret "tls" not found`, k.ok("describe", "pod", "vol"))

	require.Regexp(t, `Warning\s+FailedMount\s+.*MountVolume.SetUp failed for volume "conf" : configmap references non-existent config key: mode`, k.ok("describe", "pod", "items"))

	k.ok("create", "configmap", "app-config", "--from-literal=color=blue")
	k.ok("create", "secret", "generic", "tls", "--from-literal=tls.crt=x")
	k.ok("patch", "configmap", "other", "-p", `{"data":{"mode":"fast"}}`)
	require.NoError(t, f.sess.RunFor(30*time.Second))
	out = k.ok("get", "pods")
	for _, name := range []string{"envfrom", "key", "vol", "items"} {
		require.Regexp(t, spaced(name, "1/1", "Running"), out)
	}
}
