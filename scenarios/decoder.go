package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/action"
	"github.com/kubesim/kubesim/sim/store"
)

// decoder lets the timeline actions (sim/action) read their YAML with the
// loader's positioned errors and its manifest reading.
type decoder struct{ p *parser }

var _ action.Decoder = decoder{}

func (d decoder) Errorf(n *yaml.Node, hint, format string, args ...any) {
	d.p.Errorf(n, hint, format, args...)
}

func (d decoder) Errors() int { return len(d.p.errs) }

func toActionFields(f *Fields) *action.Fields {
	return &action.Fields{Node: f.Node, Vals: f.Vals, Keys: f.Keys, Order: f.Order}
}

func (d decoder) Mapping(n *yaml.Node, path string, allowed ...string) (*action.Fields, bool) {
	f, ok := d.p.Mapping(n, path, allowed...)
	if !ok {
		return nil, false
	}
	return toActionFields(f), true
}

func (d decoder) String(n *yaml.Node, path string) (string, bool) { return d.p.Str(n, path) }

func (d decoder) RequiredString(f *action.Fields, name, path string) (string, bool) {
	return d.p.requiredString(&Fields{Node: f.Node, Vals: f.Vals, Keys: f.Keys, Order: f.Order}, name, path)
}

func (d decoder) Integer(n *yaml.Node, path string, lo, hi int64) (int64, bool) {
	return d.p.Integer(n, path, lo, hi)
}

func (d decoder) Duration(n *yaml.Node, path string) (time.Duration, bool) {
	return d.p.Duration(n, path)
}

func objectsOf(objs []Object) []store.Object {
	out := make([]store.Object, len(objs))
	for i, o := range objs {
		out[i] = o.Obj
	}
	return out
}

func (d decoder) ApplyFile(n *yaml.Node, path string) []store.Object {
	objs := d.p.manifestFile(n, path)
	d.p.checkDuplicates(objs, "this apply")
	return objectsOf(objs)
}

func (d decoder) ApplyManifest(n *yaml.Node) (store.Object, bool) {
	o, ok := d.p.object(n)
	return o.Obj, ok
}

// KubectlFiles reads the files of `kubectl apply -f` and keeps them for
// the run (Scenario.ReadManifests).
func (d decoder) KubectlFiles(n *yaml.Node, files []string) {
	p := d.p
	before := len(p.errs)
	for _, f := range files {
		objs := p.manifestPath(n, f, "kubectl apply -f")
		p.checkDuplicates(objs, "this apply")
		if _, seen := p.manifests[f]; !seen && len(p.errs) == before {
			p.manifests[f] = objs
		}
	}
}

func (d decoder) Object(n *yaml.Node, path string, obj any) bool {
	w, ok := d.p.toJSON(n)
	if !ok {
		return false
	}
	if err := json.Unmarshal(w.buf.Bytes(), obj); err != nil {
		d.p.Errorf(n, "", "%s: %v", path, err)
		return false
	}
	return true
}

// ParseAction reads one timeline action given as a YAML-encodable value
// (what a live command does, e.g. "fail", {node: general-1}) with the
// loader's own checks, files named relative to the scenario, and checks
// it against w. Errors carry no position: there is no file.
func (s *Scenario) ParseAction(name string, value any, w *action.World) (action.Action, error) {
	if !action.Known(name) {
		return nil, fmt.Errorf("unknown action %q (%s)", name, textdist.DidYouMean(name, action.Names(), "actions"))
	}
	var n yaml.Node
	if err := n.Encode(value); err != nil {
		return nil, err
	}
	var fsys fs.FS
	src := s.src
	if src == nil {
		src = &source{dir: ".", displayDir: "."}
	} else {
		f, closeFn, err := src.open()
		if err != nil {
			return nil, err
		}
		defer closeFn()
		fsys = f
	}
	const file = "command"
	p := newParser(file, fsys, src)
	a, ok := action.Parse(decoder{p}, name, &n)
	if !ok {
		var msgs []string
		for _, e := range p.errs {
			m := e.Msg
			if e.File != file {
				m = e.File + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column) + ": " + m
			}
			if e.Hint != "" {
				m += "; " + e.Hint
			}
			msgs = append(msgs, m)
		}
		return nil, errors.New(strings.Join(msgs, "\n"))
	}
	if prob := action.Validate(a, w); prob != nil {
		return nil, prob
	}
	return a, nil
}
