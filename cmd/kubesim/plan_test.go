package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	junitparser "github.com/joshdk/go-junit"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/internal/manifests"
	"github.com/kubesim/kubesim/plan"
	"github.com/kubesim/kubesim/sim/runner"
)

// A chaos file whose recovery fails for some seeds only: the victim pod's
// node depends on the seed, and only general-1 is failed.
var chaos = `name: chaos
duration: 9m
cluster:
  addons: false
  nodeGroups:
    - {name: general, instanceType: m5.large, count: 3}
workloads:
` + manifests.InScenario(manifests.Deployment("web", 3, "{name: web, image: nginx:1.27, resources: {requests: {cpu: 100m}}}")) + `timeline:
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

	// A JUnit parser CI tools use (go-junit) reads it: one suite, a
	// case per expectation and seed, the failures with their reproduce
	// command, and the counts the document claims.
	suites, err := junitparser.IngestFile(junit)
	require.NoError(t, err)
	require.Len(t, suites, 1)
	s := suites[0]
	require.Equal(t, "chaos", s.Name)
	require.Len(t, s.Tests, 12, "3 expectations × 4 seeds")
	failures, names := 0, map[string]bool{}
	for _, c := range s.Tests {
		require.NotEmpty(t, c.Name)
		require.False(t, names[c.Name], "case names are unique: %s", c.Name)
		names[c.Name] = true
		switch c.Status {
		case junitparser.StatusFailed:
			failures++
			require.Contains(t, c.Error.Error(), "reproduce: kubesim run "+file+" --seed ")
		default:
			require.Equal(t, junitparser.StatusPassed, c.Status)
		}
	}
	require.Positive(t, failures)
	require.Less(t, failures, 12)
	data, err := os.ReadFile(junit)
	require.NoError(t, err)
	var doc plan.JUnitSuites
	require.NoError(t, xml.Unmarshal(data, &doc))
	require.Equal(t, 12, doc.Tests)
	require.Equal(t, failures, doc.Failures, "the counts in the document match its cases")
	require.Zero(t, doc.Errors)

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

// TestSummaryKeepsTrace: --summary changes what is printed, not what is
// traced; --trace with several runs is refused before anything is written.
func TestSummaryKeepsTrace(t *testing.T) {
	dir := t.TempDir()
	plain, summary := filepath.Join(dir, "plain.jsonl"), filepath.Join(dir, "summary.jsonl")
	_, stderr, code := kubesim(t, "run", "unschedulable-pod", "--trace", plain)
	require.Equal(t, 0, code, stderr)
	_, stderr, code = kubesim(t, "run", "unschedulable-pod", "--summary", "--trace", summary)
	require.Equal(t, 0, code, stderr)
	want, err := os.ReadFile(plain)
	require.NoError(t, err)
	got, err := os.ReadFile(summary)
	require.NoError(t, err)
	require.NotEmpty(t, want)
	require.Equal(t, string(want), string(got))

	several := filepath.Join(dir, "several.jsonl")
	_, stderr, code = kubesim(t, "run", "unschedulable-pod", "node-failure", "--summary", "--trace", several)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--trace writes the trace of one run")
	require.NoFileExists(t, several)
}

func TestPlanCLI(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../../plan/testdata")))
	file := filepath.Join(dir, "small.yaml")
	out := filepath.Join(dir, "out")
	junit := filepath.Join(dir, "plan.xml")
	html, stderr, code := kubesim(t, "plan", file, "--report", "html", "--out", out, "--workers", "2", "--junit", junit)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, html, "<svg")
	require.NotContains(t, html, "http://www.w3.org/1999/xhtml\"") // sanity: inline svg, no external refs
	require.NotContains(t, html, "src=\"http")
	require.NotContains(t, html, "href=\"http")
	require.Contains(t, stderr, "run 12/12")
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "the failing runs' scenarios are written for the reproduce commands")

	// The JUnit XML: a suite per candidate, a case per run; each failed
	// case's reproduce command names a scenario that was written.
	suites, err := junitparser.IngestFile(junit)
	require.NoError(t, err)
	require.Len(t, suites, 3, "three candidates")
	runs, failed := 0, 0
	for _, s := range suites {
		for _, c := range s.Tests {
			runs++
			if c.Status == junitparser.StatusFailed {
				failed++
				_, cmd, ok := strings.Cut(c.Error.Error(), "reproduce: ")
				require.True(t, ok, c.Error.Error())
				f := strings.Fields(cmd)
				require.Equal(t, []string{"kubesim", "run"}, f[:2])
				require.FileExists(t, f[2])
			} else {
				require.Equal(t, junitparser.StatusPassed, c.Status)
			}
		}
	}
	require.Equal(t, 12, runs)
	require.Positive(t, failed)
}

// TestPlanBadInput: exit 2, a positioned message, nothing written (no
// --out directory, no JUnit file, nothing on stdout).
func TestPlanBadInput(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../../plan/testdata")))
	file := filepath.Join(dir, "small.yaml")
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	variant := func(name, from, to string) string {
		t.Helper()
		v := strings.Replace(string(src), from, to, 1)
		require.NotEqual(t, string(src), v)
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(v), 0o644))
		return path
	}
	bad := variant("bad.yaml", "instanceType: m5.xlarge", "instanceType: m5.xlarg")
	noWorkload := variant("noworkload.yaml", "deployment: web,", "deployment: wbe,")
	zeroSeeds := variant("zeroseeds.yaml", "seeds: 2", "seeds: 0")

	// Two shards' partial results, the second from another plan (one
	// more candidate): merge refuses them.
	other := variant("other.yaml", "faults:", "  - name: four\n    nodeGroups:\n      - {name: ng, instanceType: m5.large, count: 4}\nfaults:")
	parts := filepath.Join(dir, "parts")
	_, stderr, code := kubesim(t, "plan", file, "--seeds", "1", "--shard", "0/2", "--out", parts)
	require.Equal(t, 0, code, stderr)
	_, stderr, code = kubesim(t, "plan", other, "--seeds", "1", "--shard", "1/2", "--out", parts)
	require.Equal(t, 0, code, stderr)

	out := filepath.Join(dir, "out")
	junit := filepath.Join(dir, "report.xml")
	cases := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"plan", bad, "--out", out, "--junit", junit}, nil,
			"bad.yaml:16:34: candidates[1].nodeGroups[0]: unknown instance type \"m5.xlarg\"\n  hint: did you mean \"m5.xlarge\"?"},
		{[]string{"plan", noWorkload, "--out", out, "--junit", junit}, nil,
			"noworkload.yaml:25:29: slos[1].available: no Deployment \"wbe\" in namespace default among the workloads\n  hint: did you mean \"web\"?"},
		{[]string{"plan", zeroSeeds, "--out", out, "--junit", junit}, nil, "zeroseeds.yaml:7:8: seeds: 0 runs nothing"},
		{[]string{"plan", file, "--seeds", "0", "--out", out, "--junit", junit}, nil, "--seeds 0 runs nothing"},
		{[]string{"plan", file, "--seeds", "-1", "--out", out}, nil, "--seeds must be positive"},
		{[]string{"plan", file, "--shard", "3/3", "--out", out}, nil, "shard index 3 is out of range 0..2"},
		{[]string{"plan", file, "--out", out}, []string{"JOB_COMPLETION_INDEX=5", "JOB_COMPLETIONS=2"}, "shard index 5 is out of range 0..1"},
		{[]string{"plan", "merge", dir, "--junit", junit}, nil, "no partial results"},
		{[]string{"plan", "merge", parts, "--junit", junit}, nil, filepath.Join(parts, "partial-1-of-2.json") + ":4:"},
	}
	for _, tc := range cases {
		stdout, stderr, code := kubesimEnv(t, tc.env, tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want)
		require.Empty(t, stdout)
		for _, p := range []string{out, junit} {
			_, err := os.Stat(p)
			require.True(t, os.IsNotExist(err), "%v: nothing written on bad input, but %s exists", tc.args, p)
		}
	}
	_, stderr, _ = kubesim(t, "plan", "merge", parts)
	require.Contains(t, stderr, "cannot be merged")
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

// TestPrintedCommandReproduces: the command a report prints for a failed
// run is run as printed (the CLI, a fresh process) and gives that run
// again: the same trace hash, the same expectations failed.
func TestPrintedCommandReproduces(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../../plan/testdata")))
	out := filepath.Join(dir, "out")
	stdout, stderr, code := kubesim(t, "plan", filepath.Join(dir, "small.yaml"), "--report", "json", "--out", out)
	require.Equal(t, 0, code, stderr)
	var rep plan.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Equal(t, "two", rep.Candidates[0].Name)
	require.NotEmpty(t, rep.Candidates[0].Failures)
	rerun := func(cmd string) runner.Report {
		t.Helper()
		f := strings.Fields(cmd)
		require.Equal(t, []string{"kubesim", "run"}, f[:2], cmd)
		stdout, stderr, code := kubesim(t, append(f[1:], "--report", "json")...)
		require.Equal(t, 1, code, "the reproduced run fails again: %s", stderr)
		var r runner.Report
		require.NoError(t, json.Unmarshal([]byte(stdout), &r))
		return r
	}
	// Every failure of the first failing run: one rerun answers for all.
	f0 := rep.Candidates[0].Failures[0]
	r := rerun(f0.Reproduce)
	require.Equal(t, f0.TraceHash, r.TraceHash)
	require.NotEmpty(t, r.TraceHash)
	require.Equal(t, f0.Seed, r.Seed)
	var failed []string
	for _, e := range r.Expectations {
		if !e.Passed {
			failed = append(failed, e.Description+": "+e.Message)
		}
	}
	var want []string
	for _, f := range rep.Candidates[0].Failures {
		if f.Reproduce == f0.Reproduce {
			want = append(want, f.Message)
		}
	}
	require.Equal(t, want, failed, "the rerun fails the same SLOs with the same messages")

	// Monte Carlo: a failing seed's command gives that seed's run.
	file := writeScenario(t, chaos)
	stdout, stderr, code = kubesim(t, "run", file, "--seeds", "1..4", "--report", "json")
	require.Equal(t, 1, code, stderr)
	var mc plan.MonteCarlo
	require.NoError(t, json.Unmarshal([]byte(stdout), &mc))
	require.NotEmpty(t, mc.Failing)
	bad := mc.Failing[0]
	require.Equal(t, fmt.Sprintf("kubesim run %s --seed %d", file, bad.Seed), bad.Reproduce)
	r = rerun(bad.Reproduce)
	require.Equal(t, bad.TraceHash, r.TraceHash)
	failed = nil
	for _, e := range r.Expectations {
		if !e.Passed {
			failed = append(failed, fmt.Sprintf("line %d: %s: %s", e.Line, e.Description, e.Message))
		}
	}
	require.Equal(t, bad.Failed, failed)
}
