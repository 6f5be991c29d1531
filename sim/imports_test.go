package sim

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kubesim/kubesim/"

// shared are the packages under sim/controllers that are not controllers
// but what controllers share.
var shared = map[string]bool{"controllerutil": true, "history": true}

// importProblem says why the package in dir (relative to sim/) may not
// import path, or "" if it may: imports point down.
func importProblem(dir, path string) string {
	rel, ok := strings.CutPrefix(path, module)
	if !ok {
		return ""
	}
	top := strings.SplitN(rel, "/", 2)[0]
	switch top {
	case "live", "tui", "web", "kubeapi", "cmd":
		return "sim/ never imports a frontend"
	}
	if as, ok := strings.CutPrefix(rel, "sim/autoscalers/"); ok {
		if own, ok := strings.CutPrefix(dir, "autoscalers/"); ok {
			mine, theirs := strings.SplitN(own, "/", 2)[0], strings.SplitN(as, "/", 2)[0]
			if mine != theirs && mine != "simulator" && theirs != "simulator" {
				return "an autoscaler never imports another autoscaler (share through autoscalers/simulator)"
			}
		}
		return ""
	}
	ctrl, isCtrl := strings.CutPrefix(rel, "sim/controllers/")
	if !isCtrl {
		return ""
	}
	if dir == "apiserver" || strings.HasPrefix(dir, "apiserver/") {
		return "the API server never imports a controller"
	}
	if own, ok := strings.CutPrefix(dir, "controllers/"); ok {
		mine, theirs := strings.SplitN(own, "/", 2)[0], strings.SplitN(ctrl, "/", 2)[0]
		if mine != theirs && !shared[theirs] && !shared[mine] {
			return "a controller never imports another controller (share through controllerutil or history)"
		}
	}
	return ""
}

// TestImportsPointDown checks the layering the design promises on every
// non-test file of sim/: no frontend imports, no controller in the API
// server, no controller importing another, no autoscaler importing
// another.
func TestImportsPointDown(t *testing.T) {
	tests := func(path string, dir bool) bool { return !dir && strings.HasSuffix(path, "_test.go") }
	walkSim(t, parser.ImportsOnly, tests, func(_ *token.FileSet, path string, f *ast.File) {
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if why := importProblem(dir, p); why != "" {
				t.Errorf("sim/%s imports %s: %s", filepath.ToSlash(path), p, why)
			}
		}
	})
}

func TestImportProblemRules(t *testing.T) {
	for _, tc := range []struct {
		dir, path string
		bad       bool
	}{
		{"runner", module + "live", true},
		{"store", module + "kubeapi", true},
		{"apiserver", module + "sim/controllers/cronjob", true},
		{"apiserver", module + "sim/cron", false},
		{"controllers/deployment", module + "sim/controllers/replicaset", true},
		{"controllers/deployment", module + "sim/controllers/controllerutil", false},
		{"controllers/statefulset", module + "sim/controllers/history", false},
		{"controllers/nodelifecycle", module + "sim/controllers/nodelifecycle/tainteviction", false},
		{"cluster", module + "sim/controllers/deployment", false},
		{"runner", "k8s.io/api/core/v1", false},
		{"autoscalers/karpenter", module + "sim/autoscalers/clusterautoscaler", true},
		{"autoscalers/clusterautoscaler", module + "sim/autoscalers/simulator", false},
	} {
		if got := importProblem(tc.dir, tc.path) != ""; got != tc.bad {
			t.Errorf("sim/%s importing %s: problem=%v, want %v", tc.dir, tc.path, got, tc.bad)
		}
	}
}
