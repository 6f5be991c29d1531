package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/internal/manifests"
	"github.com/stretchr/testify/require"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kubesim-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "kubesim")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// kubesim runs the binary as a user would and returns stdout, stderr and
// the exit code.
func kubesim(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return stdout.String(), stderr.String(), code
}

func writeScenario(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

var small = `name: small
duration: 2m
cluster:
  addons: false
  nodeGroups:
    - {name: general, instanceType: m5.large, count: 2}
workloads:
` + manifests.InScenario(manifests.Deployment("web", 3, "{name: web, image: \"nginx:1.27\"}")) + `expect:
  - by: 1m
    deploymentReady: {name: web, replicas: REPLICAS}
`

func TestRunJSONReportExit0(t *testing.T) {
	out, stderr, code := kubesim(t, "run", writeScenario(t, strings.Replace(small, "REPLICAS", "3", 1)), "--report", "json")
	require.Equal(t, 0, code, stderr)
	var rep struct {
		Scenario     string `json:"scenario"`
		Seed         uint64 `json:"seed"`
		VirtualTime  string `json:"virtualTime"`
		TraceHash    string `json:"traceHash"`
		Events       int    `json:"events"`
		Nodes        []struct{ Name, Zone string }
		Pods         map[string]int `json:"pods"`
		Expectations []struct {
			Passed bool `json:"passed"`
		} `json:"expectations"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, "small", rep.Scenario)
	require.EqualValues(t, 1, rep.Seed)
	require.Equal(t, "2m0s", rep.VirtualTime)
	require.True(t, strings.HasPrefix(rep.TraceHash, "sha256:"))
	require.Len(t, rep.Nodes, 2)
	require.Equal(t, 3, rep.Pods["Running"])
	require.True(t, rep.Expectations[0].Passed)

	again, _, _ := kubesim(t, "run", writeScenario(t, strings.Replace(small, "REPLICAS", "3", 1)), "--report", "json")
	require.Equal(t, out, again, "the same scenario gives the same report, byte for byte")
}

func TestFailedExpectationExit1(t *testing.T) {
	out, _, code := kubesim(t, "run", writeScenario(t, strings.Replace(small, "REPLICAS", "4", 1)))
	require.Equal(t, 1, code)
	require.Contains(t, out, "FAIL  deploymentReady web=4")
}

func TestBadInputExit2(t *testing.T) {
	bad := strings.Replace(strings.Replace(small, "REPLICAS", "3", 1), "replicas: 3\n", "replica: 3\n", 1)
	path := writeScenario(t, bad)
	out, stderr, code := kubesim(t, "run", path)
	require.Equal(t, 2, code)
	require.Empty(t, out, "nothing on stdout for bad input")
	require.Contains(t, stderr, path+":")
	require.Contains(t, stderr, "replica")

	_, stderr, code = kubesim(t, "run", "no-such-scenario")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "no-such-scenario")

	_, _, code = kubesim(t, "run", "demo", "--report", "xml")
	require.Equal(t, 2, code)
	_, _, code = kubesim(t, "run", "demo", "--bogus")
	require.Equal(t, 2, code)
	_, _, code = kubesim(t, "frobnicate")
	require.Equal(t, 2, code)
}

func TestScenariosListAndShow(t *testing.T) {
	out, _, code := kubesim(t, "scenarios", "list")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.GreaterOrEqual(t, len(lines), 5)
	var names []string
	for _, l := range lines {
		names = append(names, strings.Fields(l)[0])
	}
	require.Contains(t, names, "demo")
	column := strings.Index(lines[0], strings.Fields(lines[0])[1])
	for _, l := range lines {
		require.LessOrEqual(t, len([]rune(l)), 100, "one line per scenario, cut to the (default) width: %q", l)
		require.Equal(t, column, strings.Index(l, strings.Fields(l)[1]), "the descriptions start in one column: %q", l)
	}
	show, _, code := kubesim(t, "scenarios", "show", "demo")
	require.Equal(t, 0, code)
	require.Contains(t, show, "name: demo")
}

// TestScenarioTakenOutOfTheLibraryRuns is the user's way to change a
// library scenario: show it into a file and run it, or export it with its
// manifests as files and run that.
func TestScenarioTakenOutOfTheLibraryRuns(t *testing.T) {
	dir := t.TempDir()
	show, stderr, code := kubesim(t, "scenarios", "show", "node-failure")
	require.Equal(t, 0, code, stderr)
	mine := filepath.Join(dir, "my.yaml")
	require.NoError(t, os.WriteFile(mine, []byte(show), 0o644))
	out, stderr, code := kubesim(t, "run", mine)
	require.Equal(t, 0, code, "the shown scenario runs on its own: %s%s", out, stderr)

	out, stderr, code = kubesim(t, "scenarios", "export", "rolling-update", filepath.Join(dir, "ru"))
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "manifests/web-v2.yaml")
	require.Contains(t, out, "run it: kubesim run ")
	out, stderr, code = kubesim(t, "run", filepath.Join(dir, "ru", "rolling-update.yaml"))
	require.Equal(t, 0, code, "the exported scenario runs: %s%s", out, stderr)
	_, stderr, code = kubesim(t, "scenarios", "export", "rolling-update", filepath.Join(dir, "ru"))
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "already exists")
	_, stderr, code = kubesim(t, "scenarios", "export", "node-failure")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "export takes a scenario name and a directory")
}

func TestDemoWithNoArguments(t *testing.T) {
	out, stderr, code := kubesim(t)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "Scenario demo")
	require.Contains(t, out, "Scheduled")
	require.Contains(t, out, "NODES")
}

// TestArgumentCounts: a command given the wrong number of arguments says
// what it takes and what it got, and exits 2 (bad input).
func TestArgumentCounts(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "run takes one or more scenario files or library names (got 0 arguments)"},
		{[]string{"scenarios", "show"}, "show takes one scenario name (got 0 arguments)"},
		{[]string{"scenarios", "export", "node-failure"}, "export takes a scenario name and a directory, e.g. kubesim scenarios export node-failure ./my-failure (got 1 argument)"},
		{[]string{"bench", "demo", "node-failure"}, "bench takes at most one scenario file or library name (got 2 arguments)"},
		{[]string{"bench", "--memlimit", "lots"}, `--memlimit must be a positive quantity of bytes such as 2.3Gi or 2400Mi, got "lots"`},
		{[]string{"tui", "demo", "node-failure"}, "tui takes at most one scenario file or library name (got 2 arguments)"},
		{[]string{"plan"}, "plan takes one plan file or library plan name (got 0 arguments)"},
		{[]string{"plan", "merge"}, "merge takes one or more directories of partial results (got 0 arguments)"},
		{[]string{"lab", "start", "a", "b"}, "lab start takes one lab name or file (see kubesim lab list) (got 2 arguments)"},
	} {
		_, stderr, code := kubesim(t, tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, tc.args)
	}
}
