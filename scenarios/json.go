package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

const (
	// maxDepth bounds the nesting of a manifest (and stops alias cycles).
	maxDepth = 100
	// maxValues bounds how many YAML values the manifests of one scenario
	// may expand to: aliases can make a small file enormous.
	maxValues = 1 << 18
)

// span is where one YAML value landed in the JSON text, so that a decode
// error at a JSON offset can be reported at the YAML line and column.
type span struct {
	start, end int
	node       *yaml.Node
	path       string
}

// jsonWriter converts a YAML manifest into JSON (the form Kubernetes
// types decode from), recording the position of every value and key.
type jsonWriter struct {
	p     *parser
	buf   bytes.Buffer
	spans []span
	keys  map[string]*yaml.Node // field path -> key node
	open  map[*yaml.Node]bool   // nodes being written (alias cycles)
	ok    bool
}

// toJSON converts the manifest rooted at n; ok is false when it cannot be
// (errors reported).
func (p *parser) toJSON(n *yaml.Node) (*jsonWriter, bool) {
	w := &jsonWriter{p: p, keys: map[string]*yaml.Node{}, open: map[*yaml.Node]bool{}, ok: true}
	w.value(n, "", 0)
	return w, w.ok
}

func (w *jsonWriter) fail(n *yaml.Node, hint, format string, args ...any) {
	if w.ok {
		w.p.Errorf(n, hint, format, args...)
	}
	w.ok = false
}

// shortPath keeps error messages readable for absurdly deep paths.
func shortPath(path string) string {
	if path == "" {
		return "(object)"
	}
	if len(path) <= 80 {
		return path
	}
	i := len(path) - 79
	for i < len(path) && !utf8.RuneStart(path[i]) {
		i++
	}
	return "…" + path[i:]
}

// value writes one YAML node as JSON.
func (w *jsonWriter) value(n *yaml.Node, path string, depth int) {
	if !w.ok {
		return
	}
	alias := n
	n = ResolveNode(n)
	switch {
	case n == nil:
		w.fail(alias, "", "%s: unresolvable alias", shortPath(path))
		return
	case w.open[n]:
		w.fail(alias, "", "%s: alias *%s refers to itself", shortPath(path), alias.Value)
		return
	case depth > maxDepth:
		w.fail(n, "", "%s: manifest nested more than %d levels deep", shortPath(path), maxDepth)
		return
	}
	if w.p.budget--; w.p.budget < 0 || w.buf.Len() > maxFileSize {
		w.fail(n, "", "manifest too large: aliases expand it beyond %d values or 16 MiB", maxValues)
		return
	}
	start := w.buf.Len()
	w.open[n] = true
	switch n.Kind {
	case yaml.MappingNode:
		w.mapping(n, path, depth)
	case yaml.SequenceNode:
		w.buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.value(c, path+"["+strconv.Itoa(i)+"]", depth+1)
		}
		w.buf.WriteByte(']')
	case yaml.ScalarNode:
		w.scalar(n, path)
	default:
		w.fail(n, "", "%s: unsupported YAML node", shortPath(path))
	}
	delete(w.open, n)
	w.spans = append(w.spans, span{start: start, end: w.buf.Len(), node: n, path: path})
}

type pair struct{ k, v *yaml.Node }

// mapping writes a YAML mapping as a JSON object. Explicit keys win over
// keys merged in with `<<: *anchor`.
func (w *jsonWriter) mapping(n *yaml.Node, path string, depth int) {
	pairs := w.pairs(n, path, depth)
	w.buf.WriteByte('{')
	for i, pr := range pairs {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		key := pr.k.Value
		child := key
		if path != "" {
			child = path + "." + key
		}
		if _, seen := w.keys[child]; !seen {
			w.keys[child] = pr.k
		}
		kb, _ := json.Marshal(key)
		w.buf.Write(kb)
		w.buf.WriteByte(':')
		w.value(pr.v, child, depth+1)
	}
	w.buf.WriteByte('}')
}

// pairs lists a mapping's key/value pairs, merge keys expanded and
// duplicate keys reported.
func (w *jsonWriter) pairs(n *yaml.Node, path string, depth int) []pair {
	var own, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := ResolveNode(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			w.fail(n.Content[i], "", "%s: a mapping key must be a plain value, got %s", shortPath(path), DescribeNode(k))
			return nil
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, w.mergeSources(n.Content[i+1], path, depth)...)
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			w.fail(k, "", "mapping key %q already defined at line %d", k.Value, prev.Line)
			return nil
		}
		seen[k.Value] = k
		own = append(own, pair{k, n.Content[i+1]})
	}
	for _, m := range merged {
		if _, dup := seen[m.k.Value]; !dup {
			seen[m.k.Value] = m.k
			own = append(own, m)
		}
	}
	return own
}

// mergeSources expands the value of a merge key: a mapping or a list of
// mappings.
func (w *jsonWriter) mergeSources(v *yaml.Node, path string, depth int) []pair {
	v = ResolveNode(v)
	var srcs []*yaml.Node
	switch {
	case v != nil && v.Kind == yaml.MappingNode:
		srcs = []*yaml.Node{v}
	case v != nil && v.Kind == yaml.SequenceNode:
		for _, c := range v.Content {
			srcs = append(srcs, ResolveNode(c))
		}
	}
	var out []pair
	for _, s := range srcs {
		if w.p.budget--; w.p.budget < 0 {
			w.fail(v, "", "manifest too large: merge keys expand it beyond %d values", maxValues)
			return nil
		}
		if s == nil || s.Kind != yaml.MappingNode || w.open[s] || depth > maxDepth {
			w.fail(v, "", "%s: a merge key (<<) needs a mapping or a list of mappings (and may not refer to itself)", shortPath(path))
			return nil
		}
		w.open[s] = true
		out = append(out, w.pairs(s, path, depth+1)...)
		delete(w.open, s)
	}
	return out
}

// scalar writes a scalar with YAML's type resolution (as yaml.v3 and
// sigs.k8s.io/yaml agree on: 3 is a number, "3" and 3a are strings).
func (w *jsonWriter) scalar(n *yaml.Node, path string) {
	var v any
	switch n.ShortTag() {
	case "!!null":
		w.buf.WriteString("null")
		return
	case "!!bool", "!!int", "!!float", "!!timestamp":
		var ok bool
		if v, ok = w.p.decodeScalar(n); !ok {
			v = n.Value
		}
	default:
		v = n.Value
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.fail(n, "", "%s: unsupported value %s", shortPath(path), n.Value)
		return
	}
	w.buf.Write(b)
}

// decodeScalar resolves a scalar's value with the YAML library (guarded:
// no input may crash the loader).
func (p *parser) decodeScalar(n *yaml.Node) (v any, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			v, ok = nil, false
		}
	}()
	if err := n.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// at returns the innermost value whose JSON text contains offset.
func (w *jsonWriter) at(offset int) (span, bool) {
	var best span
	found := false
	for _, s := range w.spans {
		if s.start <= offset && offset < s.end && (!found || s.end-s.start < best.end-best.start) {
			best, found = s, true
		}
	}
	return best, found
}

// String is the JSON text (for tests and debugging).
func (w *jsonWriter) String() string { return fmt.Sprint(w.buf.String()) }
