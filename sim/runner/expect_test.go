package runner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

func runYAML(t *testing.T, src string) *runner.Report {
	t.Helper()
	s, err := scenarios.Parse("t.yaml", []byte(src), nil)
	require.NoError(t, err)
	rep, err := runner.Run(s, runner.Options{})
	require.NoError(t, err)
	return rep
}

// deploymentYAML is a scenario's workloads entry for the Deployment name:
// replicas pods labelled app=name, running the one container given as a
// YAML flow mapping.
func deploymentYAML(name string, replicas int, container string) string {
	return fmt.Sprintf(`  - manifest:
      {apiVersion: apps/v1, kind: Deployment, metadata: {name: %[1]s}, spec: {replicas: %[2]d,
        selector: {matchLabels: {app: %[1]s}}, template: {metadata: {labels: {app: %[1]s}}, spec: {containers: [%[3]s]}}}}`, name, replicas, container)
}

// clusterYAML is a scenario's head: its name and duration, and a cluster
// of that many m5.large nodes in the node group "general", with the default
// add-ons or none.
func clusterYAML(name, duration string, nodes int, addons bool) string {
	out := fmt.Sprintf("name: %s\nduration: %s\ncluster:\n", name, duration)
	if !addons {
		out += "  addons: false\n"
	}
	return out + fmt.Sprintf("  nodeGroups:\n    - {name: general, instanceType: m5.large, count: %d}\n", nodes)
}

func verdicts(rep *runner.Report) map[int]runner.ExpectationResult {
	out := map[int]runner.ExpectationResult{}
	for _, e := range rep.Expectations {
		out[e.Index] = e
	}
	return out
}

// Two pods of 800m fit on an m5.large (1930m); with one of three nodes
// dead for good, two of the six replicas can never run again.
var lostCapacity = clusterYAML("lost-capacity", "10m", 3, false) + `workloads:
` + deploymentYAML("web", 6, `{name: web, image: nginx:1.27, resources: {requests: {cpu: 800m, memory: 128Mi}}}`) + `
timeline:
  - at: 1m
    name: node-down
    fail: {node: general-1}
expect:
  - by: 10m                                # held at ~3s, broken for good at ~6m50s
    deploymentReady: {name: web, replicas: 6}
  - within: 8m
    after: node-down
    deploymentReady: {name: web, replicas: 6}
  - from: 1m
    available: {deployment: web, atLeast: 4}
  - from: 1m
    podsRunning: {selector: app=web, atLeast: 6}
  - by: 50s
    deploymentReady: {name: web, replicas: 6}
  - at: 10m
    podsReady: {selector: app=web, count: 4}
  - from: 8m
    until: 10m
    pendingFor: {atMost: 30s}
  - always: true
    noPDBViolated: true
`

// TestExpectationsCannotLie: an outage the cluster never recovers from
// fails every check that judges the recovery, however early the
// condition first held.
func TestExpectationsCannotLie(t *testing.T) {
	rep := runYAML(t, lostCapacity)
	v := verdicts(rep)
	require.False(t, v[0].Passed, "by: 10m must judge the state at 10m, not the moment before the outage")
	require.Contains(t, v[0].Message, "did not hold at 10m0s")
	require.False(t, v[1].Passed, "within 8m after node-down")
	require.Nil(t, v[1].RecoverySeconds)
	require.True(t, v[2].Passed, "%s", v[2].Message)
	require.False(t, v[3].Passed, "the evicted pods never run again")
	require.Contains(t, v[3].Message, "pods running, want at least 6")
	require.True(t, v[4].Passed, v[4].Message)
	require.Equal(t, 1+strings.Count(lostCapacity[:strings.Index(lostCapacity, "- by: 50s")], "\n"), v[4].Line, "the expectation's line in the file")
	require.True(t, v[5].Passed, v[5].Message)
	require.False(t, v[6].Passed, "the replacements are Pending for minutes")
	require.Contains(t, v[6].Message, "Pending for")
	require.True(t, v[7].Passed)
	require.False(t, rep.AllPassed)
	require.Equal(t, 600.0, rep.VirtualTimeSeconds)
}

// TestRecoveryTime: with room to spare the replacements run and the
// within/after check reports when, relative to the failure.
func TestRecoveryTime(t *testing.T) {
	src := clusterYAML("recovers", "12m", 3, false) + `workloads:
` + deploymentYAML("web", 3, `{name: web, image: nginx:1.27, resources: {requests: {cpu: 100m, memory: 128Mi}}}`) + `
timeline:
  - at: 1m
    fail: {node: general-1}
expect:
  - within: 10m
    after: fail
    podsReady: {selector: app=web, count: 3}
  - within: 10m
    after: fail
    image: {deployment: web, image: nginx:1.27}
  - at: 12m
    revision: {deployment: web, revision: 1}
  - at: 12m
    image: {deployment: web, container: web, image: nginx:1.28}
`
	rep := runYAML(t, src)
	v := verdicts(rep)
	require.True(t, v[0].Passed, v[0].Message)
	require.NotNil(t, v[0].RecoverySeconds)
	rec := *v[0].RecoverySeconds
	// node-monitor grace 50s + 300s toleration after the last heartbeat,
	// then a few seconds to start the replacement.
	require.Greater(t, rec, 340.0)
	require.Less(t, rec, 420.0)
	require.True(t, v[1].Passed, v[1].Message)
	require.Equal(t, 0.0, *v[1].RecoverySeconds, "never broken: recovered at once")
	require.True(t, v[2].Passed, v[2].Message)
	require.False(t, v[3].Passed)
	require.Contains(t, v[3].Message, "runs nginx:1.27, want nginx:1.28")
}

// TestCrashLoopIsNotRunning: a container that crashes keeps its pod in
// phase Running; podsRunning must not count it, and the restart and
// CrashLoopBackOff checks see it.
func TestCrashLoopIsNotRunning(t *testing.T) {
	src := clusterYAML("crashloop", "5m", 1, false) + `workloads:
  - manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 1
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}, annotations: {sim.kubesim.io/crash-after: 20s}}
          spec:
            containers:
              - {name: web, image: nginx:1.27}
expect:
  - at: 5m
    podsRunning: {selector: app=web, count: 0}
  - at: 5m
    crashLoopBackOff: {selector: app=web, count: 1}
  - at: 5m
    restarts: {selector: app=web, atMost: 1}
  - at: 5m
    podsReady: {selector: app=web, atMost: 0}
`
	rep := runYAML(t, src)
	v := verdicts(rep)
	require.True(t, v[0].Passed, "a crash-looping pod is not running: %s", v[0].Message)
	require.True(t, v[1].Passed, v[1].Message)
	require.False(t, v[2].Passed, "it restarted several times in 5m")
	require.True(t, v[3].Passed, v[3].Message)
	require.Equal(t, 1, rep.Pods["Running"], "the phase is still Running")
}
