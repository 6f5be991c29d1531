package runner_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
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

// TestReportRequestsAreNodeRequests: the report sums each node's
// requests in one pass over the pods; every node's figures are those of
// NodeRequests, through node-pressure evictions (Failed pods stay bound
// to their node and hold nothing) and a node failure.
func TestReportRequestsAreNodeRequests(t *testing.T) {
	for _, name := range []string{"disk-pressure", "node-failure"} {
		s, err := scenarios.LoadLibrary(name)
		require.NoError(t, err)
		var c *cluster.Cluster
		rep, err := runner.Run(s, runner.Options{Observe: func(cl *cluster.Cluster) { c = cl }})
		require.NoError(t, err)
		require.NotEmpty(t, rep.Nodes)
		busy := 0
		for _, n := range rep.Nodes {
			req := runner.NodeRequests(c, n.Name)
			require.Equal(t, map[string]string{
				"cpu":    resource.NewMilliQuantity(req.MilliCPU, resource.DecimalSI).String(),
				"memory": resource.NewQuantity(req.Memory, resource.BinarySI).String(),
				"pods":   strconv.FormatInt(req.Pods, 10),
			}, n.Requested, "%s: %s", name, n.Name)
			require.EqualValues(t, req.Pods, n.Pods)
			if req.Pods > 0 {
				busy++
			}
		}
		require.Positive(t, busy, name)
	}
}
