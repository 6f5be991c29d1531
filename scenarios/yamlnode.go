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

// fields is a YAML mapping whose keys were checked against the allowed
// field names: values and keys by name (aliases resolved).
type fields struct {
	node *yaml.Node
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node
	// order lists the keys present, in file order.
	order []string
}

// has reports whether the field is present.
func (f *fields) has(name string) bool { _, ok := f.vals[name]; return ok }

// pos is where the mapping starts.
func (f *fields) pos() Pos { return nodePos(f.node) }

func nodePos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{Line: 1, Column: 1}
	}
	return Pos{Line: max(n.Line, 1), Column: max(n.Column, 1)}
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
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

// mapping checks that n is a mapping whose keys are all in allowed
// (reporting unknown and duplicate keys) and returns its fields; ok is
// false when n is not a mapping at all.
func (p *parser) mapping(n *yaml.Node, path string, allowed ...string) (*fields, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.errorf(n, "", "%s: expected a mapping, got %s", path, describe(n))
		return nil, false
	}
	f := &fields{node: n, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			p.errorf(n.Content[i], "", "%s: a field name must be a plain string, got %s", path, describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			p.errorf(k, "write the fields out; anchors and aliases (*name) work for whole values", "%s: YAML merge keys (<<) are not supported in scenario files", path)
			continue
		}
		if prev, dup := f.keys[k.Value]; dup {
			p.errorf(k, "", "%s: field %q is given twice (first at line %d)", path, k.Value, prev.Line)
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			p.errorf(k, textdist.DidYouMean(k.Value, allowed, "fields"), "unknown field %q in %s", k.Value, path)
			continue
		}
		f.keys[k.Value], f.vals[k.Value] = k, resolve(v)
		f.order = append(f.order, k.Value)
	}
	return f, true
}

// sequence checks that n is a list (null counts as empty) and returns its
// items, aliases resolved.
func (p *parser) sequence(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "", "%s: expected a list, got %s", path, describe(n))
		return nil, false
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out, true
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// str reads a string scalar. Numbers and booleans are refused: YAML turns
// `version: 2` into a number, which Kubernetes would refuse too.
func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		hint := ""
		if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
			hint = fmt.Sprintf("quote it: %q", n.Value)
		}
		p.errorf(n, hint, "%s: expected a string, got %s", path, describe(n))
		return "", false
	}
	return n.Value, true
}

// integer reads an integer scalar within [lo, hi].
func (p *parser) integer(n *yaml.Node, path string, lo, hi int64) (int64, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		p.errorf(n, "", "%s: expected an integer, got %s", path, describe(n))
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil || v < lo || v > hi {
		p.errorf(n, "", "%s: %s is out of range (%d to %d)", path, n.Value, lo, hi)
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		p.errorf(n, "", "%s: expected true or false, got %s", path, describe(n))
		return false, false
	}
	return strings.EqualFold(n.Value, "true"), true
}

// duration reads a non-negative Go duration ("90s", "5m", "1h30m").
func (p *parser) duration(n *yaml.Node, path string) (time.Duration, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		p.errorf(n, "", "%s: expected a duration like 90s, 5m or 1h30m, got %s", path, describe(n))
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		hint := ""
		if _, numErr := strconv.ParseFloat(n.Value, 64); numErr == nil {
			hint = fmt.Sprintf("a bare number has no unit: write %ss for seconds or %sm for minutes", n.Value, n.Value)
		}
		p.errorf(n, hint, "invalid duration %q: use a Go duration like 90s, 5m or 1h30m", n.Value)
		return 0, false
	}
	if d < 0 {
		p.errorf(n, "", "%s: duration %s must not be negative", path, n.Value)
		return 0, false
	}
	return d, true
}

// stringList reads a list of strings.
func (p *parser) stringList(n *yaml.Node, path string) ([]string, bool) {
	items, ok := p.sequence(n, path)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, ok := p.str(it, fmt.Sprintf("%s[%d]", path, i))
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// stringMap reads a mapping of strings to strings, in file order.
func (p *parser) stringMap(n *yaml.Node, path string) (map[string]string, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "", "%s: expected a mapping, got %s", path, describe(n))
		return nil, false
	}
	out := map[string]string{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, kok := p.str(n.Content[i], path+" key")
		v, vok := p.str(n.Content[i+1], path+"."+k)
		if !kok || !vok {
			ok = false
			continue
		}
		if _, dup := out[k]; dup {
			p.errorf(n.Content[i], "", "%s: key %q is given twice", path, k)
			ok = false
		}
		out[k] = v
	}
	return out, ok
}

// scalarValue is the text of a scalar node, or "" for anything else.
func scalarValue(n *yaml.Node) string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
