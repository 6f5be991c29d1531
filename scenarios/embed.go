package scenarios

import (
	"io/fs"
	"path"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/internal/textdist"
)

// LoadWorkloads reads a `workloads:` list found at node n of file, a
// document of another format that embeds one (a plan file), with the
// scenario loader's strictness and positions: manifest paths are relative
// to file's directory and may not leave it. The error is an ErrorList.
func LoadWorkloads(file string, n *yaml.Node) ([]Object, error) {
	src := &source{rootDir: filepath.Dir(file), dir: "."}
	fsys, closeFn, err := src.open()
	if err != nil {
		return nil, err
	}
	defer closeFn()
	p := newParser(file, fsys, src)
	objs := p.workloads(n)
	return objs, p.errs.errOrNil()
}

// ParseWorkloads is LoadWorkloads for a document held in an fs.FS (the
// embedded plan library): manifest paths are relative to filename's
// directory inside fsys.
func ParseWorkloads(filename string, n *yaml.Node, fsys fs.FS) ([]Object, error) {
	src := &source{fsys: fsys, dir: path.Dir(filename)}
	p := newParser(filename, fsys, src)
	objs := p.workloads(n)
	return objs, p.errs.errOrNil()
}

// DidYouMean is the loader's hint for an unknown name: the closest
// candidate when one is close, else the list of valid names.
func DidYouMean(word string, candidates []string, what string) string {
	return textdist.DidYouMean(word, candidates, what)
}

// InstanceTypeHint is the loader's hint for an unknown instance type.
func InstanceTypeHint(name string) string { return instanceTypeHint(name) }
