package runner_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

// The reproductions of issue 9: a Deployment past its progress deadline
// (600 s) that loses a pod made the Deployment controller requeue its key
// with zero delay, so the run spun at one virtual instant forever. Each
// must now end, with the Deployment whole again.
func TestProgressDeadlinePassedThenPodLostEnds(t *testing.T) {
	for _, tc := range []struct{ name, at, action string }{
		{"delete pods at 11m", "11m", "delete: {kind: Pod, namespace: default, selector: app=web}"},
		{"delete pods at 9m", "9m", "delete: {kind: Pod, namespace: default, selector: app=web}"},
		{"node fails at 6m", "6m", "fail: {node: general-1}"},
		{"kubectl delete at 16m", "16m", "kubectl: delete pod -l app=web"},
		{"drain at 16m", "16m", "drain: {node: general-2}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := fmt.Sprintf(`name: stuck
seed: 3
duration: 30m
cluster:
  nodeGroups:
    - {name: general, instanceType: m5.large, count: 3}
workloads:
  - file: manifests/web.yaml
timeline:
  - at: %s
    %s
expect:
  - at: 30m
    deploymentReady: {name: web, replicas: 6}
`, tc.at, tc.action)
			s, err := scenarios.ParseLibraryVariant("stuck", []byte(src))
			require.NoError(t, err)
			rep, err := runner.Run(s, runner.Options{})
			require.NoError(t, err, "the run must end")
			require.Equal(t, "30m0s", rep.VirtualTime)
			for _, e := range rep.Expectations {
				require.True(t, e.Passed, "%s: %s", e.Description, e.Message)
			}
		})
	}
}

// TestRandomFaultsOverHoursEnd drives every library scenario with faults
// at random times over hours of virtual time — node failures and
// recoveries, drains, cordons, pod deletions, scaling — long past the
// defaults' deadlines (10 min progress deadline, 5 min stabilisation, 1 h
// event TTL), and asserts that every run ends. Each case prints its seed.
func TestRandomFaultsOverHoursEnd(t *testing.T) {
	hours, seeds := 4, 2
	if testing.Short() {
		hours, seeds = 2, 1
	}
	for _, name := range scenarios.LibraryNames() {
		for seed := uint64(1); seed <= uint64(seeds); seed++ {
			t.Run(fmt.Sprintf("%s/seed=%d", name, seed), func(t *testing.T) {
				t.Parallel()
				src, err := scenarios.LibrarySource(name)
				require.NoError(t, err)
				orig, err := scenarios.LoadLibrary(name)
				require.NoError(t, err)
				variant := withRandomFaults(t, src, orig, seed, time.Duration(hours)*time.Hour)
				s, err := scenarios.ParseLibraryVariant(name, variant)
				require.NoError(t, err, "variant:\n%s", variant)
				rep, err := runner.Run(s, runner.Options{})
				require.NoError(t, err, "rerun: the variant below\n%s", variant)
				require.Equal(t, time.Duration(hours)*time.Hour, mustDuration(t, rep.VirtualTime))
			})
		}
	}
}

func mustDuration(t *testing.T, s string) time.Duration {
	d, err := time.ParseDuration(s)
	require.NoError(t, err)
	return d
}

// withRandomFaults returns the scenario's YAML with its duration set to
// total, its expectations dropped (they judge the original story) and
// random faults added to its timeline.
func withRandomFaults(t *testing.T, src []byte, s *scenarios.Scenario, seed uint64, total time.Duration) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(src, &doc))
	doc["duration"] = total.String()
	delete(doc, "expect")
	var nodes []string
	for _, g := range s.Cluster.NodeGroups {
		for i := 1; i <= g.Count; i++ {
			nodes = append(nodes, fmt.Sprintf("%s-%d", g.Name, i))
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	timeline, _ := doc["timeline"].([]any)
	at := time.Duration(0)
	for {
		at += time.Duration(rng.Int64N(int64(40*time.Minute))) + time.Second
		if at >= total-time.Minute {
			break
		}
		node := nodes[rng.IntN(len(nodes))]
		var entry map[string]any
		switch rng.IntN(7) {
		case 0:
			entry = map[string]any{"fail": map[string]any{"node": node}}
			back := at + time.Duration(rng.Int64N(int64(30*time.Minute)))
			if back < total {
				timeline = append(timeline, map[string]any{"at": back.String(), "recover": map[string]any{"node": node}})
			}
		case 1:
			entry = map[string]any{"drain": map[string]any{"node": node}}
		case 2:
			entry = map[string]any{"cordon": map[string]any{"node": node}}
		case 3:
			entry = map[string]any{"uncordon": map[string]any{"node": node}}
		case 4:
			entry = map[string]any{"kubectl": "delete pods --all"}
		case 5:
			entry = map[string]any{"kubectl": fmt.Sprintf("scale deployment --all --replicas=%d", 1+rng.IntN(8))}
		case 6:
			entry = map[string]any{"recover": map[string]any{"node": node}}
		}
		entry["at"] = at.String()
		timeline = append(timeline, entry)
	}
	doc["timeline"] = timeline
	out, err := yaml.Marshal(doc)
	require.NoError(t, err)
	return out
}
