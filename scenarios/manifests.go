package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/sim/store"
)

// source says where a scenario's referenced files live: a directory on
// disk (Load: reopened on demand, confined with os.Root) or an fs.FS
// (Parse, the embedded library).
type source struct {
	rootDir    string // Load: the scenario's directory on disk
	fsys       fs.FS  // Parse: the file system given
	dir        string // the scenario's directory inside the file system
	displayDir string // Parse with a non-fs path: the directory shown in errors
}

// open returns the file system to read from and a function releasing it.
func (s *source) open() (fs.FS, func(), error) {
	if s.rootDir == "" {
		return s.fsys, func() {}, nil
	}
	root, err := os.OpenRoot(s.rootDir)
	if err != nil {
		return nil, nil, err
	}
	return root.FS(), func() { root.Close() }, nil
}

// display names a referenced file (relative to the scenario) in errors.
func (s *source) display(rel string) string {
	switch {
	case s.rootDir != "":
		return filepath.Join(s.rootDir, filepath.FromSlash(rel))
	case s.dir != "." || s.displayDir == "":
		return path.Join(s.dir, rel)
	}
	return filepath.Join(s.displayDir, filepath.FromSlash(rel))
}

// ReadManifests returns the objects of a manifest file named relative to
// the scenario (what `kubectl apply -f FILE` reads during a run). Files
// named in the scenario's own kubectl lines were read and checked at load
// time; others are read now, under the same rules. The objects are fresh
// copies, owned by the caller.
func (s *Scenario) ReadManifests(file string) ([]store.Object, error) {
	if objs, ok := s.manifests[file]; ok {
		return copyObjects(objs), nil
	}
	if s.src == nil {
		return nil, fmt.Errorf("error: the path %q does not exist", file)
	}
	fsys, closeFn, err := s.src.open()
	if err != nil {
		return nil, err
	}
	defer closeFn()
	p := newParser(s.Path, fsys, s.src)
	objs := p.manifestPath(&yaml.Node{Kind: yaml.ScalarNode, Value: file}, file, "kubectl apply -f")
	p.checkDuplicates(objs, "this apply")
	if err := p.errs.errOrNil(); err != nil {
		return nil, unpositioned(err, s.Path)
	}
	return copyObjects(objs), nil
}

// ReadFile returns the bytes of a file named relative to the scenario,
// under the same confinement as manifests (no absolute paths, no escape
// from the scenario's directory).
func (s *Scenario) ReadFile(rel string) ([]byte, error) {
	if s.src == nil || !fs.ValidPath(path.Clean(rel)) || path.IsAbs(rel) {
		return nil, fmt.Errorf("scenarios: %q is not a path inside the scenario's directory", rel)
	}
	fsys, closeFn, err := s.src.open()
	if err != nil {
		return nil, err
	}
	defer closeFn()
	return readFileLimited(fsys, path.Join(s.src.dir, path.Clean(rel)))
}

// unpositioned drops the meaningless position of errors about the path
// itself (they have no line in the scenario file).
func unpositioned(err error, scenarioFile string) error {
	var list ErrorList
	if !errors.As(err, &list) {
		return err
	}
	for _, e := range list {
		if e.File == scenarioFile {
			return errors.New(e.Msg)
		}
	}
	return err
}

func copyObjects(objs []Object) []store.Object {
	out := make([]store.Object, len(objs))
	for i, o := range objs {
		out[i] = o.Obj.DeepCopyObject().(store.Object)
	}
	return out
}
