package runner_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

// A podsRunning expectation that fails names what the other pods show in
// kubectl's STATUS column, and the report counts every pod by it.
func TestPodsRunningFailureNamesTheStatuses(t *testing.T) {
	s, err := scenarios.Parse("bad-image.yaml", []byte(clusterYAML("bad-image", "2m", 1, true)+`workloads:
`+deploymentYAML("web", 2, `{name: web, image: "nginx:1.999"}`)+`
expect:
  - at: 2m
    podsRunning: {selector: app=web, count: 2}
`), nil)
	require.NoError(t, err)
	rep, err := runner.Run(s, runner.Options{})
	require.NoError(t, err)
	require.Len(t, rep.Expectations, 1)
	require.False(t, rep.Expectations[0].Passed)
	require.Equal(t, "0 pods running, want 2 (others: 2 ImagePullBackOff)", rep.Expectations[0].Message)
	require.Equal(t, 2, rep.PodStatus["ImagePullBackOff"])
}
