package kubeapi

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// scratch fills its 1Gi emptyDir with 1500Mi (12 s at 125 MiB/s).
const scratchPod = `apiVersion: v1
kind: Pod
metadata: {name: scratch}
spec:
  containers:
  - name: writer
    image: busybox:1.36
    command: [sh, -c, "dd if=/dev/zero of=/cache/big bs=1M count=1500; sleep 3600"]
    volumeMounts: [{name: cache, mountPath: /cache}]
  volumes:
  - name: cache
    emptyDir: {sizeLimit: 1Gi}
`

// filler allocates 17G on NODE's 20Gi root volume (no limit).
const fillerPod = `apiVersion: v1
kind: Pod
metadata: {name: filler}
spec:
  nodeName: NODE
  containers:
  - name: fill
    image: busybox:1.36
    command: [sh, -c, "fallocate -l 17G /data/blob && sleep 3600"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    emptyDir: {}
`

// TestKubectlDiskPressureEviction: a pod writing past its emptyDir's
// sizeLimit is evicted with upstream's message (and no DisruptionTarget
// condition); a pod filling its node's root volume leaves nodefs.available
// under 10%: the node reports DiskPressure and gets the disk-pressure
// taint, the kubelet evicts the pod with upstream's ephemeral-storage
// message, and five minutes later both condition and taint are gone.
// kubectl describe node shows the 20Gi root volume and the 17Gi left
// allocatable.
func TestKubectlDiskPressureEviction(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	k.apply(scratchPod)
	require.NoError(t, f.sess.RunFor(40*time.Second))
	require.Equal(t, "Failed Evicted", k.ok("get", "pod", "scratch", "-o", "jsonpath={.status.phase} {.status.reason}"))
	out := k.ok("describe", "pod", "scratch")
	require.Regexp(t, `Status:\s+Failed\nReason:\s+Evicted\nMessage:\s+Usage of EmptyDir volume "cache" exceeds the limit "1Gi"\.`, out)
	require.NotContains(t, out, "DisruptionTarget")
	require.Regexp(t, `Warning\s+Evicted\s+\S+\s+kubelet\s+Usage of EmptyDir volume "cache" exceeds the limit "1Gi"\.`, out)
	require.Regexp(t, `scratch\s+0/1\s+Error\s`, k.ok("get", "pod", "scratch"))

	node := k.ok("get", "pod", "scratch", "-o", "jsonpath={.spec.nodeName}")
	out = k.ok("describe", "node", node)
	require.Regexp(t, `Capacity:\n(?:\s+\S+:\s+\S+\n)*?\s+ephemeral-storage:\s+20Gi\n`, out)
	require.Regexp(t, `Allocatable:\n(?:\s+\S+:\s+\S+\n)*?\s+ephemeral-storage:\s+17Gi\n`, out)
	require.Regexp(t, `DiskPressure\s+False\s+.*KubeletHasNoDiskPressure\s+kubelet has no disk pressure`, out)

	k.apply(strings.Replace(fillerPod, "NODE", node, 1))
	require.NoError(t, f.sess.RunFor(30*time.Second))
	require.Equal(t, "Failed Evicted", k.ok("get", "pod", "filler", "-o", "jsonpath={.status.phase} {.status.reason}"))
	out = k.ok("describe", "pod", "filler")
	require.Regexp(t, `Message:\s+The node was low on resource: ephemeral-storage\. Threshold quantity: 2147483680, available: \d+(Ki|Mi)?\. Container fill was using 32Ki, request is 0, has larger consumption of ephemeral-storage\.`, out)
	require.Regexp(t, `DisruptionTarget\s+True`, out)

	out = k.ok("describe", "node", node)
	require.Regexp(t, `Taints:\s+node\.kubernetes\.io/disk-pressure:NoSchedule`, out)
	require.Regexp(t, `DiskPressure\s+True\s+.*KubeletHasDiskPressure\s+kubelet has disk pressure`, out)
	events := k.ok("get", "events", "--field-selector", "involvedObject.kind=Node")
	require.Regexp(t, `Normal\s+NodeHasDiskPressure\s+node/`+regexp.QuoteMeta(node)+`\s+Node `+regexp.QuoteMeta(node)+` status is now: NodeHasDiskPressure`, events)
	require.Regexp(t, `Warning\s+EvictionThresholdMet\s+node/`+regexp.QuoteMeta(node)+`\s+Attempting to reclaim ephemeral-storage`, events)

	require.NoError(t, f.sess.RunFor(6*time.Minute))
	out = k.ok("describe", "node", node)
	require.Regexp(t, `DiskPressure\s+False\s+.*KubeletHasNoDiskPressure`, out)
	require.NotContains(t, out, "disk-pressure")
}
