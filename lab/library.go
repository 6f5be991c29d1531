package lab

import (
	"embed"
	"fmt"

	"github.com/kubesim/kubesim/internal/library"
	"github.com/kubesim/kubesim/internal/textdist"
)

//go:embed library
var libraryFS embed.FS

// LibraryNames lists the built-in labs, sorted.
func LibraryNames() []string { return library.Names(libraryFS) }

// LoadLibrary loads the built-in lab called name.
func LoadLibrary(name string) (*Lab, error) {
	file, data, ok := library.Read(libraryFS, name)
	if !ok {
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
	return library.Resolve(arg, "lab", Load, LoadLibrary)
}

func unknownLab(name string) error {
	msg := fmt.Sprintf("no lab file or built-in lab named %q (see `kubesim lab list`)", name)
	if s := textdist.Suggest(name, LibraryNames()); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return fmt.Errorf("%s", msg)
}
