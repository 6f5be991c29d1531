package runner_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

// TestInvariantsCatchOvercommit proves the per-event checks are not
// vacuous: a pod bound straight to a node (spec.nodeName bypasses the
// scheduler) that asks for more CPU than the node has must stop the run.
func TestInvariantsCatchOvercommit(t *testing.T) {
	s, err := scenarios.Parse("overcommit.yaml", []byte(clusterYAML("overcommit", "2m", 1, false)+`timeline:
  - at: 30s
    apply:
      manifest:
        apiVersion: v1
        kind: Pod
        metadata: {name: hog}
        spec:
          nodeName: general-1
          containers:
            - {name: hog, image: nginx:1.27, resources: {requests: {cpu: "4"}}}
`), nil)
	require.NoError(t, err)
	_, err = runner.Run(s, runner.Options{CheckInvariants: true})
	require.ErrorContains(t, err, "invariant violated at 30s: node general-1 overcommitted")

	// Without the checks the run completes; the kubelet rejects the pod.
	rep, err := runner.Run(s, runner.Options{})
	require.NoError(t, err)
	require.Equal(t, 1, rep.Pods["Failed"], "the kubelet rejects the pod (OutOfcpu)")
}
