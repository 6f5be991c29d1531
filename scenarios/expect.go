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
	items, ok := p.sequence(n, "expect")
	if !ok {
		return nil
	}
	var out []Expectation
	for i, it := range items {
		path := fmt.Sprintf("expect[%d]", i)
		f, ok := p.mapping(it, path, append(append([]string{}, timingNames...), checkNames...)...)
		if !ok {
			continue
		}
		e := Expectation{Index: i, Pos: f.pos()}
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
func (p *parser) expectTiming(f *fields, path string, s *Scenario, e *Expectation) bool {
	var present []string
	for _, k := range f.order {
		if slices.Contains(timingNames, k) && k != "after" && k != "until" {
			present = append(present, k)
		}
	}
	if len(present) != 1 {
		at := f.pos()
		if len(present) > 1 {
			at = nodePos(f.keys[present[1]])
		}
		p.errAt(p.file, at, timingHint, path+": expected exactly one timing: by, at, always, within (with after) or from (with until)")
		return false
	}
	kind := present[0]
	if f.has("after") && kind != "within" {
		p.errorf(f.keys["after"], "write `within: 5m` with `after:`", "%s: after needs within", path)
		return false
	}
	if f.has("until") && kind != "from" {
		p.errorf(f.keys["until"], "write `from: 2m` with `until:`", "%s: until needs from", path)
		return false
	}
	v := f.vals[kind]
	dur := s.Duration
	if kind == "always" {
		b, ok := p.boolean(v, path+".always")
		if ok && !b {
			p.errorf(v, "use `by:` or `at:` instead", "%s: always: false checks nothing", path)
		}
		e.Always = b
		return ok && b
	}
	d, ok := p.duration(v, path+"."+kind)
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
		if !f.has("after") {
			p.errorf(f.keys["within"], "e.g. `after: node-down` (a timeline entry's name) or `after: fail` (the first fail action)", "%s: within needs after", path)
			return false
		}
		a, ok := p.afterEntry(f.vals["after"], path, s)
		if !ok {
			return false
		}
		e.Within, e.After, e.AfterAt = &d, a.label, a.at
		end = a.at + d
	case "from":
		e.From = &d
		if u, ok := f.vals["until"]; ok {
			ud, ok := p.duration(u, path+".until")
			if !ok {
				return false
			}
			if ud < d {
				p.errorf(u, "", "%s: until %s is before from %s", path, ud, d)
				return false
			}
			e.Until, end = &ud, ud
		}
	}
	if dur > 0 && end > dur {
		p.errorf(v, "raise `duration:` or check earlier", "%s: %s %s ends after the end of the run (duration %s)", path, kind, end, dur)
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
	name, ok := p.str(n, path+".after")
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
	p.errorf(n, textdist.DidYouMean(name, cands, "names and actions"), "%s: after: no timeline entry is named %q and no entry is a %q action", path, name, name)
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
func (p *parser) actionName(f *fields, before []Action) string {
	v, ok := f.vals["name"]
	if !ok {
		return ""
	}
	name, ok := p.str(v, "timeline.name")
	if !ok {
		return ""
	}
	for _, a := range before {
		if a.Name == name {
			p.errorf(v, "give each entry its own name", "timeline: name %q is used twice", name)
		}
	}
	return name
}

// expectCheck reads exactly one check.
func (p *parser) expectCheck(f *fields, path string, e *Expectation) bool {
	var present []string
	for _, k := range f.order {
		if slices.Contains(checkNames, k) {
			present = append(present, k)
		}
	}
	if len(present) != 1 {
		at := f.pos()
		if len(present) > 1 {
			at = nodePos(f.keys[present[1]])
		}
		p.errAt(p.file, at, "one of: "+strings.Join(checkNames, ", ")+"; use one entry per check", path+": expected exactly one check")
		return false
	}
	name := present[0]
	v, cp := f.vals[name], path+"."+name
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
		if f, ok := p.mapping(v, cp, "count", "atLeast", "atMost"); ok {
			want := p.count(f, cp)
			e.NodesReady = &NodesReady{Count: want.N, Want: want}
		}
	case "pending":
		if c, ok := p.countOnly(v, cp); ok {
			e.Pending = &Pending{Count: c}
		}
	case "pendingFor":
		if g, ok := p.mapping(v, cp, "atMost"); ok {
			if d, ok := g.vals["atMost"]; !ok {
				p.errAt(p.file, g.pos(), "e.g. `pendingFor: {atMost: 5m}`", cp+": missing required field \"atMost\"")
			} else if dd, ok := p.duration(d, cp+".atMost"); ok {
				e.PendingFor = &PendingFor{AtMost: dd}
			}
		}
	case "noOvercommit", "noPDBViolated":
		b, ok := p.boolean(v, cp)
		if ok && !b {
			p.errorf(v, "remove the entry, or write `"+name+": true`", "%s: %s: false checks nothing", path, name)
		}
		if name == "noOvercommit" {
			e.NoOvercommit = b
		} else {
			e.NoPDBViolated = b
		}
	case "etcdQuorum":
		if b, ok := p.boolean(v, cp); ok {
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
	f, ok := p.mapping(n, path, "namespace", "name", "replicas")
	if !ok {
		return nil
	}
	d := &DeploymentReady{Namespace: "default"}
	d.Name, _ = p.requiredString(f, "name", path)
	if v, ok := f.vals["namespace"]; ok {
		d.Namespace, _ = p.str(v, path+".namespace")
	}
	d.Replicas = int32(p.requiredCount(f, "replicas", path))
	return d
}

// podsRunning reads {namespace, selector, count | atLeast | atMost}.
func (p *parser) podsRunning(n *yaml.Node, path string) *PodsRunning {
	f, ok := p.mapping(n, path, "namespace", "selector", "count", "atLeast", "atMost")
	if !ok {
		return nil
	}
	r := &PodsRunning{Namespace: "default"}
	if v, ok := f.vals["namespace"]; ok {
		r.Namespace, _ = p.str(v, path+".namespace")
	}
	r.Selector = p.selector(f, path)
	r.Want = p.count(f, path)
	r.Count = r.Want.N
	return r
}

func (p *parser) selector(f *fields, path string) string {
	v, ok := f.vals["selector"]
	if !ok {
		return ""
	}
	sel, _ := p.str(v, path+".selector")
	if _, err := labels.Parse(sel); err != nil {
		p.errorf(v, "e.g. app=web or tier in (web,api)", "%s.selector: %v", path, err)
	}
	return sel
}

// count reads exactly one of count (==), atLeast (>=) and atMost (<=).
func (p *parser) count(f *fields, path string) Count {
	var present []string
	for _, k := range f.order {
		if k == "count" || k == "atLeast" || k == "atMost" {
			present = append(present, k)
		}
	}
	if len(present) != 1 {
		at := f.pos()
		if len(present) > 1 {
			at = nodePos(f.keys[present[1]])
		}
		p.errAt(p.file, at, "`count: 6` (exactly), `atLeast: 4` or `atMost: 0`", path+": expected exactly one of count, atLeast, atMost")
		return Count{}
	}
	c, _ := p.integer(f.vals[present[0]], path+"."+present[0], 0, maxCount)
	op := map[string]string{"count": "==", "atLeast": ">=", "atMost": "<="}[present[0]]
	return Count{Op: op, N: int(c)}
}

func (p *parser) restarts(n *yaml.Node, path string) *Restarts {
	f, ok := p.mapping(n, path, "namespace", "selector", "atMost")
	if !ok {
		return nil
	}
	r := &Restarts{Namespace: "default"}
	if v, ok := f.vals["namespace"]; ok {
		r.Namespace, _ = p.str(v, path+".namespace")
	}
	r.Selector = p.selector(f, path)
	r.AtMost = p.requiredCount(f, "atMost", path)
	return r
}

func (p *parser) available(n *yaml.Node, path string) *Available {
	f, ok := p.mapping(n, path, "namespace", "deployment", "atLeast")
	if !ok {
		return nil
	}
	a := &Available{Namespace: "default"}
	if v, ok := f.vals["namespace"]; ok {
		a.Namespace, _ = p.str(v, path+".namespace")
	}
	a.Deployment, _ = p.requiredString(f, "deployment", path)
	a.AtLeast = int32(p.requiredCount(f, "atLeast", path))
	return a
}

func (p *parser) imageCheck(n *yaml.Node, path string) *ImageCheck {
	f, ok := p.mapping(n, path, "namespace", "deployment", "container", "image")
	if !ok {
		return nil
	}
	c := &ImageCheck{Namespace: "default"}
	if v, ok := f.vals["namespace"]; ok {
		c.Namespace, _ = p.str(v, path+".namespace")
	}
	if v, ok := f.vals["container"]; ok {
		c.Container, _ = p.str(v, path+".container")
	}
	c.Deployment, _ = p.requiredString(f, "deployment", path)
	c.Image, _ = p.requiredString(f, "image", path)
	return c
}

func (p *parser) revisionCheck(n *yaml.Node, path string) *RevisionCheck {
	f, ok := p.mapping(n, path, "namespace", "deployment", "revision")
	if !ok {
		return nil
	}
	c := &RevisionCheck{Namespace: "default"}
	if v, ok := f.vals["namespace"]; ok {
		c.Namespace, _ = p.str(v, path+".namespace")
	}
	c.Deployment, _ = p.requiredString(f, "deployment", path)
	if v, ok := f.vals["revision"]; !ok {
		p.errAt(p.file, f.pos(), "", path+": missing required field \"revision\"")
	} else {
		c.Revision, _ = p.integer(v, path+".revision", 1, 1<<40)
	}
	return c
}

// countOnly reads {count: N}.
func (p *parser) countOnly(n *yaml.Node, path string) (int, bool) {
	f, ok := p.mapping(n, path, "count")
	if !ok {
		return 0, false
	}
	before := len(p.errs)
	c := p.requiredCount(f, "count", path)
	return c, len(p.errs) == before
}

// requiredCount reads a non-negative integer field that must be present.
func (p *parser) requiredCount(f *fields, name, path string) int {
	v, ok := f.vals[name]
	if !ok {
		p.errAt(p.file, f.pos(), "", fmt.Sprintf("%s: missing required field %q", path, name))
		return 0
	}
	c, _ := p.integer(v, path+"."+name, 0, maxCount)
	return int(c)
}

// reachable reads {from, namespace, to: HOST:PORT, protocol, blocked}.
func (p *parser) reachable(n *yaml.Node, path string) *Reachable {
	f, ok := p.mapping(n, path, "from", "namespace", "to", "protocol", "blocked")
	if !ok {
		return nil
	}
	r := &Reachable{Namespace: "default", Protocol: "TCP"}
	if v, ok := f.vals["namespace"]; ok {
		r.Namespace, _ = p.str(v, path+".namespace")
	}
	if from, ok := p.requiredString(f, "from", path); ok {
		if _, err := labels.Parse(from); err != nil {
			p.errorf(f.vals["from"], "a label selector, e.g. `from: app=client`", "%s.from: %v", path, err)
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
			p.errorf(f.vals["to"], "HOST:PORT, e.g. `to: web:80` or `to: db.prod:5432`", "%s.to: %q is not HOST:PORT", path, to)
		} else {
			r.Host, r.Port = to[:i], int32(port)
		}
	}
	if v, ok := f.vals["protocol"]; ok {
		r.Protocol, _ = p.str(v, path+".protocol")
		if r.Protocol != "TCP" && r.Protocol != "UDP" {
			p.errorf(v, "TCP or UDP", "%s.protocol: unsupported protocol %q", path, r.Protocol)
		}
	}
	if v, ok := f.vals["blocked"]; ok {
		r.Blocked, _ = p.boolean(v, path+".blocked")
	}
	return r
}
