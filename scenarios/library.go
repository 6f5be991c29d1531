package scenarios

import (
	"embed"
	"fmt"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/internal/library"
	"github.com/kubesim/kubesim/internal/textdist"
)

// libraryFS holds the built-in scenarios and their manifests.
//
//go:embed library
var libraryFS embed.FS

// Entry describes one library scenario.
type Entry struct {
	Name        string
	Description string
}

// Library lists the built-in scenarios, sorted by name.
func Library() []Entry {
	names := library.Names(libraryFS)
	out := make([]Entry, 0, len(names))
	for _, n := range names {
		out = append(out, libraryEntry(library.File(n)))
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// libraryEntry reads a library file's name and description without a full
// load; the name defaults to the file name.
func libraryEntry(file string) Entry {
	e := Entry{Name: strings.TrimSuffix(path.Base(file), ".yaml")}
	data, err := libraryFS.ReadFile(file)
	if err != nil {
		return e
	}
	var head struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
	}
	if yaml.Unmarshal(data, &head) == nil {
		if head.Name != "" {
			e.Name = head.Name
		}
		e.Description = strings.TrimSpace(head.Description)
	}
	return e
}

// LibraryNames lists the library scenarios' names, sorted.
func LibraryNames() []string {
	lib := Library()
	out := make([]string, len(lib))
	for i, e := range lib {
		out[i] = e.Name
	}
	return out
}

// LoadLibrary loads the built-in scenario called name.
func LoadLibrary(name string) (*Scenario, error) {
	data, err := LibrarySource(name)
	if err != nil {
		return nil, err
	}
	return Parse(library.File(name), data, libraryFS)
}

// LibrarySource returns the YAML text of the built-in scenario called
// name (for `kubesim scenarios show`).
func LibrarySource(name string) ([]byte, error) {
	_, data, ok := library.Read(libraryFS, name)
	if !ok {
		return nil, unknownScenario(name)
	}
	return data, nil
}

// LibraryManifest returns a manifest file the library scenarios share
// (e.g. "manifests/karpenter-nodeclass.yaml"), for a generated scenario
// that uses the same objects.
func LibraryManifest(file string) ([]byte, error) {
	return libraryFS.ReadFile(path.Join(library.Dir, file))
}

// Resolve loads a scenario named on a command line: an existing file
// path, else a library scenario name.
func Resolve(arg string) (*Scenario, error) {
	return library.Resolve(arg, "scenario", Load, LoadLibrary)
}

func unknownScenario(name string) error {
	names := LibraryNames()
	msg := fmt.Sprintf("no scenario file or library scenario named %q (library: %s)", name, strings.Join(names, ", "))
	if s := textdist.Suggest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return fmt.Errorf("%s", msg)
}

// ParseLibraryVariant parses data as if it were the library scenario
// called name, so that its manifests resolve: tests run library scenarios
// with changed timelines this way.
func ParseLibraryVariant(name string, data []byte) (*Scenario, error) {
	return Parse(library.File(name), data, libraryFS)
}
