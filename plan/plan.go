// Package plan runs capacity what-ifs: a plan file names the workloads,
// candidate node setups, the faults each must survive, seeds and SLOs;
// every (candidate × fault × seed) becomes an ordinary scenario run
// (sim/runner), run across worker goroutines, and the results are merged
// in a fixed order into one report, with an LP lower bound on the cost of
// packing the workload for each candidate. Nothing in sim/ imports it.
package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cloud"
)

// Plan is one loaded, validated plan file.
type Plan struct {
	Name        string
	Description string
	Path        string
	// Digest identifies the plan (SHA-256 of its file): partial results
	// of different plans are never merged.
	Digest   string
	Duration time.Duration // virtual time of each run (default 30m)
	// Settle is when the workloads should be up; faults default to it.
	Settle     time.Duration
	Seeds      int    // runs use seeds 1..Seeds
	Region     string // default us-east-1: prices (sim/cloud.Price) and default zones
	Workloads  []scenarios.Object
	Candidates []Candidate
	Faults     []Fault
	SLOs       []SLO
}

// Candidate is one node setup.
type Candidate struct {
	Name       string
	NodeGroups []NodeGroup
	Pos        scenarios.Pos
}

// NodeGroup is a fixed group of identical nodes.
type NodeGroup struct {
	Name         string
	InstanceType string
	Count        int
	Zones        []string
}

// FaultKind is what a fault does.
type FaultKind string

const (
	FaultNone     FaultKind = "none"     // nothing fails
	FaultAnyNode  FaultKind = "anyNode"  // one node crashes (a different one per seed)
	FaultEachZone FaultKind = "eachZone" // each zone in turn loses the control plane
	FaultEtcd     FaultKind = "etcdMember"
	FaultTimeline FaultKind = "timeline" // the plan's own timeline entries
)

var faultKinds = []string{string(FaultNone), string(FaultAnyNode), string(FaultEachZone), string(FaultEtcd), string(FaultTimeline)}

// Fault is one fault entry of the plan.
type Fault struct {
	Kind FaultKind
	Name string // defaults to the kind
	At   time.Duration
	For  time.Duration // eachZone: outage length (0 = to the end)
	// Timeline is the entries of a timeline fault, as YAML.
	Timeline *yaml.Node
	Pos      scenarios.Pos
}

// SLOKind names an SLO.
type SLOKind string

const (
	SLOAllReady       SLOKind = "allReady"        // every Deployment fully ready within T after the fault
	SLONoPendingAfter SLOKind = "noPendingBeyond" // no pod Pending longer than T
	SLOAvailable      SLOKind = "available"       // a Deployment's availability never below N
)

var sloKinds = []string{string(SLOAllReady), string(SLONoPendingAfter), string(SLOAvailable)}

// SLO is one service-level objective every run must meet.
type SLO struct {
	Kind       SLOKind
	Within     time.Duration // allReady, noPendingBeyond
	Namespace  string        // available
	Deployment string        // available
	AtLeast    int32         // available
	Pos        scenarios.Pos
}

// String is the SLO as the report names it.
func (s SLO) String() string {
	switch s.Kind {
	case SLOAllReady:
		return "allReady within " + s.Within.String()
	case SLONoPendingAfter:
		return "noPendingBeyond " + s.Within.String()
	}
	return fmt.Sprintf("available %s>=%d", s.Deployment, s.AtLeast)
}

const maxSeeds = 100_000

// Load reads and validates the plan file at path; manifest paths in it are
// relative to its directory. The error, if any, is a scenarios.ErrorList.
func Load(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parse(path, data, func(n *yaml.Node) ([]scenarios.Object, error) { return scenarios.LoadWorkloads(path, n) })
}

// Parse validates a plan held in fsys at filename (the embedded library).
func Parse(filename string, data []byte, fsys fs.FS) (*Plan, error) {
	return parse(filename, data, func(n *yaml.Node) ([]scenarios.Object, error) {
		return scenarios.ParseWorkloads(filename, n, fsys)
	})
}

// parser walks a plan file's YAML nodes with the scenario loader's node
// reader, so its errors have the scenario loader's form (file:line:column,
// message, hint).
type parser struct {
	*scenarios.NodeReader
}

func parse(file string, data []byte, workloads func(*yaml.Node) ([]scenarios.Object, error)) (*Plan, error) {
	p := &parser{scenarios.NewNodeReader(file)}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		line := 1
		_, _ = fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &line)
		p.Add(&scenarios.Error{File: file, Line: line, Column: 1, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
		return nil, p.Err()
	}
	if len(doc.Content) == 0 || scenarios.IsNull(doc.Content[0]) {
		p.Errorf(nil, "start with `name: my-plan`", "empty plan file")
		return nil, p.Err()
	}
	sum := sha256.Sum256(data)
	pl := &Plan{Path: file, Digest: "sha256:" + hex.EncodeToString(sum[:]), Duration: 30 * time.Minute, Settle: 5 * time.Minute, Region: "us-east-1"}
	f, ok := p.Mapping(doc.Content[0], "plan", "name", "description", "duration", "settle", "seeds", "region", "workloads", "candidates", "faults", "slos")
	if !ok {
		return nil, p.Err()
	}
	p.header(f, pl)
	if v, ok := f.Vals["workloads"]; ok {
		objs, err := workloads(v)
		var list scenarios.ErrorList
		if errors.As(err, &list) {
			p.Add(list...)
		} else if err != nil {
			return nil, err
		}
		pl.Workloads = objs
	} else {
		p.Errorf(f.Node, "e.g. `workloads: [{file: manifests/web.yaml}]`", "plan: missing required field \"workloads\"")
	}
	pl.Candidates = p.candidates(f, pl)
	pl.Faults = p.faults(f, pl)
	pl.SLOs = p.slos(f, pl)
	for _, s := range pl.SLOs {
		for _, ft := range pl.Faults {
			if s.Kind == SLOAllReady && ft.Kind != FaultNone && ft.Kind != FaultTimeline && ft.At+s.Within > pl.Duration {
				p.Add(&scenarios.Error{File: file, Line: s.Pos.Line, Column: s.Pos.Column,
					Msg:  fmt.Sprintf("allReady within %s after fault %s (at %s) ends after the runs (duration %s)", s.Within, ft.Name, ft.At, pl.Duration),
					Hint: "raise `duration:` or shorten `within:`"})
			}
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	// Every scenario the plan expands to must load: a mistake in a
	// timeline fault is found now, not half way through the sweep.
	for _, c := range pl.Candidates {
		for _, v := range pl.variants(c) {
			if _, err := pl.Scenario(c, v); err != nil {
				p.Add(&scenarios.Error{File: file, Line: v.fault.Pos.Line, Column: v.fault.Pos.Column,
					Msg: fmt.Sprintf("candidate %s under fault %s: the generated scenario does not load: %v", c.Name, v.Name, err)})
				return nil, p.Err()
			}
		}
	}
	return pl, nil
}

func (p *parser) header(f *scenarios.Fields, pl *Plan) {
	if v, ok := f.Vals["name"]; !ok {
		p.Errorf(f.Node, "add `name: my-plan`", "plan: missing required field \"name\"")
	} else if name, ok := p.Str(v, "name"); ok {
		if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
			p.Errorf(v, "lower case letters, digits and '-'", "name %q is not a DNS-1123 label: %s", name, strings.Join(msgs, "; "))
		}
		pl.Name = name
	}
	if v, ok := f.Vals["description"]; ok && !scenarios.IsNull(v) {
		pl.Description, _ = p.Str(v, "description")
	}
	if v, ok := f.Vals["duration"]; ok {
		if d, ok := p.Duration(v, "duration"); ok {
			if d == 0 {
				p.Errorf(v, "", "duration must be positive")
			}
			pl.Duration = d
		}
	}
	if v, ok := f.Vals["settle"]; ok {
		pl.Settle, _ = p.Duration(v, "settle")
	}
	if pl.Settle >= pl.Duration {
		n := f.Vals["settle"]
		if n == nil {
			n = f.Vals["duration"]
		}
		p.Errorf(n, "faults happen after `settle:`; raise `duration:`", "settle %s is not before the end of the runs (duration %s)", pl.Settle, pl.Duration)
	}
	if v, ok := f.Vals["seeds"]; !ok {
		p.Errorf(f.Node, "e.g. `seeds: 10` (runs use seeds 1..10)", "plan: missing required field \"seeds\"")
	} else if n, ok := p.Integer(v, "seeds", 0, maxSeeds); ok {
		if n == 0 {
			p.Errorf(v, "e.g. `seeds: 10` (runs use seeds 1..10)", "seeds: 0 runs nothing")
		}
		pl.Seeds = int(n)
	}
	if v, ok := f.Vals["region"]; ok {
		if r, ok := p.Str(v, "region"); ok {
			if _, known := cloud.LookupRegion(r); !known {
				p.Errorf(v, scenarios.DidYouMean(r, cloud.RegionNames(), "regions"), "region %q has no prices in the catalogue", r)
			}
			pl.Region = r
		}
	}
}

func (p *parser) candidates(f *scenarios.Fields, pl *Plan) []Candidate {
	v, ok := f.Vals["candidates"]
	if !ok {
		p.Errorf(f.Node, "e.g. `candidates: [{name: small, nodeGroups: [{name: ng, instanceType: m5.large, count: 3}]}]`", "plan: missing required field \"candidates\"")
		return nil
	}
	var out []Candidate
	seen := map[string]int{}
	items, _ := p.Sequence(v, "candidates")
	if len(items) == 0 && !scenarios.IsNull(v) && scenarios.ResolveNode(v).Kind == yaml.SequenceNode || scenarios.IsNull(v) {
		p.Errorf(v, "", "candidates: the plan needs at least one candidate")
	}
	for i, it := range items {
		path := fmt.Sprintf("candidates[%d]", i)
		cf, ok := p.Mapping(it, path, "name", "nodeGroups")
		if !ok {
			continue
		}
		c := Candidate{Pos: scenarios.NodePos(cf.Node)}
		if nv, ok := cf.Vals["name"]; !ok {
			p.Errorf(cf.Node, "", "%s: missing required field \"name\"", path)
		} else if name, ok := p.Str(nv, path+".name"); ok {
			if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 || len(name) > 30 {
				p.Errorf(nv, "lower case letters, digits and '-', at most 30 characters", "%s.name %q is not a short DNS-1123 label", path, name)
			}
			if prev, dup := seen[name]; dup {
				p.Errorf(nv, "", "%s: candidate name %q is used twice (first at line %d)", path, name, prev)
			}
			seen[name] = nv.Line
			c.Name = name
		}
		groups, _ := p.Sequence(cf.Vals["nodeGroups"], path+".nodeGroups")
		if len(groups) == 0 {
			p.Errorf(cf.Node, "e.g. `nodeGroups: [{name: ng, instanceType: m5.large, count: 3}]`", "%s: at least one node group is needed", path)
		}
		gnames := map[string]bool{}
		for j, g := range groups {
			gp := fmt.Sprintf("%s.nodeGroups[%d]", path, j)
			gf, ok := p.Mapping(g, gp, "name", "instanceType", "count", "zones")
			if !ok {
				continue
			}
			ng := NodeGroup{}
			if nv, ok := gf.Vals["name"]; !ok {
				p.Errorf(gf.Node, "", "%s: missing required field \"name\"", gp)
			} else if ng.Name, ok = p.Str(nv, gp+".name"); ok {
				if gnames[ng.Name] {
					p.Errorf(nv, "", "%s: node group %q is used twice", gp, ng.Name)
				}
				gnames[ng.Name] = true
			}
			if tv, ok := gf.Vals["instanceType"]; !ok {
				p.Errorf(gf.Node, "", "%s: missing required field \"instanceType\"", gp)
			} else if ng.InstanceType, ok = p.Str(tv, gp+".instanceType"); ok {
				if _, known := cloud.Lookup(ng.InstanceType); !known {
					p.Errorf(tv, scenarios.InstanceTypeHint(ng.InstanceType), "%s: unknown instance type %q", gp, ng.InstanceType)
				}
			}
			if cv, ok := gf.Vals["count"]; !ok {
				p.Errorf(gf.Node, "", "%s: missing required field \"count\"", gp)
			} else if n, ok := p.Integer(cv, gp+".count", 1, 5000); ok {
				ng.Count = int(n)
			}
			if zv, ok := gf.Vals["zones"]; ok {
				ng.Zones, _ = p.StringList(zv, gp+".zones")
				for k, z := range ng.Zones {
					if !strings.HasPrefix(z, pl.Region) {
						p.Errorf(scenarios.ResolveNode(zv).Content[k], "", "%s.zones: zone %q is not in region %s", gp, z, pl.Region)
					}
				}
			}
			c.NodeGroups = append(c.NodeGroups, ng)
		}
		out = append(out, c)
	}
	return out
}

func (p *parser) faults(f *scenarios.Fields, pl *Plan) []Fault {
	v, ok := f.Vals["faults"]
	if !ok {
		return []Fault{{Kind: FaultNone, Name: "none", Pos: scenarios.NodePos(f.Node)}}
	}
	var out []Fault
	names := map[string]bool{}
	items, _ := p.Sequence(v, "faults")
	for i, it := range items {
		path := fmt.Sprintf("faults[%d]", i)
		before := p.Count()
		ff, ok := p.Mapping(it, path, append(append([]string{}, faultKinds...), "name", "at", "for")...)
		if !ok {
			continue
		}
		var kinds []string
		for _, k := range ff.Order {
			if slices.Contains(faultKinds, k) {
				kinds = append(kinds, k)
			}
		}
		if len(kinds) != 1 {
			if p.Count() > before {
				continue // an unknown key already explains it
			}
			p.Errorf(ff.Node, "one of: "+strings.Join(faultKinds, ", "), "%s: expected exactly one fault kind", path)
			continue
		}
		ft := Fault{Kind: FaultKind(kinds[0]), Name: kinds[0], At: pl.Settle, Pos: scenarios.NodePos(ff.Node)}
		kv := ff.Vals[kinds[0]]
		switch ft.Kind {
		case FaultTimeline:
			if entries, _ := p.Sequence(kv, path+".timeline"); len(entries) == 0 {
				p.Errorf(kv, "scenario timeline entries, e.g. [{at: 5m, fail: {node: ng-1}}]", "%s.timeline: needs at least one entry", path)
			}
			ft.Timeline = kv
		default:
			if b := scenarios.ResolveNode(kv); b == nil || b.Kind != yaml.ScalarNode || b.Value != "true" {
				p.Errorf(kv, "write `"+kinds[0]+": true`", "%s.%s: expected true", path, kinds[0])
			}
		}
		if nv, ok := ff.Vals["name"]; ok {
			if n, ok := p.Str(nv, path+".name"); ok {
				if msgs := validation.IsDNS1123Label(n); len(msgs) > 0 || len(n) > 20 {
					p.Errorf(nv, "lower case letters, digits and '-', at most 20 characters", "%s.name %q is not a short DNS-1123 label", path, n)
				}
				ft.Name = n
			}
		}
		if names[ft.Name] {
			p.Errorf(ff.Node, "give it a `name:`", "%s: fault name %q is used twice", path, ft.Name)
		}
		names[ft.Name] = true
		if av, ok := ff.Vals["at"]; ok {
			if ft.Kind == FaultNone || ft.Kind == FaultTimeline {
				p.Errorf(ff.Keys["at"], "", "%s: at applies to anyNode, eachZone and etcdMember", path)
			} else if d, ok := p.Duration(av, path+".at"); ok {
				if d >= pl.Duration {
					p.Errorf(av, "", "%s.at %s is not before the end of the runs (duration %s)", path, d, pl.Duration)
				}
				ft.At = d
			}
		}
		if fv, ok := ff.Vals["for"]; ok {
			if ft.Kind != FaultEachZone {
				p.Errorf(ff.Keys["for"], "", "%s: for applies to eachZone", path)
			} else {
				ft.For, _ = p.Duration(fv, path+".for")
			}
		}
		out = append(out, ft)
	}
	if len(out) == 0 && p.Count() == 0 {
		p.Errorf(v, "e.g. `faults: [{none: true}, {anyNode: true}]`", "faults: the plan needs at least one fault (none: true for a quiet run)")
	}
	return out
}

func (p *parser) slos(f *scenarios.Fields, pl *Plan) []SLO {
	v, ok := f.Vals["slos"]
	if !ok {
		return nil
	}
	deps := map[string]bool{}
	var depNames []string
	for _, o := range pl.Workloads {
		if d, ok := o.Obj.(*appsv1.Deployment); ok {
			ns := d.Namespace
			if ns == "" {
				ns = "default"
			}
			deps[ns+"/"+d.Name] = true
			depNames = append(depNames, d.Name)
		}
	}
	var out []SLO
	items, _ := p.Sequence(v, "slos")
	for i, it := range items {
		path := fmt.Sprintf("slos[%d]", i)
		sf, ok := p.Mapping(it, path, sloKinds...)
		if !ok {
			continue
		}
		if len(sf.Order) != 1 {
			p.Errorf(sf.Node, "one SLO per entry: "+strings.Join(sloKinds, ", "), "%s: expected exactly one SLO", path)
			continue
		}
		k := sf.Order[0]
		s := SLO{Kind: SLOKind(k), Pos: scenarios.NodePos(sf.Node)}
		sv := sf.Vals[k]
		switch s.Kind {
		case SLOAllReady:
			if af, ok := p.Mapping(sv, path+"."+k, "within"); ok {
				if wv, ok := af.Vals["within"]; !ok {
					p.Errorf(af.Node, "e.g. `allReady: {within: 10m}`", "%s.%s: missing required field \"within\"", path, k)
				} else {
					s.Within, _ = p.Duration(wv, path+"."+k+".within")
				}
			}
			if len(depNames) == 0 {
				p.Errorf(sv, "", "%s: the workloads hold no Deployment", path)
			}
		case SLONoPendingAfter:
			s.Within, _ = p.Duration(sv, path+"."+k)
		case SLOAvailable:
			af, ok := p.Mapping(sv, path+"."+k, "namespace", "deployment", "atLeast")
			if !ok {
				continue
			}
			s.Namespace = "default"
			if nv, ok := af.Vals["namespace"]; ok {
				s.Namespace, _ = p.Str(nv, path+".available.namespace")
			}
			if dv, ok := af.Vals["deployment"]; !ok {
				p.Errorf(af.Node, "", "%s.available: missing required field \"deployment\"", path)
			} else if s.Deployment, ok = p.Str(dv, path+".available.deployment"); ok && !deps[s.Namespace+"/"+s.Deployment] {
				p.Errorf(dv, scenarios.DidYouMean(s.Deployment, depNames, "Deployments"), "%s.available: no Deployment %q in namespace %s among the workloads", path, s.Deployment, s.Namespace)
			}
			if lv, ok := af.Vals["atLeast"]; !ok {
				p.Errorf(af.Node, "", "%s.available: missing required field \"atLeast\"", path)
			} else if n, ok := p.Integer(lv, path+".available.atLeast", 0, 1<<31-1); ok {
				s.AtLeast = int32(n)
			}
		}
		out = append(out, s)
	}
	return out
}
