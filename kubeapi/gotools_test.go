package kubeapi

import (
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// goTool finds a client that is installed with `go install` (helm, k9s):
// on PATH, else in GOBIN or GOPATH/bin where .ci/run installs it. Like
// the real-kubectl tests, a test whose tool is missing is skipped, saying
// how to install it.
func goTool(t *testing.T, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs := []string{os.Getenv("GOBIN")}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("%s is not installed (on PATH, GOBIN or GOPATH/bin): go install %s", name, pkg)
	return ""
}
