package scenarios

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/metrics"
)

// curveKinds are the traffic curves a load may follow.
var curveKinds = []string{"constant", "step", "ramp", "diurnal", "spike", "csv"}

// loadKinds are the workload kinds that receive traffic.
var loadKinds = map[string]string{"deployment": "Deployment", "statefulset": "StatefulSet", "replicaset": "ReplicaSet"}

// loads reads the top-level load list: each entry a target workload (one
// of the scenario's workloads), a curve and a CPU cost per request.
func (p *parser) loads(n *yaml.Node, s *Scenario) []metrics.Load {
	items, ok := p.Sequence(n, "load")
	if !ok {
		return nil
	}
	var out []metrics.Load
	seen := map[string]bool{}
	for i, it := range items {
		path := "load[" + strconv.Itoa(i) + "]"
		f, ok := p.Mapping(it, path, "target", "namespace", "curve", "cpuPerRequest", "noise")
		if !ok {
			continue
		}
		var l metrics.Load
		okAll := p.loadTarget(f, path, s, &l)
		if !f.Has("curve") {
			p.errAt(p.file, f.Pos(), "e.g. `curve: {constant: 100}` (requests per second)", path+": missing required field \"curve\"")
			okAll = false
		} else if c, ok := p.curve(f.Vals["curve"], path+".curve"); ok {
			l.Curve = c
		} else {
			okAll = false
		}
		if !f.Has("cpuPerRequest") {
			p.errAt(p.file, f.Pos(), "e.g. `cpuPerRequest: 2m` (millicores per request per second)", path+": missing required field \"cpuPerRequest\"")
			okAll = false
		} else if m, ok := p.cpuPerRequest(f.Vals["cpuPerRequest"], path+".cpuPerRequest"); ok {
			l.CPUPerRequest = m
		} else {
			okAll = false
		}
		if v, ok := f.Vals["noise"]; ok {
			x, ok := p.nonNegative(v, path+".noise")
			switch {
			case !ok:
				okAll = false
			case x > 1:
				p.Errorf(v, "e.g. 0.05 (5% standard deviation)", "%s.noise: expected a relative standard deviation between 0 and 1, got %g", path, x)
				okAll = false
			case x == 0:
				l.Noise = -1 // none
			default:
				l.Noise = x
			}
		}
		if !okAll {
			continue
		}
		if seen[l.Key()] {
			p.Errorf(f.Vals["target"], "give one load entry per workload", "%s: %s/%s already has a load", path, strings.ToLower(l.Kind), l.Name)
			continue
		}
		seen[l.Key()] = true
		out = append(out, l)
	}
	return out
}

// loadTarget reads target ("deployment/web") and namespace, and checks
// the workload is one of the scenario's.
func (p *parser) loadTarget(f *Fields, path string, s *Scenario, l *metrics.Load) bool {
	if !f.Has("target") {
		p.errAt(p.file, f.Pos(), "e.g. `target: deployment/web`", path+": missing required field \"target\"")
		return false
	}
	v := f.Vals["target"]
	t, ok := p.Str(v, path+".target")
	if !ok {
		return false
	}
	kind, name, found := strings.Cut(t, "/")
	if !found || name == "" {
		p.Errorf(v, "e.g. deployment/web", "%s.target: expected KIND/NAME, got %q", path, t)
		return false
	}
	l.Kind = loadKinds[strings.ToLower(kind)]
	if l.Kind == "" {
		p.Errorf(v, textdist.DidYouMean(strings.ToLower(kind), []string{"deployment", "replicaset", "statefulset"}, "kinds"),
			"%s.target: %q cannot receive traffic", path, kind)
		return false
	}
	l.Name, l.Namespace = name, "default"
	if nv, ok := f.Vals["namespace"]; ok {
		if ns, ok := p.Str(nv, path+".namespace"); ok {
			l.Namespace = ns
		}
	}
	var names []string
	for _, o := range s.Workloads {
		if o.Obj.GetObjectKind().GroupVersionKind().Kind != l.Kind {
			continue
		}
		ns := o.Obj.GetNamespace()
		if ns == "" {
			ns = "default"
		}
		if ns == l.Namespace && o.Obj.GetName() == l.Name {
			return true
		}
		if ns == l.Namespace {
			names = append(names, strings.ToLower(l.Kind)+"/"+o.Obj.GetName())
		}
	}
	hint := "a load's target must be one of the scenario's workloads"
	if len(names) > 0 {
		hint = textdist.DidYouMean(t, names, "targets")
	}
	p.Errorf(v, hint, "%s.target: no %s %q in namespace %q among the workloads", path, l.Kind, l.Name, l.Namespace)
	return false
}

// cpuPerRequest reads a CPU quantity (2m, 0.5m, 500u) per request/s.
func (p *parser) cpuPerRequest(n *yaml.Node, path string) (float64, bool) {
	r := ResolveNode(n)
	if r == nil || r.Kind != yaml.ScalarNode {
		p.Errorf(n, "", "%s: expected a CPU quantity like 2m, got %s", path, DescribeNode(n))
		return 0, false
	}
	q, err := resource.ParseQuantity(r.Value)
	if err != nil {
		p.Errorf(n, "e.g. 2m (two millicores per request per second) or 500u", "%s: invalid CPU quantity %q", path, r.Value)
		return 0, false
	}
	m := q.AsApproximateFloat64() * 1000
	if m <= 0 {
		p.Errorf(n, "", "%s: must be positive, got %q", path, r.Value)
		return 0, false
	}
	return m, true
}

// nonNegative reads a number >= 0.
func (p *parser) nonNegative(n *yaml.Node, path string) (float64, bool) {
	r := ResolveNode(n)
	if r == nil || r.Kind != yaml.ScalarNode {
		p.Errorf(n, "", "%s: expected a number, got %s", path, DescribeNode(n))
		return 0, false
	}
	x, err := strconv.ParseFloat(r.Value, 64)
	if err != nil {
		p.Errorf(n, "", "%s: expected a number, got %q", path, r.Value)
		return 0, false
	}
	if x < 0 {
		p.Errorf(n, "traffic and its parameters cannot be negative", "%s: negative value %s", path, r.Value)
		return 0, false
	}
	return x, true
}

// curve reads a curve mapping with exactly one kind.
func (p *parser) curve(n *yaml.Node, path string) (metrics.Curve, bool) {
	f, ok := p.Mapping(n, path, curveKinds...)
	if !ok {
		return nil, false
	}
	var kinds []string
	for _, k := range f.Order {
		if slices.Contains(curveKinds, k) {
			kinds = append(kinds, k)
		}
	}
	if r := ResolveNode(n); len(kinds) == 0 && r != nil && len(r.Content) > 0 {
		return nil, false // an unknown kind, reported by mapping
	}
	if len(kinds) != 1 {
		p.errAt(p.file, f.Pos(), "e.g. `curve: {diurnal: {min: 50, max: 800, period: 24h, peakAt: 14h}}`",
			path+": give exactly one of "+strings.Join(curveKinds, ", "))
		return nil, false
	}
	kind := kinds[0]
	v := f.Vals[kind]
	path += "." + kind
	switch kind {
	case "constant":
		x, ok := p.nonNegative(v, path)
		return metrics.Constant{Rate: x}, ok
	case "step":
		g, ok := p.Mapping(v, path, "from", "to", "at")
		if !ok {
			return nil, false
		}
		var c metrics.Step
		ok = p.rates(g, path, map[string]*float64{"from": &c.From, "to": &c.To}) && p.times(g, path, map[string]*time.Duration{"at": &c.At})
		return c, ok
	case "ramp":
		g, ok := p.Mapping(v, path, "from", "to", "start", "end")
		if !ok {
			return nil, false
		}
		var c metrics.Ramp
		ok = p.rates(g, path, map[string]*float64{"from": &c.From, "to": &c.To}) && p.times(g, path, map[string]*time.Duration{"start": &c.Start, "end": &c.End})
		if ok && c.End <= c.Start {
			p.Errorf(g.Vals["end"], "", "%s: end %v must be after start %v", path, c.End, c.Start)
			return nil, false
		}
		return c, ok
	case "diurnal":
		g, ok := p.Mapping(v, path, "min", "max", "period", "peakAt")
		if !ok {
			return nil, false
		}
		c := metrics.Diurnal{Period: 24 * time.Hour}
		ok = p.rates(g, path, map[string]*float64{"min": &c.Min, "max": &c.Max})
		if pv, has := g.Vals["period"]; has {
			d, dok := p.Duration(pv, path+".period")
			if dok && d == 0 {
				p.Errorf(pv, "", "%s.period must be positive", path)
				dok = false
			}
			c.Period, ok = d, ok && dok
		}
		if pv, has := g.Vals["peakAt"]; has {
			d, dok := p.Duration(pv, path+".peakAt")
			c.PeakAt, ok = d, ok && dok
		}
		if ok && c.Max < c.Min {
			p.Errorf(g.Vals["max"], "", "%s: max %g is below min %g", path, c.Max, c.Min)
			return nil, false
		}
		return c, ok
	case "spike":
		g, ok := p.Mapping(v, path, "base", "peak", "at", "for")
		if !ok {
			return nil, false
		}
		var c metrics.Spike
		ok = p.rates(g, path, map[string]*float64{"base": &c.Base, "peak": &c.Peak}) && p.times(g, path, map[string]*time.Duration{"at": &c.At, "for": &c.For})
		return c, ok
	}
	return p.csvCurve(v, path)
}

// requiredFields reads the required fields named by dst's keys (in name
// order) with read into dst; what says what a missing field holds.
func requiredFields[T any](p *parser, g *Fields, path, what string, dst map[string]*T, read func(*yaml.Node, string) (T, bool)) bool {
	ok := true
	for _, k := range sortedKeys(dst) {
		v, has := g.Vals[k]
		if !has {
			p.errAt(p.file, g.Pos(), "", path+": missing required field \""+k+"\" ("+what+")")
			ok = false
			continue
		}
		x, xok := read(v, path+"."+k)
		*dst[k] = x
		ok = ok && xok
	}
	return ok
}

// rates reads required non-negative numbers.
func (p *parser) rates(g *Fields, path string, dst map[string]*float64) bool {
	return requiredFields(p, g, path, "requests per second", dst, p.nonNegative)
}

// times reads required durations.
func (p *parser) times(g *Fields, path string, dst map[string]*time.Duration) bool {
	return requiredFields(p, g, path, "a duration like 2h", dst, p.Duration)
}

// csvCurve reads a replayed curve: a CSV file next to the scenario with
// rows "TIME,RPS" (TIME a duration like 90m or seconds), an optional
// header row, times strictly increasing.
func (p *parser) csvCurve(n *yaml.Node, path string) (metrics.Curve, bool) {
	rel, data, ok := p.readRef(n, path)
	if !ok {
		return nil, false
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 2
	r.TrimLeadingSpace = true
	r.Comment = '#'
	c := metrics.Replay{Source: rel}
	for row := 1; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			p.errAt(p.display(rel), Pos{Line: max(line, 1), Column: 1}, "each row is TIME,RPS, e.g. 30m,120", "invalid CSV: "+unwrapCSV(err))
			return nil, false
		}
		if row == 1 && strings.EqualFold(strings.TrimSpace(rec[0]), "time") {
			continue // header
		}
		t, terr := time.ParseDuration(strings.TrimSpace(rec[0]))
		if terr != nil {
			sec, serr := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64)
			if serr != nil || sec < 0 {
				p.errAt(p.display(rel), Pos{Line: line, Column: 1}, "a duration like 90m or a number of seconds", "invalid time "+strconv.Quote(rec[0]))
				return nil, false
			}
			t = time.Duration(sec * float64(time.Second))
		}
		_, col2 := r.FieldPos(1)
		x, xerr := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		switch {
		case xerr != nil:
			p.errAt(p.display(rel), Pos{Line: line, Column: col2}, "requests per second, e.g. 120", "invalid rate "+strconv.Quote(rec[1]))
			return nil, false
		case x < 0:
			p.errAt(p.display(rel), Pos{Line: line, Column: col2}, "traffic cannot be negative", "negative rate "+rec[1])
			return nil, false
		case t < 0:
			p.errAt(p.display(rel), Pos{Line: line, Column: 1}, "", "negative time "+rec[0])
			return nil, false
		case len(c.Points) > 0 && t <= c.Points[len(c.Points)-1].T:
			p.errAt(p.display(rel), Pos{Line: line, Column: 1}, "rows must be in increasing time order", "time "+rec[0]+" is not after the previous row's")
			return nil, false
		}
		c.Points = append(c.Points, metrics.Point{T: t, Rate: x})
	}
	if len(c.Points) == 0 {
		p.Errorf(n, "each row is TIME,RPS, e.g. 30m,120", "%s: %q has no rows", path, rel)
		return nil, false
	}
	return c, true
}

func unwrapCSV(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
