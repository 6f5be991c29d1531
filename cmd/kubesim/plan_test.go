package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/plan"
)

// A chaos file whose recovery fails for some seeds only: the victim pod's
// node depends on the seed, and only general-1 is failed.
const chaos = `name: chaos
duration: 9m
cluster:
  addons: false
  nodeGroups:
    - {name: general, instanceType: m5.large, count: 3}
workloads:
  - manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 3
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers:
              - {name: web, image: nginx:1.27, resources: {requests: {cpu: 100m}}}
timeline:
  - at: 1m
    name: node-down
    fail: {node: general-1}
expect:
  - by: 50s
    deploymentReady: {name: web, replicas: 3}
  - within: 7m
    after: node-down
    podsReady: {selector: app=web, count: 3}
  - from: 1m
    available: {deployment: web, atLeast: 3}
`

// TestMonteCarloJUnit: --seeds runs every seed, the summary counts the
// verdicts, and the JUnit XML parses into the JUnit schema with one
// testcase per expectation and seed.
func TestMonteCarloJUnit(t *testing.T) {
	file := writeScenario(t, chaos)
	junit := filepath.Join(t.TempDir(), "j.xml")
	out, stderr, code := kubesim(t, "run", file, "--seeds", "1..4", "--junit", junit, "--workers", "2")
	require.Equal(t, 1, code, "availability drops below 3 while general-1's pod is replaced: %s", stderr)
	require.Contains(t, out, "FAIL  chaos over seeds 1..4")
	require.Contains(t, out, "kubesim run "+file+" --seed ")

	data, err := os.ReadFile(junit)
	require.NoError(t, err)
	var doc plan.JUnitSuites
	require.NoError(t, xml.Unmarshal(data, &doc))
	require.Len(t, doc.Suites, 1)
	require.Equal(t, 12, doc.Tests, "3 expectations × 4 seeds")
	require.Len(t, doc.Suites[0].Cases, 12)
	failures := 0
	for _, c := range doc.Suites[0].Cases {
		require.NotEmpty(t, c.Name)
		if c.Failure != nil {
			failures++
			require.Contains(t, c.Failure.Text, "reproduce: kubesim run")
		}
	}
	require.Equal(t, doc.Failures, failures)
	require.Positive(t, failures)
	require.Less(t, failures, 12)

	// JSON: passed counts and recovery distribution.
	out, _, _ = kubesim(t, "run", file, "--seeds", "1..2", "--report", "json")
	var mc plan.MonteCarlo
	require.NoError(t, json.Unmarshal([]byte(out), &mc))
	require.Equal(t, []uint64{1, 2}, mc.Seeds)
	require.NotNil(t, mc.Expectations[1].Recovery)
}

func TestRunSeveralWithSummary(t *testing.T) {
	out, stderr, code := kubesim(t, "run", "node-failure", "rolling-update", "--summary")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "PASS  node-failure (seed 7)")
	require.Contains(t, out, "PASS  rolling-update")
	require.NotContains(t, out, "TIMELINE")
}

func TestPlanCLI(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../../plan/testdata")))
	file := filepath.Join(dir, "small.yaml")
	out := filepath.Join(dir, "out")
	html, stderr, code := kubesim(t, "plan", file, "--report", "html", "--out", out, "--workers", "2")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, html, "<svg")
	require.NotContains(t, html, "http://www.w3.org/1999/xhtml\"") // sanity: inline svg, no external refs
	require.NotContains(t, html, "src=\"http")
	require.NotContains(t, html, "href=\"http")
	require.Contains(t, stderr, "run 12/12")
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "the failing runs' scenarios are written for the reproduce commands")
}

// TestPlanBadInput: exit 2, a positioned message, nothing written.
func TestPlanBadInput(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../../plan/testdata")))
	file := filepath.Join(dir, "small.yaml")
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(string(src), "instanceType: m5.xlarge", "instanceType: m5.xlarg", 1)), 0o644))

	out := filepath.Join(dir, "out")
	cases := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"plan", bad, "--out", out}, nil, "bad.yaml:16:34: candidates[1].nodeGroups[0]: unknown instance type \"m5.xlarg\""},
		{[]string{"plan", file, "--shard", "3/3", "--out", out}, nil, "shard index 3 is out of range 0..2"},
		{[]string{"plan", file, "--out", out}, []string{"JOB_COMPLETION_INDEX=5", "JOB_COMPLETIONS=2"}, "shard index 5 is out of range 0..1"},
		{[]string{"plan", file, "--seeds", "-1", "--out", out}, nil, "--seeds must be positive"},
		{[]string{"plan", "merge", dir}, nil, "no partial results"},
	}
	for _, tc := range cases {
		stdout, stderr, code := kubesimEnv(t, tc.env, tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want)
		require.Empty(t, stdout)
		_, err := os.Stat(out)
		require.True(t, os.IsNotExist(err), "nothing written on bad input")
	}
}

func kubesimEnv(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	if len(env) == 0 {
		return kubesim(t, args...)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return kubesim(t, args...)
}
