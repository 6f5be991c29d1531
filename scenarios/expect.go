package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/action"
)

var (
	timingNames = []string{"by", "at", "always", "within", "after", "from", "until"}
	checkNames  = []string{"deploymentReady", "podsRunning", "podsReady", "nodesReady", "noOvercommit", "pending", "pendingFor",
		"etcdQuorum", "restarts", "crashLoopBackOff", "available", "noPDBViolated", "image", "revision", "reachable"}
)

// maxCount bounds counts in expectations (pods, replicas, nodes).
const maxCount = 10_000_000

const timingHint = "`by: 90s` (holds then), `at: 15m`, `within: 5m` with `after: <timeline entry name or action>`, " +
	"`from: 2m` with optional `until: 10m` (holds throughout) or `always: true`"

// expectations reads the checks of the run.
func (p *parser) expectations(n *yaml.Node, s *Scenario) []Expectation {
	items, ok := p.Sequence(n, "expect")
	if !ok {
		return nil
	}
	var out []Expectation
	for i, it := range items {
		path := fmt.Sprintf("expect[%d]", i)
		f, ok := p.Mapping(it, path, append(append([]string{}, timingNames...), checkNames...)...)
		if !ok {
			continue
		}
		e := Expectation{Index: i, Pos: f.Pos()}
		okT := p.expectTiming(f, path, s, &e)
		okC := p.expectCheck(f, path, &e)
		if okT && okC {
			out = append(out, e)
		}
	}
	return out
}

// expectTiming reads exactly one timing: by, at, always: true,
// within + after, or from (+ until).
func (p *parser) expectTiming(f *Fields, path string, s *Scenario, e *Expectation) bool {
	var present []string
	for _, k := range f.Order {
		if slices.Contains(timingNames, k) && k != "after" && k != "until" {
			present = append(present, k)
		}
	}
	if len(present) != 1 {
		at := f.Pos()
		if len(present) > 1 {
			at = NodePos(f.Keys[present[1]])
		}
		p.errAt(p.file, at, timingHint, path+": expected exactly one timing: by, at, always, within (with after) or from (with until)")
		return false
	}
	kind := present[0]
	if f.Has("after") && kind != "within" {
		p.Errorf(f.Keys["after"], "write `within: 5m` with `after:`", "%s: after needs within", path)
		return false
	}
	if f.Has("until") && kind != "from" {
		p.Errorf(f.Keys["until"], "write `from: 2m` with `until:`", "%s: until needs from", path)
		return false
	}
	v := f.Vals[kind]
	dur := s.Duration
	if kind == "always" {
		b, ok := p.Boolean(v, path+".always")
		if ok && !b {
			p.Errorf(v, "use `by:` or `at:` instead", "%s: always: false checks nothing", path)
		}
		e.Always = b
		return ok && b
	}
	d, ok := p.Duration(v, path+"."+kind)
	if !ok {
		return false
	}
	end := d
	switch kind {
	case "by":
		e.By = &d
	case "at":
		e.At = &d
	case "within":
		if !f.Has("after") {
			p.Errorf(f.Keys["within"], "e.g. `after: node-down` (a timeline entry's name) or `after: fail` (the first fail action)", "%s: within needs after", path)
			return false
		}
		a, ok := p.afterEntry(f.Vals["after"], path, s)
		if !ok {
			return false
		}
		e.Within, e.After, e.AfterAt = &d, a.label, a.at
		end = a.at + d
	case "from":
		e.From = &d
		if u, ok := f.Vals["until"]; ok {
			ud, ok := p.Duration(u, path+".until")
			if !ok {
				return false
			}
			if ud < d {
				p.Errorf(u, "", "%s: until %s is before from %s", path, ud, d)
				return false
			}
			e.Until, end = &ud, ud
		}
	}
	if dur > 0 && end > dur {
		p.Errorf(v, "raise `duration:` or check earlier", "%s: %s %s ends after the end of the run (duration %s)", path, kind, end, dur)
		return false
	}
	return true
}

type afterRef struct {
	label string
	at    time.Duration
}

// afterEntry resolves `after:`: a timeline entry's name, else the first
// entry of that action kind.
func (p *parser) afterEntry(n *yaml.Node, path string, s *Scenario) (afterRef, bool) {
	name, ok := p.Str(n, path+".after")
	if !ok {
		return afterRef{}, false
	}
	var names []string
	for _, a := range s.Timeline {
		if a.Name == name {
			return afterRef{label: name, at: a.At}, true
		}
		if a.Name != "" {
			names = append(names, a.Name)
		}
	}
	for _, a := range s.Timeline {
		if ActionKind(a) == name {
			return afterRef{label: name, at: a.At}, true
		}
	}
	cands := append(names, action.Names()...)
	p.Errorf(n, textdist.DidYouMean(name, cands, "names and actions"), "%s: after: no timeline entry is named %q and no entry is a %q action", path, name, name)
	return afterRef{}, false
}

// ActionKind is the action keyword of a timeline entry ("fail", "etcd", …).
func ActionKind(a Action) string {
	if a.Do == nil {
		return ""
	}
	return a.Do.ActionName()
}

// actionName reads a timeline entry's optional `name:` (unique among the
// entries before it).
func (p *parser) actionName(f *Fields, before []Action) string {
	v, ok := f.Vals["name"]
	if !ok {
		return ""
	}
	name, ok := p.Str(v, "timeline.name")
	if !ok {
		return ""
	}
	for _, a := range before {
		if a.Name == name {
			p.Errorf(v, "give each entry its own name", "timeline: name %q is used twice", name)
		}
	}
	return name
}

// expectCheck reads exactly one check.
func (p *parser) expectCheck(f *Fields, path string, e *Expectation) bool {
	var present []string
	for _, k := range f.Order {
		if slices.Contains(checkNames, k) {
			present = append(present, k)
		}
	}
	if len(present) != 1 {
		at := f.Pos()
		if len(present) > 1 {
			at = NodePos(f.Keys[present[1]])
		}
		p.errAt(p.file, at, "one of: "+strings.Join(checkNames, ", ")+"; use one entry per check", path+": expected exactly one check")
		return false
	}
	name := present[0]
	v, cp := f.Vals[name], path+"."+name
	before := len(p.errs)
	switch name {
	case "deploymentReady":
		e.DeploymentReady = p.deploymentReady(v, cp)
	case "podsRunning":
		e.PodsRunning = p.podsRunning(v, cp)
	case "podsReady":
		e.PodsReady = p.podsRunning(v, cp)
	case "crashLoopBackOff":
		e.CrashLoop = p.podsRunning(v, cp)
	case "nodesReady":
		if f, ok := p.Mapping(v, cp, "count", "atLeast", "atMost"); ok {
			want := p.count(f, cp)
			e.NodesReady = &NodesReady{Count: want.N, Want: want}
		}
	case "pending":
		if c, ok := p.countOnly(v, cp); ok {
			e.Pending = &Pending{Count: c}
		}
	case "pendingFor":
		if g, ok := p.Mapping(v, cp, "atMost"); ok {
			if d, ok := g.Vals["atMost"]; !ok {
				p.errAt(p.file, g.Pos(), "e.g. `pendingFor: {atMost: 5m}`", cp+": missing required field \"atMost\"")
			} else if dd, ok := p.Duration(d, cp+".atMost"); ok {
				e.PendingFor = &PendingFor{AtMost: dd}
			}
		}
	case "noOvercommit", "noPDBViolated":
		b, ok := p.Boolean(v, cp)
		if ok && !b {
			p.Errorf(v, "remove the entry, or write `"+name+": true`", "%s: %s: false checks nothing", path, name)
		}
		if name == "noOvercommit" {
			e.NoOvercommit = b
		} else {
			e.NoPDBViolated = b
		}
	case "etcdQuorum":
		if b, ok := p.Boolean(v, cp); ok {
			e.EtcdQuorum = &b
		}
	case "restarts":
		e.Restarts = p.restarts(v, cp)
	case "available":
		e.Available = p.available(v, cp)
	case "image":
		e.Image = p.imageCheck(v, cp)
	case "revision":
		e.Revision = p.revisionCheck(v, cp)
	case "reachable":
		e.Reachable = p.reachable(v, cp)
	}
	return len(p.errs) == before
}

func (p *parser) deploymentReady(n *yaml.Node, path string) *DeploymentReady {
	f, ok := p.Mapping(n, path, "namespace", "name", "replicas")
	if !ok {
		return nil
	}
	d := &DeploymentReady{Namespace: "default"}
	d.Name, _ = p.requiredString(f, "name", path)
	d.Namespace = p.optionalString(f, "namespace", path, d.Namespace)
	d.Replicas = int32(p.requiredCount(f, "replicas", path))
	return d
}

// podsRunning reads {namespace, selector, count | atLeast | atMost}.
func (p *parser) podsRunning(n *yaml.Node, path string) *PodsRunning {
	f, ok := p.Mapping(n, path, "namespace", "selector", "count", "atLeast", "atMost")
	if !ok {
		return nil
	}
	r := &PodsRunning{Namespace: "default"}
	r.Namespace = p.optionalString(f, "namespace", path, r.Namespace)
	r.Selector = p.selector(f, path)
	r.Want = p.count(f, path)
	r.Count = r.Want.N
	return r
}

func (p *parser) selector(f *Fields, path string) string {
	v, ok := f.Vals["selector"]
	if !ok {
		return ""
	}
	sel, _ := p.Str(v, path+".selector")
	if _, err := labels.Parse(sel); err != nil {
		p.Errorf(v, "e.g. app=web or tier in (web,api)", "%s.selector: %v", path, err)
	}
	return sel
}

// count reads exactly one of count (==), atLeast (>=) and atMost (<=).
func (p *parser) count(f *Fields, path string) Count {
	var present []string
	for _, k := range f.Order {
		if k == "count" || k == "atLeast" || k == "atMost" {
			present = append(present, k)
		}
	}
	if len(present) != 1 {
		at := f.Pos()
		if len(present) > 1 {
			at = NodePos(f.Keys[present[1]])
		}
		p.errAt(p.file, at, "`count: 6` (exactly), `atLeast: 4` or `atMost: 0`", path+": expected exactly one of count, atLeast, atMost")
		return Count{}
	}
	c, _ := p.Integer(f.Vals[present[0]], path+"."+present[0], 0, maxCount)
	op := map[string]string{"count": "==", "atLeast": ">=", "atMost": "<="}[present[0]]
	return Count{Op: op, N: int(c)}
}

func (p *parser) restarts(n *yaml.Node, path string) *Restarts {
	f, ok := p.Mapping(n, path, "namespace", "selector", "atMost")
	if !ok {
		return nil
	}
	r := &Restarts{Namespace: "default"}
	r.Namespace = p.optionalString(f, "namespace", path, r.Namespace)
	r.Selector = p.selector(f, path)
	r.AtMost = p.requiredCount(f, "atMost", path)
	return r
}

func (p *parser) available(n *yaml.Node, path string) *Available {
	f, ok := p.Mapping(n, path, "namespace", "deployment", "atLeast")
	if !ok {
		return nil
	}
	a := &Available{Namespace: "default"}
	a.Namespace = p.optionalString(f, "namespace", path, a.Namespace)
	a.Deployment, _ = p.requiredString(f, "deployment", path)
	a.AtLeast = int32(p.requiredCount(f, "atLeast", path))
	return a
}

func (p *parser) imageCheck(n *yaml.Node, path string) *ImageCheck {
	f, ok := p.Mapping(n, path, "namespace", "deployment", "container", "image")
	if !ok {
		return nil
	}
	c := &ImageCheck{Namespace: "default"}
	c.Namespace = p.optionalString(f, "namespace", path, c.Namespace)
	c.Container = p.optionalString(f, "container", path, c.Container)
	c.Deployment, _ = p.requiredString(f, "deployment", path)
	c.Image, _ = p.requiredString(f, "image", path)
	return c
}

func (p *parser) revisionCheck(n *yaml.Node, path string) *RevisionCheck {
	f, ok := p.Mapping(n, path, "namespace", "deployment", "revision")
	if !ok {
		return nil
	}
	c := &RevisionCheck{Namespace: "default"}
	c.Namespace = p.optionalString(f, "namespace", path, c.Namespace)
	c.Deployment, _ = p.requiredString(f, "deployment", path)
	if v, ok := f.Vals["revision"]; !ok {
		p.errAt(p.file, f.Pos(), "", path+": missing required field \"revision\"")
	} else {
		c.Revision, _ = p.Integer(v, path+".revision", 1, 1<<40)
	}
	return c
}

// countOnly reads {count: N}.
func (p *parser) countOnly(n *yaml.Node, path string) (int, bool) {
	f, ok := p.Mapping(n, path, "count")
	if !ok {
		return 0, false
	}
	before := len(p.errs)
	c := p.requiredCount(f, "count", path)
	return c, len(p.errs) == before
}

// requiredCount reads a non-negative integer field that must be present.
func (p *parser) requiredCount(f *Fields, name, path string) int {
	v, ok := f.Vals[name]
	if !ok {
		p.errAt(p.file, f.Pos(), "", fmt.Sprintf("%s: missing required field %q", path, name))
		return 0
	}
	c, _ := p.Integer(v, path+"."+name, 0, maxCount)
	return int(c)
}

// reachable reads {from, namespace, to: HOST:PORT, protocol, blocked}.
func (p *parser) reachable(n *yaml.Node, path string) *Reachable {
	f, ok := p.Mapping(n, path, "from", "namespace", "to", "protocol", "blocked")
	if !ok {
		return nil
	}
	r := &Reachable{Namespace: "default", Protocol: "TCP"}
	r.Namespace = p.optionalString(f, "namespace", path, r.Namespace)
	if from, ok := p.requiredString(f, "from", path); ok {
		if _, err := labels.Parse(from); err != nil {
			p.Errorf(f.Vals["from"], "a label selector, e.g. `from: app=client`", "%s.from: %v", path, err)
		}
		r.From = from
	}
	if to, ok := p.requiredString(f, "to", path); ok {
		i := strings.LastIndexByte(to, ':')
		port := 0
		if i > 0 {
			_, err := fmt.Sscanf(to[i+1:], "%d", &port)
			if err != nil || fmt.Sprint(port) != to[i+1:] {
				port = 0
			}
		}
		if i <= 0 || port < 1 || port > 65535 {
			p.Errorf(f.Vals["to"], "HOST:PORT, e.g. `to: web:80` or `to: db.prod:5432`", "%s.to: %q is not HOST:PORT", path, to)
		} else {
			r.Host, r.Port = to[:i], int32(port)
		}
	}
	if v, ok := f.Vals["protocol"]; ok {
		r.Protocol, _ = p.Str(v, path+".protocol")
		if r.Protocol != "TCP" && r.Protocol != "UDP" {
			p.Errorf(v, "TCP or UDP", "%s.protocol: unsupported protocol %q", path, r.Protocol)
		}
	}
	if v, ok := f.Vals["blocked"]; ok {
		r.Blocked, _ = p.Boolean(v, path+".blocked")
	}
	return r
}
