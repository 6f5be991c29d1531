package kubeapi

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const memoryHog = `apiVersion: v1
kind: Pod
metadata:
  name: hog
  annotations: {sim.kubesim.io/memory: 7000Mi}
spec:
  containers:
  - {name: stress, image: busybox:1.36, command: [sleep, "3600"]}
`

// TestKubectlNodePressureEviction: a pod whose memory leaves its node
// under the 100Mi memory.available threshold is evicted by the kubelet:
// Failed with reason Evicted and upstream's message and event; the node
// reports MemoryPressure and carries the memory-pressure taint, so a
// BestEffort pod sent to it is refused; five minutes after the pressure
// ended both are gone.
func TestKubectlNodePressureEviction(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	k.apply(memoryHog)
	require.NoError(t, f.sess.RunFor(30*time.Second))

	require.Equal(t, "Failed Evicted", k.ok("get", "pod", "hog", "-o", "jsonpath={.status.phase} {.status.reason}"))
	out := k.ok("describe", "pod", "hog")
	require.Regexp(t, `Status:\s+Failed\nReason:\s+Evicted\nMessage:\s+The node was low on resource: memory\. Threshold quantity: 100Mi, available: (0|\d+Ki)\. Container stress was using 7000Mi, request is 0, has larger consumption of memory\.`, out)
	require.Regexp(t, `DisruptionTarget\s+True`, out)
	require.Regexp(t, `Warning\s+Evicted\s+\S+\s+kubelet\s+The node was low on resource: memory\.`, out)

	node := k.ok("get", "pod", "hog", "-o", "jsonpath={.spec.nodeName}")
	out = k.ok("describe", "node", node)
	require.Regexp(t, `Taints:\s+node\.kubernetes\.io/memory-pressure:NoSchedule`, out)
	require.Regexp(t, `MemoryPressure\s+True\s+.*KubeletHasInsufficientMemory\s+kubelet has insufficient memory available`, out)
	require.Regexp(t, `Normal\s+NodeHasInsufficientMemory\s+node/`+regexp.QuoteMeta(node)+`\s+Node `+regexp.QuoteMeta(node)+` status is now: NodeHasInsufficientMemory`,
		k.ok("get", "events", "--field-selector", "involvedObject.kind=Node"))

	// A BestEffort pod bound to the node under pressure is refused.
	k.ok("run", "late", "--image=nginx:1.27", "--overrides", `{"spec":{"nodeName":"`+node+`"}}`)
	require.NoError(t, f.sess.RunFor(5*time.Second))
	require.Regexp(t, `late\s+0/1\s+Evicted\s`, k.ok("get", "pod", "late"))
	require.Equal(t, "Pod was rejected: The node had condition: [MemoryPressure]. ", k.ok("get", "pod", "late", "-o", "jsonpath={.status.message}"))

	require.NoError(t, f.sess.RunFor(6*time.Minute))
	out = k.ok("describe", "node", node)
	require.Regexp(t, `Taints:\s+<none>`, out)
	require.Regexp(t, `MemoryPressure\s+False\s+.*KubeletHasSufficientMemory`, out)
}
