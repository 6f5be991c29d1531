package kubeapi

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const tokenPods = `apiVersion: v1
kind: Pod
metadata: {name: mounted}
spec:
  containers:
  - {name: app, image: busybox:1.36, command: [sleep, "3600"]}
  initContainers:
  - {name: init, image: busybox:1.36, command: ["true"]}
---
apiVersion: v1
kind: Pod
metadata: {name: optout}
spec:
  automountServiceAccountToken: false
  containers:
  - {name: app, image: busybox:1.36, command: [sleep, "3600"]}
`

// TestKubectlServiceAccountToken: the ServiceAccount admission plugin
// gives every container the kube-api-access-xxxxx projected volume (token,
// kube-root-ca.crt, the namespace) unless the pod opts out, and refuses a
// pod whose ServiceAccount — the default one of a namespace created a
// moment ago included — does not exist yet.
func TestKubectlServiceAccountToken(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	pods := k.file(tokenPods)
	k.ok("apply", "-f", pods)
	require.NoError(t, f.sess.RunFor(30*time.Second))
	require.Regexp(t, spaced("mounted", "1/1", "Running"), k.ok("get", "pods"))

	// The volume and the mounts the plugin added.
	vol := k.ok("get", "pod", "mounted", "-o", "jsonpath={.spec.volumes[0].name}")
	require.Regexp(t, `^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$`, vol)
	require.Equal(t, "default", k.ok("get", "pod", "mounted", "-o", "jsonpath={.spec.serviceAccountName}"))
	require.Equal(t, "token kube-root-ca.crt metadata.namespace 420",
		k.ok("get", "pod", "mounted", "-o", `jsonpath={.spec.volumes[0].projected.sources[0].serviceAccountToken.path} {.spec.volumes[0].projected.sources[1].configMap.name} {.spec.volumes[0].projected.sources[2].downwardAPI.items[0].fieldRef.fieldPath} {.spec.volumes[0].projected.defaultMode}`))
	for _, c := range []string{"containers", "initContainers"} {
		require.Equal(t, vol+" /var/run/secrets/kubernetes.io/serviceaccount true",
			k.ok("get", "pod", "mounted", "-o", "jsonpath={.spec."+c+"[0].volumeMounts[0].name} {.spec."+c+"[0].volumeMounts[0].mountPath} {.spec."+c+"[0].volumeMounts[0].readOnly}"))
	}
	desc := k.ok("describe", "pod", "mounted")
	require.Regexp(t, `/var/run/secrets/kubernetes.io/serviceaccount from `+vol+` \(ro\)`, desc)
	require.Regexp(t, `(?s)`+vol+`:\s+Type:\s+Projected \(a volume that contains injected data from multiple sources\)\s+TokenExpirationSeconds:\s+3607\s+ConfigMapName:\s+kube-root-ca.crt`, desc)

	// The files, read through the mount.
	require.Equal(t, "default", k.ok("exec", "mounted", "-c", "app", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace"))
	require.Contains(t, k.ok("exec", "mounted", "-c", "app", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"), "-----BEGIN CERTIFICATE-----")
	require.Regexp(t, `^[\w-]+\.[\w-]+\.[\w-]+$`, k.ok("exec", "mounted", "-c", "app", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"))

	// automountServiceAccountToken: false — no volume, no directory.
	require.Empty(t, k.ok("get", "pod", "optout", "-o", "jsonpath={.spec.volumes}"))
	out, err := k.run("exec", "optout", "--", "ls", "/var/run/secrets/kubernetes.io/serviceaccount")
	require.Error(t, err)
	require.Contains(t, out, "No such file or directory")

	// A pod naming an account that does not exist is refused.
	out, err = k.run("run", "robot", "--image=busybox:1.36", "--overrides", `{"spec":{"serviceAccountName":"robot"}}`)
	require.Error(t, err)
	require.Contains(t, out, `pods "robot" is forbidden: error looking up service account default/robot: serviceaccount "robot" not found`)

	// A namespace just created has no default ServiceAccount until the
	// service account controller runs: its first pod is refused, as
	// upstream's admission does once its lookups run out; a moment later
	// it is admitted.
	k.ok("create", "namespace", "fresh")
	out, err = k.run("-n", "fresh", "run", "early", "--image=busybox:1.36")
	require.Error(t, err)
	require.Contains(t, out, `pods "early" is forbidden: error looking up service account fresh/default: serviceaccount "default" not found`)
	require.NoError(t, f.sess.RunFor(time.Second))
	require.Equal(t, "default", regexp.MustCompile(`\s+`).Split(k.ok("-n", "fresh", "get", "serviceaccounts", "--no-headers"), -1)[0])
	require.Contains(t, k.ok("-n", "fresh", "run", "early", "--image=busybox:1.36", "--", "sleep", "3600"), "pod/early created")
	require.NoError(t, f.sess.RunFor(30*time.Second))
	require.Equal(t, "fresh", k.ok("-n", "fresh", "exec", "early", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace"))
}
