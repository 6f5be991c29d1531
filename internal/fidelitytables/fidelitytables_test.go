package fidelitytables

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/fidelity-tables.md from a run of the tables")

const (
	module  = "github.com/kubesim/kubesim/"
	docPath = "docs/fidelity-tables.md"
)

// An area is one thing issue 10 asks to be proven by upstream's tables:
// the files holding its ported tables (every Test function in them is
// counted, unless tests names them) and the upstream source they come
// from. An area with no files says in none why nothing is ported.
type area struct {
	name     string
	files    []string
	tests    []string // when set, only these Test functions of files
	upstream string
	none     string
}

// plugin is the area of a scheduler plugin whose tables are ported to
// sim/scheduler/plugins/<ported>_upstream_test.go from upstream's
// pkg/scheduler/framework/plugins/<upstream>.
func plugin(name, ported, upstream string) area {
	return area{name: name, files: []string{"sim/scheduler/plugins/" + ported + "_upstream_test.go"},
		upstream: "pkg/scheduler/framework/plugins/" + upstream}
}

var areas = []area{
	plugin("NodeResourcesFit (fit)", "noderesources/fit", "noderesources/fit_test.go"),
	plugin("NodeResourcesFit (least/most allocated)", "noderesources/allocated", "noderesources/least_allocated_test.go, most_allocated_test.go"),
	plugin("NodeResourcesBalancedAllocation", "noderesources/balanced", "noderesources/balanced_allocation_test.go"),
	plugin("TaintToleration", "tainttoleration/taint_toleration", "tainttoleration/taint_toleration_test.go"),
	plugin("NodeAffinity", "nodeaffinity/node_affinity", "nodeaffinity/node_affinity_test.go"),
	plugin("NodePorts", "nodeports/node_ports", "nodeports/node_ports_test.go"),
	plugin("NodeName", "nodename/node_name", "nodename/node_name_test.go"),
	plugin("NodeUnschedulable", "nodeunschedulable/node_unschedulable", "nodeunschedulable/node_unschedulable_test.go"),
	plugin("ImageLocality", "imagelocality/image_locality", "imagelocality/image_locality_test.go"),
	plugin("PodTopologySpread", "podtopologyspread/podtopologyspread", "podtopologyspread/filtering_test.go, scoring_test.go"),
	plugin("InterPodAffinity", "interpodaffinity/interpodaffinity", "interpodaffinity/filtering_test.go, scoring_test.go"),
	{name: "DefaultPreemption", files: []string{
		"sim/scheduler/plugins/defaultpreemption/preemption_upstream_test.go",
		"sim/scheduler/plugins/defaultpreemption/select_victims_upstream_test.go",
	}, upstream: "pkg/scheduler/framework/plugins/defaultpreemption/default_preemption_test.go"},
	plugin("VolumeZone", "volumebinding/volume_zone", "volumezone/volume_zone_test.go"),
	{name: "VolumeBinding, NodeVolumeLimits, VolumeRestrictions",
		upstream: "pkg/scheduler/framework/plugins/volumebinding, nodevolumelimits, volumerestrictions",
		none:     "not ported: VolumeBinding's tables drive the volume binder's cache and a fake PV controller, NodeVolumeLimits' tables CSINode and CSIDriver objects, none of which the simulator's combined volume plugin has (it reads claims, volumes and classes from the store, and the EBS attachment limit from the instance type); VolumeRestrictions' tables are inline GCE/AWS/RBD/iSCSI disks, not modelled, and ReadWriteOncePod cases whose claims are unbound and classless, which the shared PreFilter rejects as VolumeBinding does"},
	{name: "Pod request helpers", files: []string{"sim/podutil/requests_upstream_test.go"},
		upstream: "k8s.io/component-helpers resource/helpers_test.go"},
	{name: "Deployment util, rolling update and scaling", files: []string{
		"sim/controllers/deployment/util_upstream_test.go", "sim/controllers/deployment/sync_upstream_test.go",
	}, upstream: "pkg/controller/deployment/util/deployment_util_test.go, pkg/controller/deployment/rolling_test.go, pkg/controller/deployment/sync_test.go"},
	{name: "Deployment progress", files: []string{"sim/controllers/deployment/progress_upstream_test.go"},
		upstream: "pkg/controller/deployment/progress_test.go"},
	{name: "ReplicaSet pod ranking", files: []string{"sim/controllers/controllerutil/ranking_upstream_test.go"},
		upstream: "pkg/controller/controller_utils_test.go"},
	{name: "HPA replica calculator and scaling rules", files: []string{
		"sim/controllers/hpa/replica_calculator_upstream_test.go", "sim/controllers/hpa/horizontal_upstream_test.go",
	}, upstream: "pkg/controller/podautoscaler/replica_calculator_test.go, pkg/controller/podautoscaler/horizontal_test.go"},
	{name: "Job backoff", files: []string{"sim/controllers/job/backoff_upstream_test.go"},
		upstream: "pkg/controller/job/backoff_utils_test.go"},
	{name: "CronJob schedule", files: []string{"sim/controllers/cronjob/utils_upstream_test.go"},
		upstream: "pkg/controller/cronjob/utils_test.go"},
	{name: "Node lifecycle monitor timing", files: []string{
		"sim/controllers/nodelifecycle/monitor_upstream_test.go",
		"sim/controllers/nodelifecycle/monitor_lease_upstream_test.go",
		"sim/controllers/nodelifecycle/zone_states_upstream_test.go",
	}, upstream: "pkg/controller/nodelifecycle/node_lifecycle_controller_test.go"},
	{name: "Taint eviction", files: []string{"sim/controllers/nodelifecycle/tainteviction/taint_eviction_upstream_test.go"},
		upstream: "pkg/controller/tainteviction/taint_eviction_test.go"},
	{name: "EKS catalogue (max pods, allocatable, VM overhead, prices)", files: []string{
		"sim/cloud/published_test.go", "sim/cloud/instances_test.go",
	}, tests: []string{"TestCatalogueAgainstPublishedSizes", "TestCatalogueCoversEniMaxPods", "TestCatalogueWorkedExamples"},
		upstream: "EC2 instance type specifications and On-Demand prices (us-east-1); amazon-eks-ami eni-max-pods.txt and kube-reserved formulas; Karpenter zz_generated.memory_overhead.go (sources named in sim/cloud/published_test.go)"},
}

// ported is one area's Test functions, by package import path.
type ported map[string][]string

func (a area) ported(t *testing.T, root string) ported {
	out := ported{}
	for _, f := range a.files {
		file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, f), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("%s: %v", a.name, err)
		}
		pkg := module + filepath.ToSlash(filepath.Dir(f))
		for _, d := range file.Decls {
			name := declName(d)
			if !strings.HasPrefix(name, "Test") || (a.tests != nil && !slices.Contains(a.tests, name)) {
				continue
			}
			out[pkg] = append(out[pkg], name)
		}
	}
	return out
}

// event is one line of `go test -json`.
type event struct {
	Action, Package, Test, Output string
}

// result is what a run measured for one (sub)test.
type result struct {
	action string   // pass, fail or skip
	output []string // the test's own log lines (skip reasons)
}

// runTables runs every area's tests once and returns the results by
// package and test name.
func runTables(t *testing.T, root string, all []ported) map[string]map[string]*result {
	var names, pkgs []string
	for _, p := range all {
		for pkg, tests := range p {
			names = append(names, tests...)
			pkgs = append(pkgs, pkg)
		}
	}
	slices.Sort(names)
	slices.Sort(pkgs)
	args := append([]string{"test", "-json", "-run", "^(" + strings.Join(slices.Compact(names), "|") + ")$"}, slices.Compact(pkgs)...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	res := map[string]map[string]*result{}
	logLine := regexp.MustCompile(`^\s+\S+\.go:\d+: (.*)$`)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Test == "" {
			continue
		}
		if res[e.Package] == nil {
			res[e.Package] = map[string]*result{}
		}
		r := res[e.Package][e.Test]
		if r == nil {
			r = &result{}
			res[e.Package][e.Test] = r
		}
		switch e.Action {
		case "pass", "fail", "skip":
			r.action = e.Action
		case "output":
			line := strings.TrimRight(e.Output, "\n")
			if m := logLine.FindStringSubmatch(line); m != nil {
				r.output = append(r.output, m[1])
			} else if len(r.output) > 0 && strings.HasPrefix(line, "        ") && !strings.HasPrefix(strings.TrimSpace(line), "---") {
				r.output[len(r.output)-1] += " " + strings.TrimSpace(line)
			}
		}
	}
	if err != nil && len(res) == 0 {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return res
}

// count is one area's measured numbers.
type count struct {
	cases, pass, fail, skip int
	reasons                 map[string]int
	failed                  []string
}

// leaves counts the leaf (sub)tests of an area's Test functions: a case
// is a row of an upstream table, or an upstream test without a table.
func leaves(p ported, res map[string]map[string]*result) count {
	c := count{reasons: map[string]int{}}
	for pkg, tests := range p {
		byName := res[pkg]
		for name, r := range byName {
			top, _, _ := strings.Cut(name, "/")
			if !slices.Contains(tests, top) || hasChild(byName, name) {
				continue
			}
			c.cases++
			switch r.action {
			case "pass":
				c.pass++
			case "skip":
				c.skip++
				c.reasons[strings.Join(r.output, " ")]++
			default:
				c.fail++
				c.failed = append(c.failed, pkg+" "+name)
			}
		}
	}
	return c
}

func hasChild(byName map[string]*result, name string) bool {
	for other := range byName {
		if strings.HasPrefix(other, name+"/") {
			return true
		}
	}
	return false
}

func render(counts []count) string {
	var b strings.Builder
	b.WriteString(`# Upstream test tables ported into the simulator's tests

Issue 10 asks that the simulator's scheduling, controller and EKS numbers be proven by
upstream's own unit-test tables: inputs and expected values unchanged, only the harness
adapted. This page counts them per area, as measured by a run of the ported tests.

It is generated: ` + "`go test ./internal/fidelitytables -run TestFidelityTables -update`" + ` rewrites
it, and the same test without ` + "`-update`" + ` fails when the page and a run disagree, or when a
case fails or is skipped without a reason. A *case* is one leaf test: a row of an upstream
table (a subtest), or an upstream test without a table. Each ported file names, at its top,
the upstream file and tests it comes from, its harness changes, and the upstream tests of
the same file not ported and why.

| Area | Ported file(s) | Upstream source | Cases | Passing | Failing | Skipped |
|---|---|---|---:|---:|---:|---:|
`)
	var total count
	for i, a := range areas {
		c := counts[i]
		var links []string
		for _, f := range a.files {
			links = append(links, "`"+f+"`")
		}
		files := strings.Join(links, "<br>")
		if a.none != "" {
			files = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %d |\n", a.name, files, a.upstream, c.cases, c.pass, c.fail, c.skip)
		total.cases += c.cases
		total.pass += c.pass
		total.fail += c.fail
		total.skip += c.skip
	}
	fmt.Fprintf(&b, "| **Total** | | | **%d** | **%d** | **%d** | **%d** |\n", total.cases, total.pass, total.fail, total.skip)

	b.WriteString("\n## Skipped cases, by reason\n")
	for i, a := range areas {
		c := counts[i]
		if c.skip == 0 && a.none == "" {
			continue
		}
		fmt.Fprintf(&b, "\n### %s\n\n", a.name)
		if a.none != "" {
			fmt.Fprintf(&b, "- Nothing ported: %s.\n", strings.TrimPrefix(a.none, "not ported: "))
			continue
		}
		reasons := make([]string, 0, len(c.reasons))
		for r := range c.reasons {
			reasons = append(reasons, r)
		}
		slices.SortFunc(reasons, func(x, y string) int {
			if d := c.reasons[y] - c.reasons[x]; d != 0 {
				return d
			}
			return strings.Compare(x, y)
		})
		for _, r := range reasons {
			n := c.reasons[r]
			noun := "cases"
			if n == 1 {
				noun = "case"
			}
			fmt.Fprintf(&b, "- %d %s: %s\n", n, noun, strings.ReplaceAll(r, "|", `\|`))
		}
	}
	return b.String()
}

// TestFidelityTables runs every ported table and checks
// docs/fidelity-tables.md against what it measured.
func TestFidelityTables(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the ported upstream tables through go test -json")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checkEveryPortIsCounted(t, root)

	all := make([]ported, len(areas))
	for i, a := range areas {
		all[i] = a.ported(t, root)
		if a.none == "" && len(all[i]) == 0 {
			t.Fatalf("area %q has no Test functions", a.name)
		}
	}
	res := runTables(t, root, all)
	counts := make([]count, len(areas))
	for i, a := range areas {
		counts[i] = leaves(all[i], res)
		c := counts[i]
		if a.none == "" && c.cases == 0 {
			t.Errorf("area %q: no case ran", a.name)
		}
		for _, f := range c.failed {
			t.Errorf("area %q: %s failed", a.name, f)
		}
		if n := c.reasons[""]; n > 0 {
			t.Errorf("area %q: %d cases skipped without a reason", a.name, n)
		}
	}
	got := render(counts)
	path := filepath.Join(root, docPath)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/fidelitytables -run TestFidelityTables -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("%s disagrees with a run of the tables; rerun with -update. Measured:\n%s", docPath, got)
	}
}

// checkEveryPortIsCounted fails when a *_upstream_test.go file belongs
// to no area, so a new port cannot go uncounted, and when an area's
// ported files and its upstream sources do not cite each other.
func checkEveryPortIsCounted(t *testing.T, root string) {
	t.Helper()
	counted := map[string]bool{}
	for _, a := range areas {
		cited := map[string]bool{}
		for _, f := range a.files {
			counted[f] = true
			if !strings.HasSuffix(f, "_upstream_test.go") {
				continue
			}
			src, err := os.ReadFile(filepath.Join(root, f))
			if err != nil {
				t.Fatal(err)
			}
			citesOne := false
			for _, u := range strings.Split(a.upstream, ", ") {
				if base := filepath.Base(u); bytes.Contains(src, []byte(base)) {
					cited[base], citesOne = true, true
				}
			}
			if !citesOne {
				t.Errorf("%s cites none of its area's upstream files (%s)", f, a.upstream)
			}
		}
		for _, u := range strings.Split(a.upstream, ", ") {
			if base := filepath.Base(u); len(cited) > 0 && !cited[base] {
				t.Errorf("area %q: no ported file cites %s", a.name, base)
			}
		}
	}
	err := filepath.WalkDir(filepath.Join(root, "sim"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, "_upstream_test.go") {
			rel, _ := filepath.Rel(root, path)
			if !counted[filepath.ToSlash(rel)] {
				t.Errorf("%s belongs to no area of TestFidelityTables", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func declName(d any) string {
	if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
		return fn.Name.Name
	}
	return ""
}
