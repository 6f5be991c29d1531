package kubeapi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const teamQuota = `apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: team}
spec:
  hard: {pods: "2", requests.cpu: 500m, limits.cpu: "2"}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: team}
spec:
  limits:
  - type: Container
    default: {cpu: 400m}
    defaultRequest: {cpu: 200m}
    max: {cpu: "1"}
`

// TestKubectlQuotaAndLimits: the storage class and priority classes an
// EKS cluster starts with, then a namespace with a LimitRange and a
// ResourceQuota: defaults applied and annotated, a container over the
// LimitRange's max refused, the third pod refused by the quota with
// upstream's message, nothing created by a refusal, and the quota's
// status as `kubectl get quota` prints it.
func TestKubectlQuotaAndLimits(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 20})

	require.Regexp(t, spaced("gp3 (default)", "ebs.csi.aws.com", "Delete", "WaitForFirstConsumer", "true"), k.ok("get", "storageclass"))
	out := k.ok("get", "priorityclasses")
	require.Regexp(t, spaced("system-cluster-critical", "2000000000", "false"), out)
	require.Regexp(t, spaced("system-node-critical", "2000001000", "false"), out)

	k.ok("create", "namespace", "team")
	out = k.apply(teamQuota)
	require.Contains(t, out, "resourcequota/compute created")
	require.Contains(t, out, "limitrange/defaults created")

	out, err := k.run("run", "big", "-n", "team", "--image=nginx:1.27", "--overrides",
		`{"spec":{"containers":[{"name":"big","image":"nginx:1.27","resources":{"limits":{"cpu":"2"}}}]}}`)
	require.Error(t, err)
	require.Contains(t, out, `pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2`)

	k.ok("run", "a", "-n", "team", "--image=nginx:1.27")
	require.Equal(t, "LimitRanger plugin set: cpu request for container a; cpu limit for container a",
		k.ok("get", "pod", "a", "-n", "team", "-o", `jsonpath={.metadata.annotations.kubernetes\.io/limit-ranger}`))
	require.Equal(t, "200m 400m", k.ok("get", "pod", "a", "-n", "team", "-o",
		`jsonpath={.spec.containers[0].resources.requests.cpu} {.spec.containers[0].resources.limits.cpu}`))
	k.ok("run", "b", "-n", "team", "--image=nginx:1.27")
	out, err = k.run("run", "c", "-n", "team", "--image=nginx:1.27")
	require.Error(t, err)
	require.Contains(t, out, `pods "c" is forbidden: exceeded quota: compute, requested: pods=1,requests.cpu=200m, used: pods=2,requests.cpu=400m, limited: pods=2,requests.cpu=500m`)
	out, err = k.run("get", "pod", "c", "-n", "team")
	require.Error(t, err, "the refused pod was not created")
	require.Contains(t, out, `pods "c" not found`)

	var quota string
	require.Eventually(t, func() bool {
		quota, _ = k.run("get", "quota", "-n", "team")
		return strings.Contains(quota, "pods: 2/2, requests.cpu: 400m/500m")
	}, 60*time.Second, 200*time.Millisecond, "quota status catches up: %s", quota)
	require.Regexp(t, spaced("NAME", "AGE", "REQUEST", "LIMIT"), quota)
	require.Regexp(t, `compute\s+\S+\s+pods: 2/2, requests\.cpu: 400m/500m\s+limits\.cpu: 800m/2`, quota)

	// Deleting a pod gives its share back.
	k.ok("delete", "pod", "a", "-n", "team", "--wait=true")
	require.Eventually(t, func() bool {
		quota, _ = k.run("get", "quota", "-n", "team")
		return strings.Contains(quota, "pods: 1/2")
	}, 60*time.Second, 200*time.Millisecond, "quota status after the delete: %s", quota)
	k.ok("run", "c", "-n", "team", "--image=nginx:1.27")
}

const storageLimits = `apiVersion: v1
kind: LimitRange
metadata: {name: claims, namespace: store}
spec:
  limits:
  - type: PersistentVolumeClaim
    min: {storage: 1Gi}
    max: {storage: 2Gi}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: objects, namespace: store}
spec:
  hard: {persistentvolumeclaims: "1", requests.storage: 5Gi, count/deployments.apps: "1"}
`

const claim = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: %s, namespace: store}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: %s}}
`

// TestKubectlQuotaCountsAndClaimLimits: a LimitRange of type
// PersistentVolumeClaim bounds the storage a claim asks for, a quota
// counts claims and their storage, and count/deployments.apps is both
// enforced and reported in the quota's status.
func TestKubectlQuotaCountsAndClaimLimits(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 20})
	apply := func(body string) (string, error) {
		return k.run("apply", "-f", k.file(body))
	}
	k.ok("create", "namespace", "store")
	out, err := apply(storageLimits)
	require.NoError(t, err, out)

	out, err = apply(fmt.Sprintf(claim, "big", "3Gi"))
	require.Error(t, err, out)
	require.Contains(t, out, `persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 3Gi`)
	out, err = apply(fmt.Sprintf(claim, "tiny", "500Mi"))
	require.Error(t, err, out)
	require.Contains(t, out, `persistentvolumeclaims "tiny" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi`)
	out, err = apply(fmt.Sprintf(claim, "data", "2Gi"))
	require.NoError(t, err, out)
	out, err = apply(fmt.Sprintf(claim, "more", "1Gi"))
	require.Error(t, err, out)
	require.Contains(t, out, `persistentvolumeclaims "more" is forbidden: exceeded quota: objects, requested: persistentvolumeclaims=1, used: persistentvolumeclaims=1, limited: persistentvolumeclaims=1`)

	k.ok("create", "deployment", "web", "-n", "store", "--image=nginx:1.27")
	out, err = k.run("create", "deployment", "api", "-n", "store", "--image=nginx:1.27")
	require.Error(t, err, out)
	require.Contains(t, out, `deployments.apps "api" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1`)
	k.waitFor(func(out string) bool {
		return strings.Contains(out, "count/deployments.apps: 1/1, persistentvolumeclaims: 1/1, requests.storage: 2Gi/5Gi")
	}, "get", "quota", "objects", "-n", "store")
	k.ok("delete", "deployment", "web", "-n", "store")
	k.waitFor(func(out string) bool { return strings.Contains(out, "count/deployments.apps: 0/1") }, "get", "quota", "objects", "-n", "store")
}
