// Package library is what the built-in scenarios, plans and labs have in
// common: YAML files embedded under library/ and known by their file names,
// and the command-line rule that an argument naming an existing file is that
// file and anything else is a library name.
package library

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// Dir is the directory of fsys that holds the library files.
const Dir = "library"

// File is the path in fsys of the library file called name.
func File(name string) string { return Dir + "/" + name + ".yaml" }

// Names lists the library files of fsys by name (file name without
// .yaml), sorted.
func Names(fsys fs.FS) []string {
	files, _ := fs.Glob(fsys, Dir+"/*.yaml")
	out := make([]string, 0, len(files))
	for _, f := range files {
		out = append(out, strings.TrimSuffix(path.Base(f), ".yaml"))
	}
	slices.Sort(out)
	return out
}

// Read returns the path and text of the library file called name; ok is
// false when there is none (or name is not a plain name).
func Read(fsys fs.FS, name string) (file string, data []byte, ok bool) {
	file = File(name)
	if !fs.ValidPath(file) || strings.ContainsAny(name, `/\`) {
		return file, nil, false
	}
	data, err := fs.ReadFile(fsys, file)
	return file, data, err == nil
}

// Resolve loads what a command-line argument names: an existing file with
// load, else the library entry of that name with loadLibrary. An argument
// that looks like a path (a slash, or a .yaml or .yml name) but is no
// file is an error naming the kind ("scenario", "plan", "lab").
func Resolve[T any](arg, kind string, load, loadLibrary func(string) (T, error)) (T, error) {
	if info, err := os.Stat(arg); err == nil && !info.IsDir() {
		return load(arg)
	}
	if strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		var zero T
		return zero, fmt.Errorf("%s file %q not found", kind, arg)
	}
	return loadLibrary(arg)
}
