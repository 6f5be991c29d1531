package runner_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/runner"
	"github.com/kubesim/kubesim/sim/store"
)

var nodeFailure = `
name: node-failure-timing
seed: 3
duration: 12m
cluster:
  nodeGroups:
    - {name: general, instanceType: m5.large, count: 3}
workloads:
` + deploymentYAML("web", 6, `{name: web, image: nginx:1.27, resources: {requests: {cpu: 100m, memory: 128Mi}}}`) + `
timeline:
  - at: 2m
    fail: {node: general-1}
expect:
  - by: 1m
    deploymentReady: {name: web, replicas: 6}
  - at: 12m
    podsRunning: {selector: app=web, count: 6}
`

// TestNodeFailureTimings follows the upstream story of a dead node with
// its real timings: the pods stay Ready until the node-monitor grace
// period has passed since the last heartbeat, are evicted 300 s (the
// default toleration) after the unreachable taint, and their replacements
// run elsewhere within seconds.
func TestNodeFailureTimings(t *testing.T) {
	s, err := scenarios.Parse("node-failure-timing.yaml", []byte(nodeFailure), nil)
	require.NoError(t, err)

	const failAt = 2 * time.Minute
	var (
		lastLease, nodeUnknown, firstPodNotReady, firstEviction time.Duration
		victims                                                 = map[string]bool{}
		replacementsRunning                                     []time.Duration
		c                                                       *cluster.Cluster
	)
	observe := func(cl *cluster.Cluster) {
		c = cl
		now := func() time.Duration { return c.Engine.Elapsed() }
		c.Store.Watch("Lease", 0, func(ev store.Event) {
			if ev.Object.GetName() == "general-1" && now() <= failAt {
				lastLease = now()
			}
		})
		c.Store.Watch("Node", 0, func(ev store.Event) {
			n := ev.Object.(*corev1.Node)
			if n.Name == "general-1" && nodeUnknown == 0 && podutil.NodeReady(n) == corev1.ConditionUnknown && now() > failAt {
				nodeUnknown = now()
			}
		})
		c.Store.Watch("Pod", 0, func(ev store.Event) {
			p := ev.Object.(*corev1.Pod)
			if p.Labels["app"] != "web" || ev.Type == store.Deleted {
				return
			}
			if p.Spec.NodeName == "general-1" && now() > failAt {
				victims[p.Name] = true
				if !podutil.IsReady(p) && firstPodNotReady == 0 {
					firstPodNotReady = now()
				}
				if p.DeletionTimestamp != nil && firstEviction == 0 {
					firstEviction = now()
				}
			}
			old, _ := ev.Old.(*corev1.Pod)
			if firstEviction > 0 && p.Status.Phase == corev1.PodRunning && (old == nil || old.Status.Phase != corev1.PodRunning) {
				replacementsRunning = append(replacementsRunning, now())
			}
		})
	}
	rep, err := runner.Run(s, runner.Options{Observe: observe, CheckInvariants: true})
	require.NoError(t, err)
	for _, e := range rep.Expectations {
		require.True(t, e.Passed, "%s: %s", e.Description, e.Message)
	}
	require.NotEmpty(t, victims, "general-1 ran some web pods")

	require.Greater(t, lastLease, failAt-10*time.Second, "leases renew every 10 s")
	sinceHeartbeat := nodeUnknown - lastLease
	require.GreaterOrEqual(t, sinceHeartbeat, 50*time.Second, "NotReady only after the 50 s grace period")
	require.LessOrEqual(t, sinceHeartbeat, 56*time.Second, "noticed within one 5 s monitor period")
	require.GreaterOrEqual(t, firstPodNotReady, nodeUnknown, "pods stay Ready until the node is marked")

	toleration := firstEviction - nodeUnknown
	require.GreaterOrEqual(t, toleration, 300*time.Second, "evicted after the 300 s toleration")
	require.LessOrEqual(t, toleration, 306*time.Second)
	total := firstEviction - lastLease
	require.True(t, total >= 350*time.Second && total <= 362*time.Second, "eviction %s after the last heartbeat, want about 5m50s-5m55s", total)

	require.Len(t, replacementsRunning, len(victims), "every victim is replaced")
	for _, at := range replacementsRunning {
		require.LessOrEqual(t, at-firstEviction, 15*time.Second, "replacements run within seconds of the eviction")
	}
}
