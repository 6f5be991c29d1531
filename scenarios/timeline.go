package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim/kubectl"
	"github.com/kubesim/kubesim/sim/store"
)

// actionNames are the timeline actions; an entry holds `at` and one of them.
var actionNames = []string{"fail", "recover", "cordon", "uncordon", "drain", "kubectl", "apply", "delete", "etcd", "partition", "api"}

// timelineState is what checking the timeline needs to know about the
// scenario: its nodes, etcd members, zones and snapshots taken so far.
type timelineState struct {
	s         *Scenario
	nodes     map[string]bool
	snapshots map[string]bool
}

type rawAction struct {
	f  *fields
	at time.Duration
}

// timeline reads the actions and returns them sorted by time (file order
// among equal times), the order in which they run.
func (p *parser) timeline(n *yaml.Node, s *Scenario) []Action {
	items, ok := p.sequence(n, "timeline")
	if !ok {
		return nil
	}
	var raws []rawAction
	for i, it := range items {
		path := fmt.Sprintf("timeline[%d]", i)
		f, ok := p.mapping(it, path, append([]string{"at", "name"}, actionNames...)...)
		if !ok {
			continue
		}
		at, ok := p.actionTime(f, path, s.Duration)
		if ok && p.oneAction(f, path) {
			raws = append(raws, rawAction{f: f, at: at})
		}
	}
	slices.SortStableFunc(raws, func(a, b rawAction) int { return cmp.Compare(a.at, b.at) })
	st := &timelineState{s: s, nodes: map[string]bool{}, snapshots: map[string]bool{}}
	for _, g := range s.Cluster.NodeGroups {
		for i := 1; i <= max(g.Count, g.Max); i++ {
			st.nodes[g.NodeName(i)] = true // at start, or added by the autoscaler up to max
		}
	}
	out := make([]Action, 0, len(raws))
	for _, r := range raws {
		a := Action{At: r.at, Pos: r.f.pos()}
		a.Name = p.actionName(r.f, out)
		if p.action(r.f, &a, st) {
			out = append(out, a)
		}
	}
	return out
}

// actionTime reads `at`, which must fall within the run.
func (p *parser) actionTime(f *fields, path string, dur time.Duration) (time.Duration, bool) {
	v, ok := f.vals["at"]
	if !ok {
		p.errAt(p.file, f.pos(), "add e.g. `at: 2m` (virtual time from the start)", path+": missing required field \"at\"")
		return 0, false
	}
	at, ok := p.duration(v, path+".at")
	if ok && dur > 0 && at > dur {
		p.errorf(v, "raise `duration:` or move the action earlier", "%s: at %s is after the end of the run (duration %s)", path, at, dur)
		return 0, false
	}
	return at, ok
}

// oneAction checks that the entry holds exactly one action.
func (p *parser) oneAction(f *fields, path string) bool {
	var present []string
	for _, k := range f.order {
		if k != "at" && k != "name" {
			present = append(present, k)
		}
	}
	switch len(present) {
	case 0:
		p.errAt(p.file, f.pos(), "add one of: "+strings.Join(actionNames, ", "), path+": timeline entry has no action")
		return false
	case 1:
		return true
	}
	p.errorf(f.keys[present[1]], "split it into several entries with the same `at:`",
		"%s: timeline entry has %d actions (%s); give one action per entry", path, len(present), strings.Join(present, ", "))
	return false
}

// action decodes the entry's action into a.
func (p *parser) action(f *fields, a *Action, st *timelineState) bool {
	var name string
	for _, k := range f.order {
		if k != "at" && k != "name" {
			name = k
		}
	}
	v, key := f.vals[name], f.keys[name]
	path := name
	ok := true
	switch name {
	case "fail":
		a.Fail, ok = p.nodeRef(v, path, st)
	case "recover":
		a.Recover, ok = p.nodeRef(v, path, st)
	case "cordon":
		a.Cordon, ok = p.nodeRef(v, path, st)
	case "uncordon":
		a.Uncordon, ok = p.nodeRef(v, path, st)
	case "drain":
		a.Drain, ok = p.nodeRef(v, path, st)
	case "kubectl":
		a.Kubectl, ok = p.kubectl(v, st)
	case "apply":
		a.Apply, ok = p.apply(v)
	case "delete":
		a.Delete, ok = p.deleteRef(v)
	case "etcd":
		a.Etcd, ok = p.etcdAction(v, st)
	case "partition":
		a.Partition, ok = p.zonePartition(v, st)
	case "api":
		a.API, ok = p.api(v)
	default:
		p.errorf(key, "", "unknown action %q", name)
		return false
	}
	return ok
}

// nodeRef reads {node: name}; the node must exist at start.
func (p *parser) nodeRef(n *yaml.Node, path string, st *timelineState) (*NodeRef, bool) {
	f, ok := p.mapping(n, path, "node")
	if !ok {
		return nil, false
	}
	name, ok := p.requiredString(f, "node", path)
	if !ok {
		return nil, false
	}
	if !st.nodes[name] {
		p.errorf(f.vals["node"], "nodes: "+nodeRanges(st.s.Cluster.NodeGroups), "%s: no node %q in this cluster", path, name)
		return nil, false
	}
	return &NodeRef{Node: name}, true
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

// kubectl reads a kubectl command line and checks it with the kubectl
// parser at load time, so a typo fails before the run rather than at its
// virtual minute. Files named by `apply -f` are read and checked now too,
// and kept for the run (Scenario.ReadManifests).
func (p *parser) kubectl(n *yaml.Node, st *timelineState) (string, bool) {
	line, ok := p.str(n, "kubectl")
	if !ok {
		return "", false
	}
	if strings.TrimSpace(line) == "" {
		p.errorf(n, "e.g. `kubectl: scale deployment/web --replicas=6`", "kubectl: empty command line")
		return "", false
	}
	cmd, err := kubectl.Parse(line)
	if err != nil {
		msg, hint := splitKubectlError(err.Error())
		p.errorf(n, hint, "kubectl: %s", msg)
		return "", false
	}
	before := len(p.errs)
	for _, t := range cmd.Targets {
		if t.Kind == "Node" && !st.nodes[t.Name] {
			p.errorf(n, "nodes: "+nodeRanges(st.s.Cluster.NodeGroups), "kubectl: no node %q in this cluster", t.Name)
		}
	}
	for _, f := range cmd.Files {
		objs := p.manifestPath(n, f, "kubectl apply -f")
		p.checkDuplicates(objs, "this apply")
		if _, seen := p.manifests[f]; !seen && len(p.errs) == before {
			p.manifests[f] = objs
		}
	}
	return line, len(p.errs) == before
}

// apply reads {file: ...} or {manifest: ...}.
func (p *parser) apply(n *yaml.Node) (*ApplyRef, bool) {
	f, ok := p.mapping(n, "apply", "file", "manifest")
	if !ok {
		return nil, false
	}
	before := len(p.errs)
	ref := &ApplyRef{}
	switch {
	case f.has("file") && f.has("manifest"):
		p.errorf(f.keys["manifest"], "use two timeline entries", "apply: give either file or manifest, not both")
	case f.has("file"):
		ref.File = scalarValue(f.vals["file"])
		ref.Objects = p.manifestFile(f.vals["file"], "apply.file")
	case f.has("manifest"):
		if o, ok := p.object(f.vals["manifest"]); ok {
			ref.Objects = []Object{o}
		}
	default:
		p.errAt(p.file, f.pos(), "e.g. `apply: {file: manifests/web-v2.yaml}`", "apply: expected `file:` or `manifest:`")
	}
	p.checkDuplicates(ref.Objects, "this apply")
	return ref, len(p.errs) == before
}

// deleteRef reads {kind, namespace, name | selector}.
func (p *parser) deleteRef(n *yaml.Node) (*DeleteRef, bool) {
	f, ok := p.mapping(n, "delete", "kind", "namespace", "name", "selector")
	if !ok {
		return nil, false
	}
	before := len(p.errs)
	d := &DeleteRef{}
	var info *store.KindInfo
	if d.Kind, ok = p.requiredString(f, "kind", "delete"); ok {
		if info, ok = store.LookupKind(d.Kind); !ok {
			p.errorf(f.vals["kind"], didYouMean(d.Kind, store.Kinds(), "kinds"), "delete: unknown kind %q", d.Kind)
		}
	}
	if v, ok := f.vals["namespace"]; ok {
		d.Namespace, _ = p.str(v, "delete.namespace")
		if info != nil && !info.Namespaced {
			p.errorf(v, "", "delete: %s is not namespaced", info.Kind)
		}
	} else if info != nil && info.Namespaced {
		d.Namespace = "default"
	}
	p.deleteTarget(f, d)
	return d, len(p.errs) == before
}

// deleteTarget reads exactly one of name and selector.
func (p *parser) deleteTarget(f *fields, d *DeleteRef) {
	switch {
	case f.has("name") && f.has("selector"):
		p.errorf(f.keys["selector"], "", "delete: give either name or selector, not both")
	case f.has("name"):
		d.Name, _ = p.str(f.vals["name"], "delete.name")
	case f.has("selector"):
		d.Selector, _ = p.str(f.vals["selector"], "delete.selector")
		if _, err := labels.Parse(d.Selector); err != nil {
			p.errorf(f.vals["selector"], "e.g. app=web or tier in (web,api)", "delete.selector: %v", err)
		}
	default:
		p.errAt(p.file, f.pos(), "e.g. `delete: {kind: Pod, name: web-1}` or `{kind: Pod, selector: app=web}`", "delete: expected `name:` or `selector:`")
	}
}

var etcdVerbs = []string{"stop", "start", "partition", "heal", "snapshot", "restore"}

// etcdAction reads one etcd operation on a member or a snapshot.
func (p *parser) etcdAction(n *yaml.Node, st *timelineState) (*EtcdAction, bool) {
	f, ok := p.mapping(n, "etcd", etcdVerbs...)
	if !ok {
		return nil, false
	}
	if len(f.order) != 1 {
		at := f.pos()
		if len(f.order) > 1 {
			at = nodePos(f.keys[f.order[1]])
		}
		p.errAt(p.file, at, "e.g. `etcd: {stop: etcd-1}`; use one timeline entry per operation", "etcd: expected exactly one of "+strings.Join(etcdVerbs, ", "))
		return nil, false
	}
	verb := f.order[0]
	v := f.vals[verb]
	arg, ok := p.str(v, "etcd."+verb)
	if !ok {
		return nil, false
	}
	e := &EtcdAction{}
	switch verb {
	case "snapshot", "restore":
		if !p.snapshotName(v, verb, arg, st) {
			return nil, false
		}
	default:
		if !p.etcdMember(v, arg, st.s.Cluster.ControlPlane.EtcdMembers) {
			return nil, false
		}
	}
	switch verb {
	case "stop":
		e.Stop = arg
	case "start":
		e.Start = arg
	case "partition":
		e.Partition = arg
	case "heal":
		e.Heal = arg
	case "snapshot":
		e.Snapshot = arg
	case "restore":
		e.Restore = arg
	}
	return e, true
}

// etcdMember checks a member name against etcd-1..etcd-N.
func (p *parser) etcdMember(n *yaml.Node, name string, members int) bool {
	for i := 1; i <= members; i++ {
		if name == fmt.Sprintf("etcd-%d", i) {
			return true
		}
	}
	p.errorf(n, fmt.Sprintf("members: etcd-1..etcd-%d", members), "etcd: no member %q (the cluster has %d etcd members)", name, members)
	return false
}

// snapshotName records a snapshot, or checks that a restore names one
// taken earlier.
func (p *parser) snapshotName(n *yaml.Node, verb, name string, st *timelineState) bool {
	if strings.TrimSpace(name) == "" {
		p.errorf(n, "", "etcd.%s: empty snapshot name", verb)
		return false
	}
	if verb == "snapshot" {
		st.snapshots[name] = true
		return true
	}
	if !st.snapshots[name] {
		taken := slices.Sorted(mapKeys(st.snapshots))
		hint := "take it first with an earlier `etcd: {snapshot: " + name + "}`"
		if len(taken) > 0 {
			hint = "snapshots taken before this point: " + strings.Join(taken, ", ")
		}
		p.errorf(n, hint, "etcd.restore: no snapshot %q was taken before this point", name)
		return false
	}
	return true
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// zonePartition reads {zone, for}.
func (p *parser) zonePartition(n *yaml.Node, st *timelineState) (*ZonePartition, bool) {
	f, ok := p.mapping(n, "partition", "zone", "for")
	if !ok {
		return nil, false
	}
	z := &ZonePartition{}
	if z.Zone, ok = p.requiredString(f, "zone", "partition"); !ok {
		return nil, false
	}
	if zones := st.s.Cluster.Zones; !slices.Contains(zones, z.Zone) {
		p.errorf(f.vals["zone"], didYouMean(z.Zone, zones, "zones"), "partition: no zone %q in this cluster", z.Zone)
		return nil, false
	}
	if v, ok := f.vals["for"]; ok {
		if z.For, ok = p.duration(v, "partition.for"); !ok {
			return nil, false
		}
	}
	return z, true
}

// splitKubectlError keeps the first line of a kubectl error as the
// message and folds kubectl's further lines ("Did you mean this?\n\tscale")
// into a one-line hint.
func splitKubectlError(text string) (string, string) {
	lines := strings.Split(text, "\n")
	var rest []string
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" {
			rest = append(rest, l)
		}
	}
	return lines[0], strings.Join(rest, " ")
}
