package scenarios

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// maxNodes bounds the node count of a scenario: far beyond the scale
// target, small enough that a typo (count: 10000000) cannot exhaust memory.
const maxNodes = 20000

// parser holds the state of one load: where referenced files are read
// from, the file being read (for positions) and the errors found so far.
type parser struct {
	fsys fs.FS
	// dir is the scenario's directory inside fsys.
	dir string
	// display names a file referenced by the scenario (relative to it) in
	// error messages.
	display func(rel string) string
	NodeReader
	// budget is how many more YAML nodes manifests may expand to (aliases
	// can make a small file huge).
	budget int
	// manifests are the files named by `kubectl apply -f` lines, read at
	// load time.
	manifests map[string][]Object
	// src is how to read more files later (Scenario.ReadManifests).
	src *source
}

// Load reads and validates the scenario file at path. Manifest and eksctl
// paths inside it are relative to its directory and may not leave it
// (absolute paths, ".." and symlinks pointing outside are refused). The
// error, if any, is an ErrorList.
func Load(file string) (*Scenario, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	src := &source{rootDir: filepath.Dir(file), dir: "."}
	fsys, closeFn, err := src.open()
	if err != nil {
		return nil, err
	}
	defer closeFn()
	return newParser(file, fsys, src).parse(data)
}

// Parse validates a scenario held in memory. filename names it in errors.
// Files it references are read from fsys (nil when it references none),
// relative to filename's directory when filename is a valid fs.FS path
// ("library/demo.yaml"), else relative to the root of fsys.
func Parse(filename string, data []byte, fsys fs.FS) (*Scenario, error) {
	src := &source{fsys: fsys, dir: ".", displayDir: filepath.Dir(filename)}
	if fs.ValidPath(filename) {
		src.dir = path.Dir(filename)
	}
	return newParser(filename, fsys, src).parse(data)
}

func newParser(file string, fsys fs.FS, src *source) *parser {
	return &parser{fsys: fsys, dir: src.dir, display: src.display, NodeReader: NodeReader{file: file}, budget: maxValues,
		manifests: map[string][]Object{}, src: src}
}

// parse decodes the scenario document and checks it as a whole.
func (p *parser) parse(data []byte) (*Scenario, error) {
	docs := p.Documents(data)
	if len(p.errs) > 0 {
		return nil, p.errs.errOrNil()
	}
	if len(docs) == 0 || IsNull(docs[0]) {
		p.errAt(p.file, Pos{1, 1}, "start with `name: my-scenario`", "empty scenario file")
		return nil, p.errs.errOrNil()
	}
	if len(docs) > 1 {
		p.Errorf(docs[1], "put manifests in workloads (inline `manifest:` or `file:`)", "a scenario file holds one YAML document, found %d", len(docs))
	}
	s := p.scenario(docs[0])
	if err := p.errs.errOrNil(); err != nil {
		return nil, err
	}
	s.manifests, s.src, s.raw = p.manifests, p.src, append([]byte(nil), data...)
	return s, nil
}

// scenario decodes the top-level mapping.
func (p *parser) scenario(n *yaml.Node) *Scenario {
	f, ok := p.Mapping(n, "scenario", "name", "description", "seed", "startTime", "duration", "cluster", "workloads", "load", "timeline", "expect")
	s := &Scenario{Seed: 1, Path: p.file}
	if !ok {
		return s
	}
	p.scenarioHeader(f, s)
	s.Cluster = p.cluster(f.Vals["cluster"], f.Has("cluster"), f.Pos())
	s.Workloads = p.workloads(f.Vals["workloads"])
	if v, ok := f.Vals["load"]; ok {
		s.Loads = p.loads(v, s)
	}
	s.Timeline = p.timeline(f.Vals["timeline"], s)
	s.Expect = p.expectations(f.Vals["expect"], s)
	return s
}

// scenarioHeader reads name, description, seed and duration.
func (p *parser) scenarioHeader(f *Fields, s *Scenario) {
	if !f.Has("name") {
		p.errAt(p.file, f.Pos(), "add `name: my-scenario` (lower case letters, digits and '-')", "missing required field \"name\"")
	} else if name, ok := p.Str(f.Vals["name"], "name"); ok {
		if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
			p.Errorf(f.Vals["name"], "use lower case letters, digits and '-', e.g. node-failure", "name %q is not a DNS-1123 label: %s", name, strings.Join(msgs, "; "))
		}
		s.Name = name
	}
	if v, ok := f.Vals["description"]; ok && !IsNull(v) {
		s.Description, _ = p.Str(v, "description")
	}
	if v, ok := f.Vals["seed"]; ok {
		seed, _ := p.Integer(v, "seed", 0, 1<<63-1)
		s.Seed = uint64(seed)
	}
	if v, ok := f.Vals["startTime"]; ok {
		s.StartTime = p.startTime(v)
	}
	if v, ok := f.Vals["duration"]; ok {
		d, ok := p.Duration(v, "duration")
		s.Duration = d
		if ok && d == 0 {
			p.Errorf(v, "", "duration must be positive")
		}
	}
}

// startTime reads the timestamp of virtual time zero (RFC 3339, UTC or
// with an offset).
func (p *parser) startTime(v *yaml.Node) time.Time {
	n := ResolveNode(v)
	if n == nil || n.Kind != yaml.ScalarNode {
		p.Errorf(v, "write it as an RFC 3339 timestamp, e.g. startTime: \"2026-12-04T01:05:00Z\"", "startTime must be a timestamp")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, n.Value)
	if err != nil {
		p.Errorf(v, "write it as an RFC 3339 timestamp, e.g. startTime: \"2026-12-04T01:05:00Z\"", "startTime %q is not an RFC 3339 timestamp", n.Value)
		return time.Time{}
	}
	if t.Year() < 1970 || t.Year() > 9999 {
		p.Errorf(v, "", "startTime %q is out of range (years 1970 to 9999)", n.Value)
		return time.Time{}
	}
	return t.UTC()
}
