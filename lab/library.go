package lab

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/kubesim/kubesim/internal/textdist"
)

//go:embed library
var libraryFS embed.FS

// LibraryNames lists the built-in labs, sorted.
func LibraryNames() []string {
	entries, _ := fs.ReadDir(libraryFS, "library")
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	slices.Sort(out)
	return out
}

// LoadLibrary loads the built-in lab called name.
func LoadLibrary(name string) (*Lab, error) {
	file := path.Join("library", name+".yaml")
	data, err := libraryFS.ReadFile(file)
	if err != nil || strings.ContainsAny(name, `/\`) {
		return nil, unknownLab(name)
	}
	return Parse(file, data, libraryFS)
}

// Library loads every built-in lab.
func Library() ([]*Lab, error) {
	var out []*Lab
	for _, n := range LibraryNames() {
		l, err := LoadLibrary(n)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// Resolve loads a lab named on a command line: a lab file, else a
// built-in lab's name.
func Resolve(arg string) (*Lab, error) {
	if info, err := os.Stat(arg); err == nil && !info.IsDir() {
		return Load(arg)
	}
	if strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		return nil, fmt.Errorf("lab file %q not found", arg)
	}
	return LoadLibrary(arg)
}

func unknownLab(name string) error {
	msg := fmt.Sprintf("no lab file or built-in lab named %q (see `kubesim lab list`)", name)
	if s := textdist.Suggest(name, LibraryNames()); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return fmt.Errorf("%s", msg)
}
