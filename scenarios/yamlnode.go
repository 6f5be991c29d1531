package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/internal/textdist"
)

// NodeReader reads a YAML file node by node, checking each value's type and
// collecting every problem as a positioned Error (file:line:column, message,
// hint) instead of stopping at the first. The scenario loader, the plan
// loader and the lab loader all read their files with it, so a mistake reads
// the same whichever file it is in.
type NodeReader struct {
	file string
	errs ErrorList
}

// NewNodeReader reads nodes of file (the name errors carry).
func NewNodeReader(file string) *NodeReader { return &NodeReader{file: file} }

// Errorf records an error at node n of the file (1:1 for a nil node).
func (p *NodeReader) Errorf(n *yaml.Node, hint, format string, args ...any) {
	p.errAt(p.file, NodePos(n), hint, fmt.Sprintf(format, args...))
}

// errAt records an error at a position of a file.
func (p *NodeReader) errAt(file string, pos Pos, hint, msg string) {
	p.errs = append(p.errs, &Error{File: file, Line: pos.Line, Column: pos.Column, Msg: msg, Hint: hint})
}

// Add records errors found elsewhere (a nested file, a cross-field check).
func (p *NodeReader) Add(errs ...*Error) { p.errs = append(p.errs, errs...) }

// Count is how many errors were recorded so far.
func (p *NodeReader) Count() int { return len(p.errs) }

// Err is the errors recorded so far as an ErrorList sorted by position, or
// nil when there are none.
func (p *NodeReader) Err() error { return p.errs.errOrNil() }

// Fields is a YAML mapping whose keys were checked against the allowed
// field names: values and keys by name (aliases resolved).
type Fields struct {
	Node *yaml.Node
	Vals map[string]*yaml.Node
	Keys map[string]*yaml.Node
	// Order lists the keys present, in file order.
	Order []string
}

// Has reports whether the field is present.
func (f *Fields) Has(name string) bool { _, ok := f.Vals[name]; return ok }

// Pos is where the mapping starts.
func (f *Fields) Pos() Pos { return NodePos(f.Node) }

// NodePos is where node n starts (1:1 for nil).
func NodePos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{Line: 1, Column: 1}
	}
	return Pos{Line: max(n.Line, 1), Column: max(n.Column, 1)}
}

// ResolveNode follows aliases to the node they name.
func ResolveNode(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// DescribeNode names what a node holds, for "expected X, got Y" messages.
func DescribeNode(n *yaml.Node) string {
	n = ResolveNode(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return strconv.Quote(v)
		case "!!int", "!!float":
			return "number " + v
		case "!!bool":
			return "boolean " + v
		}
		return strconv.Quote(v)
	}
	return "an unsupported YAML node"
}

// Mapping checks that n is a mapping whose keys are all in allowed
// (reporting unknown and duplicate keys) and returns its fields; ok is
// false when n is not a mapping at all.
func (p *NodeReader) Mapping(n *yaml.Node, path string, allowed ...string) (*Fields, bool) {
	return p.mapping(n, path, true, allowed)
}

// looseMapping is Mapping without the check of the keys (only duplicates
// are reported), for files in foreign formats of which only a part is
// read.
func (p *NodeReader) looseMapping(n *yaml.Node, path string) (*Fields, bool) {
	return p.mapping(n, path, false, nil)
}

func (p *NodeReader) mapping(n *yaml.Node, path string, strict bool, allowed []string) (*Fields, bool) {
	n = ResolveNode(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.Errorf(n, "", "%s: expected a mapping, got %s", path, DescribeNode(n))
		return nil, false
	}
	f := &Fields{Node: n, Vals: map[string]*yaml.Node{}, Keys: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := ResolveNode(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			if strict {
				p.Errorf(n.Content[i], "", "%s: a field name must be a plain string, got %s", path, DescribeNode(k))
			}
			continue
		}
		if strict && k.ShortTag() == "!!merge" {
			p.Errorf(k, "write the fields out; anchors and aliases (*name) work for whole values", "%s: YAML merge keys (<<) are not supported in scenario files", path)
			continue
		}
		if prev, dup := f.Keys[k.Value]; dup {
			p.Errorf(k, "", "%s: field %q is given twice (first at line %d)", path, k.Value, prev.Line)
			continue
		}
		if strict && !slices.Contains(allowed, k.Value) {
			p.Errorf(k, textdist.DidYouMean(k.Value, allowed, "fields"), "unknown field %q in %s", k.Value, path)
			continue
		}
		f.Keys[k.Value], f.Vals[k.Value] = k, ResolveNode(v)
		f.Order = append(f.Order, k.Value)
	}
	return f, true
}

// Sequence checks that n is a list (null counts as empty) and returns its
// items, aliases resolved.
func (p *NodeReader) Sequence(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n, ok := p.nullable(n, path, yaml.SequenceNode, "a list")
	if n == nil {
		return nil, ok
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = ResolveNode(c)
	}
	return out, true
}

// nullable resolves n, a value of the given kind (what names it in the
// error) or null: nil and true for null, nil and false (recorded) for a
// value of another kind.
func (p *NodeReader) nullable(n *yaml.Node, path string, kind yaml.Kind, what string) (*yaml.Node, bool) {
	n = ResolveNode(n)
	if IsNull(n) {
		return nil, true
	}
	if n.Kind != kind {
		p.Errorf(n, "", "%s: expected %s, got %s", path, what, DescribeNode(n))
		return nil, false
	}
	return n, true
}

// MapValue is the value of key in a mapping node, as written (nil when m
// is no mapping or has no such key).
func MapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// IsNull reports whether n is absent or an explicit null.
func IsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Str reads a string scalar. Numbers and booleans are refused: YAML turns
// `version: 2` into a number, which Kubernetes would refuse too.
func (p *NodeReader) Str(n *yaml.Node, path string) (string, bool) {
	n = ResolveNode(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		hint := ""
		if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
			hint = fmt.Sprintf("quote it: %q", n.Value)
		}
		p.Errorf(n, hint, "%s: expected a string, got %s", path, DescribeNode(n))
		return "", false
	}
	return n.Value, true
}

// Integer reads an integer scalar within [lo, hi].
func (p *NodeReader) Integer(n *yaml.Node, path string, lo, hi int64) (int64, bool) {
	n = ResolveNode(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		p.Errorf(n, "", "%s: expected an integer, got %s", path, DescribeNode(n))
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil || v < lo || v > hi {
		p.Errorf(n, "", "%s: %s is out of range (%d to %d)", path, n.Value, lo, hi)
		return 0, false
	}
	return v, true
}

// optionalString reads the optional string field key of f (at path.key);
// def when it is absent.
func (p *NodeReader) optionalString(f *Fields, key, path, def string) string {
	v, ok := f.Vals[key]
	if !ok {
		return def
	}
	s, _ := p.Str(v, path+"."+key)
	return s
}

// Boolean reads true or false.
func (p *NodeReader) Boolean(n *yaml.Node, path string) (bool, bool) {
	n = ResolveNode(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		p.Errorf(n, "", "%s: expected true or false, got %s", path, DescribeNode(n))
		return false, false
	}
	return strings.EqualFold(n.Value, "true"), true
}

// Duration reads a non-negative Go duration ("90s", "5m", "1h30m").
func (p *NodeReader) Duration(n *yaml.Node, path string) (time.Duration, bool) {
	n = ResolveNode(n)
	if n == nil || n.Kind != yaml.ScalarNode || IsNull(n) {
		p.Errorf(n, "", "%s: expected a duration like 90s, 5m or 1h30m, got %s", path, DescribeNode(n))
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		hint := ""
		if _, numErr := strconv.ParseFloat(n.Value, 64); numErr == nil {
			hint = fmt.Sprintf("a bare number has no unit: write %ss for seconds or %sm for minutes", n.Value, n.Value)
		}
		p.Errorf(n, hint, "invalid duration %q: use a Go duration like 90s, 5m or 1h30m", n.Value)
		return 0, false
	}
	if d < 0 {
		p.Errorf(n, "", "%s: duration %s must not be negative", path, n.Value)
		return 0, false
	}
	return d, true
}

// StringList reads a list of strings.
func (p *NodeReader) StringList(n *yaml.Node, path string) ([]string, bool) {
	items, ok := p.Sequence(n, path)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, ok := p.Str(it, fmt.Sprintf("%s[%d]", path, i))
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// StringMap reads a mapping of strings to strings, in file order.
func (p *NodeReader) StringMap(n *yaml.Node, path string) (map[string]string, bool) {
	n, ok := p.nullable(n, path, yaml.MappingNode, "a mapping")
	if n == nil {
		return nil, ok
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, kok := p.Str(n.Content[i], path+" key")
		v, vok := p.Str(n.Content[i+1], path+"."+k)
		if !kok || !vok {
			ok = false
			continue
		}
		if _, dup := out[k]; dup {
			p.Errorf(n.Content[i], "", "%s: key %q is given twice", path, k)
			ok = false
		}
		out[k] = v
	}
	return out, ok
}

// ScalarValue is the text of a scalar node, or "" for anything else.
func ScalarValue(n *yaml.Node) string {
	n = ResolveNode(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
