package plan

import (
	"embed"
	"fmt"

	"github.com/kubesim/kubesim/internal/library"
	"github.com/kubesim/kubesim/scenarios"
)

// libraryFS holds the built-in plans and their manifests.
//
//go:embed library
var libraryFS embed.FS

// LibraryNames lists the built-in plans, sorted.
func LibraryNames() []string { return library.Names(libraryFS) }

// LoadLibrary loads the built-in plan called name.
func LoadLibrary(name string) (*Plan, error) {
	file, data, ok := library.Read(libraryFS, name)
	if !ok {
		return nil, unknownPlan(name)
	}
	return Parse(file, data, libraryFS)
}

// Resolve loads a plan named on a command line: an existing file, else a
// library plan.
func Resolve(arg string) (*Plan, error) {
	return library.Resolve(arg, "plan", Load, LoadLibrary)
}

func unknownPlan(name string) error {
	return fmt.Errorf("no plan file or library plan named %q; %s", name, scenarios.DidYouMean(name, LibraryNames(), "library plans"))
}
