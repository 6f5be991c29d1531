package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/sim/action"
)

type rawAction struct {
	f  *Fields
	at time.Duration
}

// timeline reads the actions and returns them sorted by time (file order
// among equal times), the order in which they run.
func (p *parser) timeline(n *yaml.Node, s *Scenario) []Action {
	items, ok := p.Sequence(n, "timeline")
	if !ok {
		return nil
	}
	var raws []rawAction
	for i, it := range items {
		path := fmt.Sprintf("timeline[%d]", i)
		f, ok := p.Mapping(it, path, append([]string{"at", "name"}, action.Names()...)...)
		if !ok {
			continue
		}
		at, ok := p.actionTime(f, path, s.Duration)
		if ok && p.oneAction(f, path) {
			raws = append(raws, rawAction{f: f, at: at})
		}
	}
	slices.SortStableFunc(raws, func(a, b rawAction) int { return cmp.Compare(a.at, b.at) })
	w := s.world()
	out := make([]Action, 0, len(raws))
	for _, r := range raws {
		name := p.actionName(r.f, out)
		if a, ok := p.action(r.f, w); ok {
			out = append(out, Action{At: r.at, Pos: r.f.Pos(), Name: name, Do: a})
		}
	}
	return out
}

// world is the cluster the timeline's actions are checked against: every
// node at start or added by the autoscaler up to its group's max, the
// etcd members, the zones, no snapshot yet.
func (s *Scenario) world() *action.World {
	w := &action.World{Nodes: map[string]bool{}, NodeHint: "nodes: " + nodeRanges(s.Cluster.NodeGroups),
		Zones: s.Cluster.Zones, Snapshots: map[string]bool{}}
	for _, g := range s.Cluster.NodeGroups {
		for i := 1; i <= max(g.Count, g.Max); i++ {
			w.Nodes[g.NodeName(i)] = true
		}
	}
	for i := 1; i <= s.Cluster.ControlPlane.EtcdMembers; i++ {
		w.EtcdMembers = append(w.EtcdMembers, fmt.Sprintf("etcd-%d", i))
	}
	return w
}

// actionTime reads `at`, which must fall within the run.
func (p *parser) actionTime(f *Fields, path string, dur time.Duration) (time.Duration, bool) {
	v, ok := f.Vals["at"]
	if !ok {
		p.errAt(p.file, f.Pos(), "add e.g. `at: 2m` (virtual time from the start)", path+": missing required field \"at\"")
		return 0, false
	}
	at, ok := p.Duration(v, path+".at")
	if ok && dur > 0 && at > dur {
		p.Errorf(v, "raise `duration:` or move the action earlier", "%s: at %s is after the end of the run (duration %s)", path, at, dur)
		return 0, false
	}
	return at, ok
}

// oneAction checks that the entry holds exactly one action.
func (p *parser) oneAction(f *Fields, path string) bool {
	var present []string
	for _, k := range f.Order {
		if k != "at" && k != "name" {
			present = append(present, k)
		}
	}
	switch len(present) {
	case 0:
		p.errAt(p.file, f.Pos(), "add one of: "+strings.Join(action.Names(), ", "), path+": timeline entry has no action")
		return false
	case 1:
		return true
	}
	p.Errorf(f.Keys[present[1]], "split it into several entries with the same `at:`",
		"%s: timeline entry has %d actions (%s); give one action per entry", path, len(present), strings.Join(present, ", "))
	return false
}

// action decodes the entry's action with its registry entry and checks it
// against the cluster (in time order, so a restore sees the snapshots
// taken before it).
func (p *parser) action(f *Fields, w *action.World) (action.Action, bool) {
	var name string
	for _, k := range f.Order {
		if k != "at" && k != "name" {
			name = k
		}
	}
	v, key := f.Vals[name], f.Keys[name]
	if !action.Known(name) {
		p.Errorf(key, "", "unknown action %q", name)
		return nil, false
	}
	a, ok := action.Parse(decoder{p}, name, v)
	if !ok {
		return nil, false
	}
	if prob := action.Validate(a, w); prob != nil {
		p.Errorf(problemNode(v, prob.Field), prob.Hint, "%s", prob.Msg)
		return nil, false
	}
	return a, true
}

// problemNode is the value at field (a dotted path of mapping keys,
// "insufficientCapacity.zone") below n, or the deepest node of it found.
func problemNode(n *yaml.Node, field string) *yaml.Node {
	n = ResolveNode(n)
	if field == "" {
		return n
	}
	for _, key := range strings.Split(field, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return n
		}
		next := (*yaml.Node)(nil)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if ResolveNode(n.Content[i]).Value == key {
				next = ResolveNode(n.Content[i+1])
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// nodeRanges summarises the node names per group: "general-1..general-3, big-1".
func nodeRanges(groups []NodeGroup) string {
	var parts []string
	for _, g := range groups {
		switch g.Count {
		case 0:
		case 1:
			parts = append(parts, g.NodeName(1))
		case 2:
			parts = append(parts, g.NodeName(1)+", "+g.NodeName(2))
		default:
			parts = append(parts, g.NodeName(1)+".."+g.NodeName(g.Count))
		}
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}
