package lab

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/scenarios"
)

// maxLabBytes bounds a lab file: far beyond any real lab, small enough
// that a mistaken path (a log file) fails fast.
const maxLabBytes = 1 << 20

// Load reads and validates the lab file at file. A scenario it names by
// path is relative to the lab's directory. The error, if any, is a
// scenarios.ErrorList (file:line:column messages).
func Load(file string) (*Lab, error) {
	data, err := readLimited(file)
	if err != nil {
		return nil, err
	}
	return parse(file, data, nil)
}

func readLimited(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLabBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxLabBytes {
		return nil, fmt.Errorf("%s: a lab file is at most %d bytes", file, maxLabBytes)
	}
	return data, nil
}

// Parse validates a lab held in memory; filename names it in errors.
// Scenario and manifest files it names are read from fsys relative to
// filename's directory (nil: it names none).
func Parse(filename string, data []byte, fsys fs.FS) (*Lab, error) {
	if fsys == nil {
		fsys = emptyFS{}
	}
	return parse(filename, data, fsys)
}

type emptyFS struct{}

func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// parser collects every problem of one lab file.
type parser struct {
	file string
	data []byte
	// fsys is where an embedded or in-memory lab's files are; nil for a
	// lab on disk (scenarios.Load guards its paths).
	fsys fs.FS
	*scenarios.NodeReader
}

// labFields are a lab file's top-level fields.
var labFields = []string{"name", "title", "domain", "points", "warmup", "scenario", "task", "hints", "checks", "solution"}

func parse(file string, data []byte, fsys fs.FS) (l *Lab, err error) {
	p := &parser{file: file, data: data, fsys: fsys, NodeReader: scenarios.NewNodeReader(file)}
	root := p.document()
	if p.Count() > 0 {
		return nil, p.Err()
	}
	if root == nil {
		p.Add(&scenarios.Error{File: file, Line: 1, Column: 1, Msg: "empty lab file",
			Hint: "start with `name: my-lab`; see docs/lab-format.md"})
		return nil, p.Err()
	}
	if root.Kind != yaml.MappingNode {
		p.Errorf(root, "see docs/lab-format.md", "a lab file is a mapping (name:, task:, checks: ...), not %s", scenarios.DescribeNode(root))
		return nil, p.Err()
	}
	f := p.fields(root, "lab", labFields)
	l = &Lab{File: file, Raw: append([]byte(nil), data...), Warmup: DefaultWarmup}
	l.Name = p.str(f, "name", true)
	if l.Name != "" && !nameRE.MatchString(l.Name) {
		p.Errorf(f["name"], "use lower-case letters, digits and '-', e.g. `broken-image`", "lab name %q is not a valid name", l.Name)
	}
	l.Title = p.str(f, "title", true)
	if n, ok := f["domain"]; ok {
		l.Domain = p.scalar(n, "domain")
		if _, known := LookupDomain(l.Domain); !known && l.Domain != "" {
			p.Errorf(n, textdist.DidYouMean(l.Domain, DomainNames(), "domains"), "unknown CKA domain %q (domains: %s)", l.Domain, strings.Join(DomainNames(), ", "))
		}
	} else {
		p.Errorf(root, "add `domain:` (one of "+strings.Join(DomainNames(), ", ")+")", "the lab has no domain")
	}
	if n, ok := f["points"]; ok {
		v, err := strconv.Atoi(p.scalar(n, "points"))
		if err != nil || v < 1 || v > 100 {
			p.Errorf(n, "the CKA weighs a task 2 to 13 points", "points must be a whole number from 1 to 100, not %s", scenarios.DescribeNode(n))
		}
		l.Points = v
	} else {
		p.Errorf(root, "add `points: 7`", "the lab has no points value")
	}
	if n, ok := f["warmup"]; ok {
		d, err := time.ParseDuration(p.scalar(n, "warmup"))
		if err != nil || d < 0 || d > 2*time.Hour {
			p.Errorf(n, "a duration such as 90s or 2m", "warmup must be a duration from 0 to 2h, not %s", scenarios.DescribeNode(n))
		}
		l.Warmup = d
	}
	task, hasTask := f["task"]
	if hasTask {
		l.Task = strings.TrimSpace(p.scalar(task, "task"))
		if l.Task == "" {
			p.Errorf(task, "say what the learner must achieve, in Markdown", "the task is empty")
		}
	}
	if n, ok := f["hints"]; ok {
		if !hasTask {
			p.Errorf(n, "add `task:` (Markdown) before the hints", "hints without a task: a hint helps with a task, and this lab has none")
		}
		for _, h := range p.list(n, "hints") {
			s := strings.TrimSpace(p.scalar(h, "a hint"))
			if s == "" {
				p.Errorf(h, "", "a hint is empty")
			}
			l.Hints = append(l.Hints, s)
		}
	} else if !hasTask {
		p.Errorf(root, "add `task: |` with what the learner must do, in Markdown", "the lab has no task")
	}
	if n, ok := f["scenario"]; ok {
		l.Scenario = p.scenario(n, root)
	} else {
		p.Errorf(root, "add `scenario:` (a library scenario name, a file, or the scenario inline)", "the lab has no starting scenario")
	}
	if n, ok := f["checks"]; ok {
		items := p.list(n, "checks")
		if len(items) == 0 && n.Kind == yaml.SequenceNode {
			p.Errorf(n, "", "a lab needs at least one check")
		}
		for _, c := range items {
			if chk, ok := p.check(c); ok {
				l.Checks = append(l.Checks, chk)
			}
		}
	} else {
		p.Errorf(root, "add `checks:` with at least one check; see docs/lab-format.md", "the lab has no checks")
	}
	if n, ok := f["solution"]; ok {
		for _, s := range p.list(n, "solution") {
			l.Solution = append(l.Solution, p.step(s))
		}
	}
	if p.Count() > 0 {
		return nil, p.Err()
	}
	return l, nil
}

// DefaultWarmup is the virtual time a lab's scenario runs before the
// learner gets it, unless the lab says otherwise: nodes Ready, add-ons
// and workloads started (or failing, in a broken start).
const DefaultWarmup = 90 * time.Second

var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// document parses the one YAML document of the file.
func (p *parser) document() *yaml.Node {
	docs := p.Documents(p.data)
	if len(docs) > 1 {
		p.Errorf(cmp.Or(docs[1], docs[0]), "one lab per file", "a lab file holds one YAML document")
		return nil
	}
	if len(docs) == 0 || docs[0] == nil || docs[0].ShortTag() == "!!null" {
		return nil
	}
	return docs[0]
}

// fields checks that n's keys are among allowed and returns the values by
// key (duplicates and unknown keys are errors).
func (p *parser) fields(n *yaml.Node, what string, allowed []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.Errorf(k, "", "%s: a key must be a plain name", what)
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			p.Errorf(k, textdist.DidYouMean(k.Value, allowed, "fields"), "%s: unknown field %q", what, k.Value)
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.Errorf(k, "remove one of them", "%s: field %q given twice", what, k.Value)
			continue
		}
		out[k.Value] = scenarios.ResolveNode(v)
	}
	return out
}

func (p *parser) str(f map[string]*yaml.Node, key string, required bool) string {
	n, ok := f[key]
	if !ok {
		if required {
			p.Add(&scenarios.Error{File: p.file, Line: 1, Column: 1, Msg: fmt.Sprintf("the lab has no %s", key),
				Hint: fmt.Sprintf("add `%s:`", key)})
		}
		return ""
	}
	s := strings.TrimSpace(p.scalar(n, key))
	if s == "" && required {
		p.Errorf(n, "", "%s is empty", key)
	}
	return s
}

func (p *parser) scalar(n *yaml.Node, what string) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		p.Errorf(n, "", "%s must be a single value, not %s", what, scenarios.DescribeNode(n))
		return ""
	}
	if n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

func (p *parser) list(n *yaml.Node, what string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.Errorf(n, "write it as a list (`- ...`)", "%s must be a list, not %s", what, scenarios.DescribeNode(n))
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = scenarios.ResolveNode(c)
	}
	return out
}

// step reads one solution step: a command line, or {run:, stdin:}.
func (p *parser) step(n *yaml.Node) Step {
	var s Step
	switch n.Kind {
	case yaml.ScalarNode:
		s.Run = n.Value
	case yaml.MappingNode:
		f := p.fields(n, "solution step", []string{"run", "stdin"})
		s.Run = p.str(f, "run", false)
		if v, ok := f["stdin"]; ok {
			s.Stdin = p.scalar(v, "stdin")
		}
	default:
		p.Errorf(n, "", "a solution step is a command line or {run:, stdin:}, not %s", scenarios.DescribeNode(n))
		return s
	}
	words, err := s.Args()
	switch {
	case err != nil:
		p.Errorf(n, "", "solution step: %v", err)
	case len(words) == 0:
		p.Errorf(n, "", "a solution step is empty")
	case !slices.Contains(stepCommands, words[0]):
		p.Errorf(n, "a step starts with "+strings.Join(stepCommands, ", "), "solution step: unknown command %q", words[0])
	}
	return s
}

// stepCommands are what a solution may run: kubectl, and the lab's own
// stand-ins for work done on a machine (etcdctl on a control-plane node,
// ssh to a worker).
var stepCommands = []string{"kubectl", "etcdctl", "ssh"}

// scenario reads the starting scenario: a library scenario name, a
// scenario file relative to the lab, or the scenario inline.
func (p *parser) scenario(n *yaml.Node, root *yaml.Node) *scenarios.Scenario {
	switch n.Kind {
	case yaml.ScalarNode:
		return p.scenarioRef(n)
	case yaml.MappingNode:
		return p.scenarioInline(n, root)
	}
	p.Errorf(n, "a library scenario name, a file name, or the scenario inline", "scenario must be a name or a mapping, not %s", scenarios.DescribeNode(n))
	return nil
}

func (p *parser) scenarioRef(n *yaml.Node) *scenarios.Scenario {
	ref := n.Value
	isFile := strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") || strings.ContainsAny(ref, `/\`)
	if !isFile {
		if !slices.Contains(scenarios.LibraryNames(), ref) {
			p.Errorf(n, textdist.DidYouMean(ref, scenarios.LibraryNames(), "library scenarios"), "no library scenario named %q", ref)
			return nil
		}
		s, err := scenarios.LoadLibrary(ref)
		if err != nil {
			p.Errorf(n, "", "scenario %s: %v", ref, err)
		}
		return s
	}
	var s *scenarios.Scenario
	var err error
	if p.fsys == nil {
		if filepath.IsAbs(ref) || slices.Contains(strings.Split(filepath.ToSlash(ref), "/"), "..") {
			p.Errorf(n, "keep the scenario next to the lab", "scenario file %q must be inside the lab's directory", ref)
			return nil
		}
		s, err = scenarios.Load(filepath.Join(filepath.Dir(p.file), ref))
	} else {
		rel := path.Join(path.Dir(p.file), ref)
		data, rerr := fs.ReadFile(p.fsys, rel)
		if rerr != nil {
			p.Errorf(n, "", "cannot read scenario file %q: %v", ref, rerr)
			return nil
		}
		s, err = scenarios.Parse(rel, data, p.fsys)
	}
	if err != nil {
		var list scenarios.ErrorList
		if errors.As(err, &list) {
			p.Add(list...)
		} else {
			p.Errorf(n, "", "scenario file %q: %v", ref, err)
		}
		return nil
	}
	return s
}

// scenarioInline parses the scenario written inside the lab file: its
// text is cut out of the file, dedented and parsed by the scenario
// loader, and the loader's positions are moved back to the lab file's.
func (p *parser) scenarioInline(n *yaml.Node, root *yaml.Node) *scenarios.Scenario {
	lines := strings.Split(string(p.data), "\n")
	first := n.Line - 1
	end := len(lines)
	for i := 0; i+1 < len(root.Content); i += 2 { // the block ends where the next top-level key starts
		if k := root.Content[i]; k.Line-1 > first && k.Line-1 < end {
			end = k.Line - 1
		}
	}
	if first < 0 || first >= len(lines) || n.Column < 1 {
		p.Errorf(n, "", "cannot locate the inline scenario")
		return nil
	}
	off := n.Column - 1
	var b strings.Builder
	for i := first; i < end; i++ {
		line := lines[i]
		if i == first {
			line = cutCols(line, off)
		} else if strings.HasPrefix(line, strings.Repeat(" ", off)) {
			line = line[off:]
		} else {
			line = strings.TrimLeft(line, " \t")
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	fsys := p.fsys
	name := p.file
	if fsys == nil { // a lab on disk: its manifests are next to it
		fsys = os.DirFS(filepath.Dir(p.file))
		name = filepath.Base(p.file)
	}
	s, err := scenarios.Parse(name, []byte(b.String()), fsys)
	if err != nil {
		var list scenarios.ErrorList
		if !errors.As(err, &list) {
			p.Errorf(n, "", "scenario: %v", err)
			return nil
		}
		for _, e := range list {
			c := *e
			if c.File == name {
				c.File = p.file
				c.Line += first
				c.Column += off
			}
			c.Msg = "scenario: " + c.Msg
			p.Add(&c)
		}
		return nil
	}
	return s
}

// cutCols drops the first n runes of a line (the lab's indentation of an
// inline scenario's first line).
func cutCols(line string, n int) string {
	r := []rune(line)
	if n > len(r) {
		return ""
	}
	return string(r[n:])
}

// strictDecode decodes a mapping into out (a pointer to a struct with
// yaml tags), reporting unknown keys with a suggestion and wrong types
// at their position.
func (p *parser) strictDecode(n *yaml.Node, what string, out any) bool {
	if n.Kind != yaml.MappingNode {
		p.Errorf(n, "", "%s must be a mapping, not %s", what, scenarios.DescribeNode(n))
		return false
	}
	ok := p.checkKeys(n, what, reflect.TypeOf(out).Elem())
	if err := n.Decode(out); err != nil {
		ok = false
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				line, msg := scenarios.SplitYAMLLine(e)
				line = cmp.Or(line, n.Line)
				p.Add(&scenarios.Error{File: p.file, Line: line, Column: 1, Msg: what + ": " + msg})
			}
		} else {
			p.Errorf(n, "", "%s: %v", what, err)
		}
	}
	return ok
}

func (p *parser) checkKeys(n *yaml.Node, what string, t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || n.Kind != yaml.MappingNode {
		return true
	}
	names := map[string]reflect.Type{}
	var order []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		names[tag] = t.Field(i).Type
		order = append(order, tag)
	}
	ok := true
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], scenarios.ResolveNode(n.Content[i+1])
		ft, known := names[k.Value]
		if !known {
			p.Errorf(k, textdist.DidYouMean(k.Value, order, "fields"), "%s: unknown field %q (fields: %s)", what, k.Value, strings.Join(order, ", "))
			ok = false
			continue
		}
		if seen[k.Value] {
			p.Errorf(k, "remove one of them", "%s: field %q given twice", what, k.Value)
			ok = false
		}
		seen[k.Value] = true
		if v != nil && v.Kind == yaml.MappingNode {
			ok = p.checkKeys(v, what+"."+k.Value, ft) && ok
		}
	}
	return ok
}
