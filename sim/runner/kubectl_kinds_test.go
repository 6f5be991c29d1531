package runner_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/runner"
)

// TestTimelineDeleteJob: `kubectl: delete job pi` in a scenario timeline
// was refused (`the server doesn't have a resource type "job"`) although
// the API server serves Jobs; the kubectl subset now reads the store's
// kind table.
func TestTimelineDeleteJob(t *testing.T) {
	const src = `
name: delete-job
duration: 2m
cluster:
  nodeGroups:
    - {name: general, instanceType: m5.large, count: 1}
workloads:
  - manifest:
      apiVersion: batch/v1
      kind: Job
      metadata: {name: pi}
      spec:
        template:
          spec:
            restartPolicy: Never
            containers: [{name: pi, image: perl, command: [sleep, "600"]}]
timeline:
  - at: 1m
    kubectl: delete job pi
`
	s, err := scenarios.Parse("delete-job.yaml", []byte(src), nil)
	require.NoError(t, err)
	var c *cluster.Cluster
	rep, err := runner.Run(s, runner.Options{Observe: func(cl *cluster.Cluster) { c = cl }})
	require.NoError(t, err)
	var found bool
	for _, e := range rep.Timeline {
		if e.Reason == "kubectl" && e.Object == "delete job pi" {
			found = true
			require.Equal(t, "Action", e.Type, e.Message)
			require.Contains(t, e.Message, `job.batch "pi" deleted`)
		}
	}
	require.True(t, found, "the kubectl action is in the timeline")
	_, ok := c.Store.Get("Job", "default", "pi")
	require.False(t, ok, "the Job is gone")
}
