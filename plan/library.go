package plan

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/kubesim/kubesim/scenarios"
)

// libraryFS holds the built-in plans and their manifests.
//
//go:embed library
var libraryFS embed.FS

// LibraryNames lists the built-in plans, sorted.
func LibraryNames() []string {
	files, _ := fs.Glob(libraryFS, "library/*.yaml")
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(path.Base(f), ".yaml"))
	}
	slices.Sort(out)
	return out
}

// LoadLibrary loads the built-in plan called name.
func LoadLibrary(name string) (*Plan, error) {
	file := "library/" + name + ".yaml"
	data, err := libraryFS.ReadFile(file)
	if err != nil || strings.ContainsAny(name, `/\`) {
		return nil, unknownPlan(name)
	}
	return Parse(file, data, libraryFS)
}

// Resolve loads a plan named on a command line: an existing file, else a
// library plan.
func Resolve(arg string) (*Plan, error) {
	if info, err := os.Stat(arg); err == nil && !info.IsDir() {
		return Load(arg)
	}
	if slices.Contains(LibraryNames(), arg) {
		return LoadLibrary(arg)
	}
	if strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".yaml") {
		return nil, fmt.Errorf("plan file %q not found", arg)
	}
	return nil, unknownPlan(arg)
}

func unknownPlan(name string) error {
	return fmt.Errorf("no plan file or library plan named %q; %s", name, scenarios.DidYouMean(name, LibraryNames(), "library plans"))
}
