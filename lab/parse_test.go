package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const goodLab = `name: t
title: A test lab
domain: troubleshooting
points: 4
scenario:
  name: t
  cluster:
    nodeGroups:
      - {name: general, instanceType: m5.large, count: 1}
task: Do it.
hints:
  - first
checks:
  - workload: {name: web}
solution:
  - kubectl scale deployment web --replicas=1
`

func TestParseGoodLab(t *testing.T) {
	l, err := Parse("t.yaml", []byte(goodLab), nil)
	require.NoError(t, err)
	require.Equal(t, "t", l.Name)
	require.Equal(t, 4, l.Points)
	require.Equal(t, DefaultWarmup, l.Warmup)
	require.Equal(t, "Deployment", l.Checks[0].Workload.Kind)
	require.Equal(t, "default", l.Checks[0].Workload.Namespace)
	require.Equal(t, "t", l.Scenario.Name)
}

// TestParseErrors: each mistake is reported at its line and column with
// a message saying what is wrong.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, replace, with, want string
	}{
		{"unknown check type", "  - workload: {name: web}", "  - podz: {selector: app=web}", `t.yaml:14:5: unknown check type "podz"`},
		{"kind the API does not serve", "  - workload: {name: web}", "  - object: {kind: Gateway, name: web}", `t.yaml:14:20: kind "Gateway" is not served by the API`},
		{"hints without a task", "task: Do it.\n", "", `t.yaml:11:3: hints without a task`},
		{"unknown field", "points: 4", "point: 4", `t.yaml:4:1: lab: unknown field "point"`},
		{"unknown domain", "domain: troubleshooting", "domain: networking", `t.yaml:3:9: unknown CKA domain "networking"`},
		{"scenario error keeps its position", "instanceType: m5.large", "instanceType: m5.lage", `t.yaml:9:39: scenario: cluster.nodeGroups[0].instanceType: unknown instance type "m5.lage"`},
		{"unknown check field", "  - workload: {name: web}", "  - workload: {name: web, replica: 3}", `t.yaml:14:27: workload check: unknown field "replica"`},
		{"wrong type", "  - workload: {name: web}", "  - workload: {name: web, replicas: three}", `t.yaml:14:1: workload check: cannot unmarshal`},
		{"bad selector", "  - workload: {name: web}", "  - pods: {selector: 'app in (', count: 1}", `t.yaml:14:11: pods check: bad label selector`},
		{"bad jsonpath", "  - workload: {name: web}", "  - object: {kind: Deployment, name: web, fields: {'{.spec.replicas': 3}}", `t.yaml:14:52: object check: field "{.spec.replicas"`},
		{"unknown solution command", "  - kubectl scale", "  - kubeclt scale", `t.yaml:16:5: solution step: unknown command "kubeclt"`},
		{"no checks", "checks:\n  - workload: {name: web}\n", "", `the lab has no checks`},
		{"two types in one check", "  - workload: {name: web}", "  - workload: {name: web}\n    etcd: {snapshot: x}", `t.yaml:15:5: a check has one type`},
		{"cluster-scoped with namespace", "  - workload: {name: web}", "  - object: {kind: Node, name: n, namespace: x}", `t.yaml:14:46: object check: Node is cluster-scoped`},
		{"unknown library scenario", "scenario:\n  name: t\n", "scenario: node-failur\nx:\n  name: t\n", `t.yaml:5:11: no library scenario named "node-failur"`},
		{"not yaml", "title: A test lab", "title: [", `t.yaml:1:1: invalid YAML`},
		{"not yaml, positioned", "title: A test lab", "title: A test lab\n  x: [", `t.yaml:3:1: invalid YAML: mapping values are not allowed in this context`},
		{"two documents", "title: A test lab", "title: A test lab\n---\nname: b", `t.yaml:4:1: a lab file holds one YAML document`},
		{"an empty second document", "title: A test lab", "title: A test lab\n---\n", `t.yaml:5:1: a lab file holds one YAML document`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(goodLab, c.replace, c.with, 1)
			require.NotEqual(t, goodLab, src, "the case changes nothing")
			requireParseError(t, src, c.want)
		})
	}
}

// withCheck is goodLab with its first check replaced by check (one item
// of the checks list).
func withCheck(check string) string {
	return strings.Replace(goodLab, "  - workload: {name: web}", "  - "+check, 1)
}

// requireParseError requires the lab src to be refused with an error
// containing want.
func requireParseError(t *testing.T, src, want string) {
	t.Helper()
	_, err := Parse("t.yaml", []byte(src), nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), want)
}

// TestLoadFromDisk: a lab file next to its scenario file and manifests.
func TestLoadFromDisk(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.yaml"), []byte("name: s\ncluster: {nodeGroups: [{name: g, instanceType: m5.large, count: 1}]}\nworkloads: [{file: web.yaml}]\n"), 0o644))
	src := strings.Replace(goodLab, "scenario:\n  name: t\n  cluster:\n    nodeGroups:\n      - {name: general, instanceType: m5.large, count: 1}\n", "scenario: s.yaml\n", 1)
	p := filepath.Join(dir, "lab.yaml")
	require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	l, err := Load(p)
	require.NoError(t, err)
	require.Equal(t, "s", l.Scenario.Name)

	// Inline, with a manifest file next to the lab.
	src = strings.Replace(goodLab, "      - {name: general, instanceType: m5.large, count: 1}\n", "      - {name: general, instanceType: m5.large, count: 1}\n  workloads:\n    - file: web.yaml\n", 1)
	require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	_, err = Load(p)
	require.NoError(t, err)

	src = strings.Replace(goodLab, "scenario:\n  name: t\n  cluster:\n    nodeGroups:\n      - {name: general, instanceType: m5.large, count: 1}\n", "scenario: ../s.yaml\n", 1)
	require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	_, err = Load(p)
	require.ErrorContains(t, err, "must be inside the lab's directory")
}

func TestDrawExam(t *testing.T) {
	q := DomainQuota(ExamTasks)
	require.Equal(t, map[string]int{"storage": 2, "troubleshooting": 5, "workloads-scheduling": 3, "cluster-architecture": 4, "services-networking": 3}, q)
	labs, err := Library()
	require.NoError(t, err)
	a, b := DrawExam(labs, 7), DrawExam(labs, 7)
	require.Equal(t, names(a), names(b), "the same seed gives the same exam")
	require.Len(t, a, min(ExamTasks, len(labs)))
	seen := map[string]bool{}
	for _, l := range a {
		require.False(t, seen[l.Name], "lab %s drawn twice", l.Name)
		seen[l.Name] = true
	}
	differs := false
	for s := uint64(1); s < 20 && !differs; s++ {
		differs = strings.Join(names(DrawExam(labs, s)), ",") != strings.Join(names(a), ",")
	}
	require.True(t, differs || len(labs) <= ExamTasks, "every seed draws the same exam")
}

func names(labs []*Lab) []string {
	var out []string
	for _, l := range labs {
		out = append(out, l.Name)
	}
	return out
}

// FuzzParse: whatever the input, the parser returns a lab or an error,
// never panics. The seeds are testdata/fuzz-seeds and the library's labs.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodLab))
	for _, n := range LibraryNames() { // every check type, solution form and scenario shape in use
		b, err := libraryFS.ReadFile("library/" + n + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	entries, _ := os.ReadDir("testdata/fuzz-seeds")
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join("testdata/fuzz-seeds", e.Name())); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse("f.yaml", data, nil)
		if err == nil && (l == nil || len(l.Checks) == 0) {
			t.Fatalf("a lab without checks parsed")
		}
	})
}
