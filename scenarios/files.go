package scenarios

import (
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds a referenced file: manifests are small, and a
// mistaken reference to a huge file should fail fast.
const maxFileSize = 16 << 20

// readRef reads the file named by the string node n (a path relative to
// the scenario's directory). It refuses paths that leave the directory:
// absolute paths, ".." escapes and (with Load) symlinks pointing outside.
func (p *parser) readRef(n *yaml.Node, what string) (string, []byte, bool) {
	rel, ok := p.Str(n, what)
	if !ok {
		return "", nil, false
	}
	data, ok := p.readPath(n, rel, what)
	return rel, data, ok
}

// readPath reads the file rel, reporting problems at node n.
func (p *parser) readPath(n *yaml.Node, rel, what string) ([]byte, bool) {
	const keep = "keep manifests next to the scenario file or in a folder below it"
	if rel == "" {
		p.Errorf(n, "", "%s: empty file name", what)
		return nil, false
	}
	slash := filepath.ToSlash(rel)
	if filepath.IsAbs(rel) || path.IsAbs(slash) || !filepath.IsLocal(rel) || !fs.ValidPath(path.Clean(slash)) {
		p.Errorf(n, keep, "%s: path %q leaves the scenario's directory", what, rel)
		return nil, false
	}
	if p.fsys == nil {
		p.Errorf(n, "", "%s: cannot read %q: this scenario was given without a file system", what, rel)
		return nil, false
	}
	name := path.Clean(path.Join(p.dir, slash))
	data, err := readFileLimited(p.fsys, name)
	switch {
	case err == nil:
		return data, true
	case errors.Is(err, fs.ErrNotExist):
		p.Errorf(n, "the path is relative to the scenario file's directory", "%s: file %q not found", what, rel)
	case strings.Contains(err.Error(), "escapes"):
		p.Errorf(n, keep, "%s: path %q leaves the scenario's directory (through a symlink)", what, rel)
	default:
		p.Errorf(n, "", "%s: cannot read %q: %v", what, rel, unwrapPathError(err))
	}
	return nil, false
}

// readFileLimited reads a regular file of at most maxFileSize bytes.
func readFileLimited(fsys fs.FS, name string) ([]byte, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return nil, errors.New("is a directory")
	}
	if info.Size() > maxFileSize {
		return nil, errors.New("file is larger than 16 MiB")
	}
	return fs.ReadFile(fsys, name)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
