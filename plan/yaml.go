package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/scenarios"
)

// parser walks a plan file's YAML nodes, collecting positioned errors in
// the scenario loader's form (file:line:column, message, hint).
type parser struct {
	file string
	errs scenarios.ErrorList
}

func pos(n *yaml.Node) scenarios.Pos {
	if n == nil {
		return scenarios.Pos{Line: 1, Column: 1}
	}
	return scenarios.Pos{Line: max(n.Line, 1), Column: max(n.Column, 1)}
}

func (p *parser) errorf(n *yaml.Node, hint, format string, args ...any) {
	ps := pos(n)
	p.errs = append(p.errs, &scenarios.Error{File: p.file, Line: ps.Line, Column: ps.Column, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (p *parser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	out := slices.Clone(p.errs)
	slices.SortStableFunc(out, func(a, b *scenarios.Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return out
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// fields is a checked mapping.
type fields struct {
	node  *yaml.Node
	vals  map[string]*yaml.Node
	keys  map[string]*yaml.Node
	order []string
}

// mapping checks that n is a mapping with only allowed keys.
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
			p.errorf(n.Content[i], "", "%s: a field name must be a plain string", path)
			continue
		}
		if prev, dup := f.keys[k.Value]; dup {
			p.errorf(k, "", "%s: field %q is given twice (first at line %d)", path, k.Value, prev.Line)
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			p.errorf(k, scenarios.DidYouMean(k.Value, allowed, "fields"), "unknown field %q in %s", k.Value, path)
			continue
		}
		f.keys[k.Value], f.vals[k.Value] = k, resolve(v)
		f.order = append(f.order, k.Value)
	}
	return f, true
}

func (p *parser) sequence(n *yaml.Node, path string) []*yaml.Node {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "", "%s: expected a list, got %s", path, describe(n))
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out
}

func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		p.errorf(n, "", "%s: expected a string, got %s", path, describe(n))
		return "", false
	}
	return n.Value, true
}

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

func (p *parser) duration(n *yaml.Node, path string) (time.Duration, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		p.errorf(n, "", "%s: expected a duration like 90s, 5m or 1h, got %s", path, describe(n))
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d < 0 {
		hint := ""
		if _, e := strconv.ParseFloat(n.Value, 64); e == nil {
			hint = fmt.Sprintf("a bare number has no unit: write %ss or %sm", n.Value, n.Value)
		}
		p.errorf(n, hint, "%s: invalid duration %q: use a Go duration like 90s, 5m or 1h", path, n.Value)
		return 0, false
	}
	return d, true
}

func (p *parser) stringList(n *yaml.Node, path string) []string {
	var out []string
	for i, it := range p.sequence(n, path) {
		if s, ok := p.str(it, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

func describe(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.ShortTag() == "!!null":
		return "null"
	}
	return strconv.Quote(n.Value)
}
