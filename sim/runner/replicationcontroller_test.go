package runner_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/internal/manifests"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/runner"
)

// TestScenarioReplicationController: a scenario's workloads may hold a v1
// ReplicationController manifest (defaulted as by the API server: the
// selector from the template); the replication controller runs its pods,
// and a timeline's `kubectl scale rc` scales it.
func TestScenarioReplicationController(t *testing.T) {
	src := `
name: rc
duration: 3m
cluster:
  nodeGroups:
    - {name: general, instanceType: m5.large, count: 1}
workloads:
` + manifests.InScenario(manifests.ReplicationController("web", 2, "{name: nginx, image: nginx:1.27}")) + `timeline:
  - at: 1m
    kubectl: scale rc web --replicas=3
`
	s, err := scenarios.Parse("rc.yaml", []byte(src), nil)
	require.NoError(t, err)
	var c *cluster.Cluster
	rep, err := runner.Run(s, runner.Options{Observe: func(cl *cluster.Cluster) { c = cl }})
	require.NoError(t, err)
	for _, e := range rep.Timeline {
		if e.Reason == "kubectl" {
			require.Equal(t, "Action", e.Type, e.Message)
		}
	}
	o, ok := c.Store.Get("ReplicationController", "default", "web")
	require.True(t, ok)
	rc := o.(*corev1.ReplicationController)
	require.Equal(t, map[string]string{"app": "web"}, rc.Spec.Selector)
	require.Equal(t, int32(3), *rc.Spec.Replicas)
	require.Equal(t, int32(3), rc.Status.ReadyReplicas)
	running := 0
	for _, p := range c.Store.List("Pod", "default") {
		if ref := podutil.ControllerOf(p); ref != nil && ref.UID == rc.UID && p.(*corev1.Pod).Status.Phase == corev1.PodRunning {
			running++
		}
	}
	require.Equal(t, 3, running)
}
