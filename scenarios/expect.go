package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/labels"
)

var (
	timingNames = []string{"by", "at", "always"}
	checkNames  = []string{"deploymentReady", "podsRunning", "nodesReady", "noOvercommit", "pending", "etcdQuorum"}
)

// maxCount bounds counts in expectations (pods, replicas, nodes).
const maxCount = 10_000_000

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
		okT := p.expectTiming(f, path, s.Duration, &e)
		okC := p.expectCheck(f, path, &e)
		if okT && okC {
			out = append(out, e)
		}
	}
	return out
}

// expectTiming reads exactly one of by, at and always: true.
func (p *parser) expectTiming(f *fields, path string, dur time.Duration, e *Expectation) bool {
	var present []string
	for _, k := range f.order {
		if slices.Contains(timingNames, k) {
			present = append(present, k)
		}
	}
	if len(present) != 1 {
		at := f.pos()
		if len(present) > 1 {
			at = nodePos(f.keys[present[1]])
		}
		p.errAt(p.file, at, "`by: 90s` (holds at some moment up to then), `at: 15m` (holds at that moment) or `always: true` (holds after every event)",
			path+": expected exactly one of by, at, always")
		return false
	}
	v := f.vals[present[0]]
	if present[0] == "always" {
		b, ok := p.boolean(v, path+".always")
		if ok && !b {
			p.errorf(v, "use `by:` or `at:` instead", "%s: always: false checks nothing", path)
		}
		e.Always = b
		return ok && b
	}
	d, ok := p.duration(v, path+"."+present[0])
	if !ok {
		return false
	}
	if dur > 0 && d > dur {
		p.errorf(v, "raise `duration:` or check earlier", "%s: %s %s is after the end of the run (duration %s)", path, present[0], d, dur)
		return false
	}
	if present[0] == "by" {
		e.By = &d
	} else {
		e.At = &d
	}
	return true
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
	case "nodesReady":
		if c, ok := p.countOnly(v, cp); ok {
			e.NodesReady = &NodesReady{Count: c}
		}
	case "pending":
		if c, ok := p.countOnly(v, cp); ok {
			e.Pending = &Pending{Count: c}
		}
	case "noOvercommit":
		b, ok := p.boolean(v, cp)
		if ok && !b {
			p.errorf(v, "remove the entry, or write `noOvercommit: true`", "%s: noOvercommit: false checks nothing", path)
		}
		e.NoOvercommit = b
	case "etcdQuorum":
		if b, ok := p.boolean(v, cp); ok {
			e.EtcdQuorum = &b
		}
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

func (p *parser) podsRunning(n *yaml.Node, path string) *PodsRunning {
	f, ok := p.mapping(n, path, "namespace", "selector", "count")
	if !ok {
		return nil
	}
	r := &PodsRunning{Namespace: "default"}
	if v, ok := f.vals["namespace"]; ok {
		r.Namespace, _ = p.str(v, path+".namespace")
	}
	if v, ok := f.vals["selector"]; ok {
		r.Selector, _ = p.str(v, path+".selector")
		if _, err := labels.Parse(r.Selector); err != nil {
			p.errorf(v, "e.g. app=web or tier in (web,api)", "%s.selector: %v", path, err)
		}
	}
	r.Count = p.requiredCount(f, "count", path)
	return r
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
