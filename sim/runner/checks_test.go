package runner_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A podsRunning expectation that fails names what the other pods show in
// kubectl's STATUS column, and the report counts every pod by it.
func TestPodsRunningFailureNamesTheStatuses(t *testing.T) {
	rep := runYAML(t, clusterYAML("bad-image", "2m", 1, true)+`workloads:
`+deploymentYAML("web", 2, `{name: web, image: "nginx:1.999"}`)+`
expect:
  - at: 2m
    podsRunning: {selector: app=web, count: 2}
`)
	require.Len(t, rep.Expectations, 1)
	require.False(t, rep.Expectations[0].Passed)
	require.Equal(t, "0 pods running, want 2 (others: 2 ImagePullBackOff)", rep.Expectations[0].Message)
	require.Equal(t, 2, rep.PodStatus["ImagePullBackOff"])
}
