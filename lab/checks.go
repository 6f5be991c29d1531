package lab

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/jsonpath"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/store"
)

// Check is one declarative assertion on the cluster's state. Exactly one
// of the typed fields is set.
type Check struct {
	// Name says what is checked, as the learner reads it.
	Name string
	Pos  scenarios.Pos

	Object   *ObjectCheck
	Pods     *PodsCheck
	Nodes    *NodesCheck
	Workload *WorkloadCheck
	Etcd     *EtcdCheck
	Service  *ServiceCheck
	Access   *AccessCheck
	Reach    *ReachCheck
	DNS      *DNSCheck
}

// ObjectCheck: an object exists (or not) and its fields match.
type ObjectCheck struct {
	Kind      string `yaml:"kind"`
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
	// Absent: the object must not exist.
	Absent bool `yaml:"absent"`
	// Fields maps a JSONPath (kubectl's `-o jsonpath` syntax, with or
	// without the braces) to the expected value.
	Fields []FieldMatch `yaml:"-"`
}

// FieldMatch is one field of an ObjectCheck: the JSONPath's output (list
// results joined by spaces) compared with Want.
type FieldMatch struct {
	Path string
	// Op: equals (default), contains, matches (a regular expression),
	// notEquals, exists (Want "true" or "false").
	Op   string
	Want string
	jp   *jsonpath.JSONPath
}

// PodsCheck: the pods a selector matches, counted by what they must be.
type PodsCheck struct {
	Namespace string `yaml:"namespace"`
	Selector  string `yaml:"selector"`
	// Phase the pods must be in (default Running); Ready too unless
	// ready: false.
	Phase string `yaml:"phase"`
	Ready *bool  `yaml:"ready"`
	// Count is the exact number of matching pods; Min a lower bound.
	Count *int `yaml:"count"`
	Min   *int `yaml:"min"`
	// NodeSelector: every counted pod runs on a node with these labels.
	NodeSelector string `yaml:"nodeSelector"`
	// NotOnNode: no counted pod runs on this node.
	NotOnNode string `yaml:"notOnNode"`
	// Image: every counted pod runs this image (in some container).
	Image string `yaml:"image"`
	// Spread: counted pods per value of a node label differ by at most
	// MaxSkew (topology spread), over at least MinDomains values.
	Spread *SpreadCheck `yaml:"spread"`
	// MaxRestarts: no counted pod's containers restarted more (a
	// crash loop fixed for good).
	MaxRestarts *int `yaml:"maxRestarts"`
}

// SpreadCheck is the spread of a PodsCheck.
type SpreadCheck struct {
	TopologyKey string `yaml:"topologyKey"`
	MaxSkew     int    `yaml:"maxSkew"`
	MinDomains  int    `yaml:"minDomains"`
}

// NodesCheck: nodes, by name or selector, are Ready, schedulable ...
type NodesCheck struct {
	Name     string `yaml:"name"`
	Selector string `yaml:"selector"`
	Ready    *bool  `yaml:"ready"`
	// Schedulable: not cordoned (spec.unschedulable unset).
	Schedulable *bool `yaml:"schedulable"`
	Count       *int  `yaml:"count"`
	Min         *int  `yaml:"min"`
	// Taint "key[=value]:Effect" the nodes must have; NoTaint one they
	// must not have (":Effect" optional: any effect).
	Taint   string `yaml:"taint"`
	NoTaint string `yaml:"noTaint"`
	// Labels the nodes must carry ("k=v,k2=v2").
	Labels string `yaml:"labels"`
	// KubeletVersion the nodes report (status.nodeInfo.kubeletVersion).
	KubeletVersion string `yaml:"kubeletVersion"`
}

// WorkloadCheck: a Deployment, StatefulSet or DaemonSet is fully rolled
// out and available with the wanted replicas.
type WorkloadCheck struct {
	Kind      string `yaml:"kind"`
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
	// Replicas wanted ready (for a DaemonSet: scheduled pods); 0 means
	// whatever the spec asks, at least one.
	Replicas *int `yaml:"replicas"`
	// Image: every container image of the pod template is this one (or
	// one of them is, when the template has several containers).
	Image string `yaml:"image"`
}

// EtcdCheck: an etcd snapshot was saved under a name and (optionally)
// restored after it was saved.
type EtcdCheck struct {
	Snapshot string `yaml:"snapshot"`
	Restored bool   `yaml:"restored"`
}

// ServiceCheck: a Service exists and its EndpointSlices list ready
// endpoints (pods its selector matches and that are Ready).
type ServiceCheck struct {
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
	// Endpoints is the exact number of ready endpoints; Min a lower bound
	// (default: at least one).
	Endpoints *int `yaml:"endpoints"`
	Min       *int `yaml:"min"`
	// Type and Port, if set, must match the Service's spec.
	Type string `yaml:"type"`
	Port int    `yaml:"port"`
}

// checkTypes are the check kinds a lab file may use.
var checkTypes = []string{"object", "pods", "nodes", "workload", "etcd", "service", "access", "reach", "dns"}

// workloadKinds are the kinds a workload check understands.
var workloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet"}

// check reads one entry of `checks:`.
func (p *parser) check(n *yaml.Node) (Check, bool) {
	c := Check{Pos: scenarios.NodePos(n)}
	if n.Kind != yaml.MappingNode {
		p.Errorf(n, "e.g. `- pods: {selector: app=web, count: 3}`", "a check is a mapping, not %s", scenarios.DescribeNode(n))
		return c, false
	}
	var typ string
	var val *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], scenarios.ResolveNode(n.Content[i+1])
		switch {
		case k.Value == "name":
			c.Name = strings.TrimSpace(p.scalar(v, "check name"))
		case slices.Contains(checkTypes, k.Value):
			if typ != "" {
				p.Errorf(k, "split it into two checks", "a check has one type, found %s and %s", typ, k.Value)
				return c, false
			}
			typ, val = k.Value, v
		default:
			p.Errorf(k, textdist.DidYouMean(k.Value, append([]string{"name"}, checkTypes...), "check types"),
				"unknown check type %q (check types: %s)", k.Value, strings.Join(checkTypes, ", "))
			return c, false
		}
	}
	if typ == "" {
		p.Errorf(n, "add one of "+strings.Join(checkTypes, ", "), "the check has no type")
		return c, false
	}
	what := typ + " check"
	ok := true
	switch typ {
	case "object":
		c.Object, ok = p.objectCheck(val, what)
	case "pods":
		c.Pods = &PodsCheck{}
		ok = decodeCheck(p, val, what, c.Pods, p.podsCheck)
	case "nodes":
		c.Nodes = &NodesCheck{}
		ok = decodeCheck(p, val, what, c.Nodes, p.nodesCheck)
	case "workload":
		c.Workload = &WorkloadCheck{Kind: "Deployment"}
		ok = decodeCheck(p, val, what, c.Workload, p.workloadCheck)
	case "etcd":
		c.Etcd = &EtcdCheck{}
		ok = decodeCheck(p, val, what, c.Etcd, p.etcdCheck)
	case "reach":
		c.Reach = &ReachCheck{}
		ok = decodeCheck(p, val, what, c.Reach, p.reachCheck)
	case "dns":
		c.DNS = &DNSCheck{}
		ok = decodeCheck(p, val, what, c.DNS, p.dnsCheck)
	case "access":
		c.Access = &AccessCheck{}
		ok = decodeCheck(p, val, what, c.Access, p.accessCheck)
	case "service":
		c.Service = &ServiceCheck{}
		ok = decodeCheck(p, val, what, c.Service, p.serviceCheck)
	}
	if ok && c.Name == "" {
		c.Name = c.describe()
	}
	return c, ok
}

// decodeCheck decodes a check's fields strictly into c, then validates
// what decoding cannot (required fields, known values, defaults).
func decodeCheck[T any](p *parser, val *yaml.Node, what string, c *T, validate func(*yaml.Node, *T) bool) bool {
	return p.strictDecode(val, what, c) && validate(val, c)
}

func (p *parser) workloadCheck(val *yaml.Node, c *WorkloadCheck) bool {
	ok := true
	if !slices.Contains(workloadKinds, c.Kind) {
		p.kindError(val, c.Kind, workloadKinds)
		ok = false
	}
	if c.Name == "" {
		p.Errorf(val, "", "workload check: name is required")
		ok = false
	}
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	return ok
}

func (p *parser) etcdCheck(val *yaml.Node, c *EtcdCheck) bool {
	if c.Snapshot == "" {
		p.Errorf(val, "e.g. `etcd: {snapshot: backup, restored: true}`", "etcd check: snapshot is required")
		return false
	}
	return true
}

func (p *parser) serviceCheck(val *yaml.Node, c *ServiceCheck) bool {
	ok := true
	if c.Name == "" {
		p.Errorf(val, "", "service check: name is required")
		ok = false
	}
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	types := []string{"", "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"}
	if !slices.Contains(types, c.Type) {
		p.Errorf(val, textdist.DidYouMean(c.Type, types[1:], "types"), "service check: unknown Service type %q", c.Type)
		ok = false
	}
	return ok
}

// kindError reports a kind the check cannot use: one the API does not
// serve at all, or one this check type does not apply to.
func (p *parser) kindError(n *yaml.Node, kind string, allowed []string) {
	at := n
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" {
			at = n.Content[i+1]
		}
	}
	if _, served := store.LookupKind(kind); !served {
		p.Errorf(at, textdist.DidYouMean(kind, store.Kinds(), "kinds"), "kind %q is not served by the API (kinds: %s)", kind, strings.Join(store.Kinds(), ", "))
		return
	}
	p.Errorf(at, "", "this check applies to %s, not %s", strings.Join(allowed, ", "), kind)
}

func (p *parser) objectCheck(n *yaml.Node, what string) (*ObjectCheck, bool) {
	if n.Kind != yaml.MappingNode {
		p.Errorf(n, "", "%s must be a mapping, not %s", what, scenarios.DescribeNode(n))
		return nil, false
	}
	f := p.fields(n, what, []string{"kind", "name", "namespace", "absent", "fields"})
	o := &ObjectCheck{Kind: p.str(f, "kind", false), Name: p.str(f, "name", false), Namespace: p.str(f, "namespace", false)}
	ok := true
	info, served := store.LookupKind(o.Kind)
	switch {
	case o.Kind == "":
		p.Errorf(n, "e.g. `kind: Deployment`", "%s: kind is required", what)
		ok = false
	case !served:
		p.kindError(n, o.Kind, nil)
		ok = false
	}
	if o.Name == "" {
		p.Errorf(n, "", "%s: name is required", what)
		ok = false
	}
	if served {
		if info.Namespaced && o.Namespace == "" {
			o.Namespace = "default"
		}
		if !info.Namespaced && o.Namespace != "" {
			p.Errorf(f["namespace"], "remove namespace", "%s: %s is cluster-scoped, it has no namespace", what, o.Kind)
			ok = false
		}
	}
	if v, has := f["absent"]; has {
		o.Absent = p.scalar(v, "absent") == "true"
	}
	if v, has := f["fields"]; has {
		if v.Kind != yaml.MappingNode {
			p.Errorf(v, `e.g. fields: {"{.spec.replicas}": 3}`, "%s: fields must be a mapping of JSONPath to value", what)
			return o, false
		}
		if o.Absent {
			p.Errorf(v, "", "%s: an absent object has no fields to match", what)
			ok = false
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], scenarios.ResolveNode(v.Content[i+1])
			m := FieldMatch{Path: k.Value, Op: "equals"}
			switch val.Kind {
			case yaml.ScalarNode:
				m.Want = val.Value
			case yaml.MappingNode:
				if len(val.Content) != 2 || !slices.Contains(fieldOps, val.Content[0].Value) || val.Content[1].Kind != yaml.ScalarNode {
					p.Errorf(val, "one of "+strings.Join(fieldOps, ", ")+" with a value", "%s: field %s: a match is a value or {OP: value}", what, k.Value)
					ok = false
					continue
				}
				m.Op, m.Want = val.Content[0].Value, val.Content[1].Value
			default:
				p.Errorf(val, "", "%s: field %s: expected a value, not %s", what, k.Value, scenarios.DescribeNode(val))
				ok = false
				continue
			}
			jp, err := compilePath(m.Path)
			if err != nil {
				p.Errorf(k, "kubectl's JSONPath, e.g. {.spec.template.spec.containers[0].image}", "%s: field %q: %v", what, m.Path, err)
				ok = false
				continue
			}
			if m.Op == "matches" {
				if _, err := compileMatch(m.Want); err != nil {
					p.Errorf(val, "", "%s: field %s: %v", what, k.Value, err)
					ok = false
					continue
				}
			}
			m.jp = jp
			o.Fields = append(o.Fields, m)
		}
	}
	return o, ok
}

var fieldOps = []string{"equals", "notEquals", "contains", "matches", "exists"}

func compilePath(path string) (*jsonpath.JSONPath, error) {
	if !strings.HasPrefix(path, "{") {
		path = "{" + path + "}"
	}
	jp := jsonpath.New("field").AllowMissingKeys(true)
	if err := jp.Parse(path); err != nil {
		return nil, err
	}
	return jp, nil
}

func (p *parser) podsCheck(n *yaml.Node, c *PodsCheck) bool {
	ok := true
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	if c.Phase == "" {
		c.Phase = "Running"
	}
	phases := []string{"Pending", "Running", "Succeeded", "Failed"}
	if !slices.Contains(phases, c.Phase) {
		p.Errorf(n, textdist.DidYouMean(c.Phase, phases, "phases"), "pods check: unknown phase %q", c.Phase)
		ok = false
	}
	for _, sel := range []string{c.Selector, c.NodeSelector} {
		if _, err := labels.Parse(sel); err != nil {
			p.Errorf(n, "e.g. app=web,tier!=db", "pods check: bad label selector %q: %v", sel, err)
			ok = false
		}
	}
	if c.Selector == "" {
		p.Errorf(n, "e.g. `selector: app=web`", "pods check: selector is required")
		ok = false
	}
	if c.Count == nil && c.Min == nil {
		p.Errorf(n, "add `count: N` or `min: N`", "pods check: say how many pods (count or min)")
		ok = false
	}
	if c.Spread != nil && c.Spread.TopologyKey == "" {
		p.Errorf(n, "e.g. topology.kubernetes.io/zone", "pods check: spread needs a topologyKey")
		ok = false
	}
	return ok
}

func (p *parser) nodesCheck(n *yaml.Node, c *NodesCheck) bool {
	ok := true
	if c.Name != "" && c.Selector != "" {
		p.Errorf(n, "", "nodes check: name or selector, not both")
		ok = false
	}
	for _, sel := range []string{c.Selector, c.Labels} {
		if _, err := labels.Parse(sel); err != nil {
			p.Errorf(n, "", "nodes check: bad label selector %q: %v", sel, err)
			ok = false
		}
	}
	for _, t := range []string{c.Taint, c.NoTaint} {
		if t != "" {
			if _, _, _, err := parseTaint(t); err != nil {
				p.Errorf(n, "key[=value]:Effect, e.g. dedicated=gpu:NoSchedule", "nodes check: %v", err)
				ok = false
			}
		}
	}
	return ok
}

// parseTaint reads "key[=value][:Effect]".
func parseTaint(s string) (key, value, effect string, err error) {
	kv, effect, _ := strings.Cut(s, ":")
	key, value, _ = strings.Cut(kv, "=")
	if key == "" {
		return "", "", "", fmt.Errorf("taint %q has no key", s)
	}
	if effect != "" && !slices.Contains([]string{"NoSchedule", "PreferNoSchedule", "NoExecute"}, effect) {
		return "", "", "", fmt.Errorf("taint %q: unknown effect %q (NoSchedule, PreferNoSchedule, NoExecute)", s, effect)
	}
	return key, value, effect, nil
}

// describe is a check's default name.
func (c Check) describe() string {
	switch {
	case c.Object != nil:
		o := c.Object
		s := fmt.Sprintf("%s %s", o.Kind, qualified(o.Namespace, o.Name))
		if o.Absent {
			return s + " does not exist"
		}
		if len(o.Fields) == 0 {
			return s + " exists"
		}
		var parts []string
		for _, f := range o.Fields {
			parts = append(parts, f.String())
		}
		return s + ": " + strings.Join(parts, ", ")
	case c.Pods != nil:
		pc := c.Pods
		n := ""
		if pc.Count != nil {
			n = fmt.Sprint(*pc.Count)
		} else {
			n = fmt.Sprintf("at least %d", *pc.Min)
		}
		s := fmt.Sprintf("%s pods %s in %s %s", n, pc.Selector, pc.Namespace, pc.Phase)
		if pc.NodeSelector != "" {
			s += " on nodes " + pc.NodeSelector
		}
		return s
	case c.Nodes != nil:
		nc := c.Nodes
		who := "every node"
		if nc.Name != "" {
			who = "node " + nc.Name
		} else if nc.Selector != "" {
			who = "nodes " + nc.Selector
		}
		var parts []string
		if nc.Ready != nil {
			parts = append(parts, map[bool]string{true: "Ready", false: "NotReady"}[*nc.Ready])
		}
		if nc.Schedulable != nil {
			parts = append(parts, map[bool]string{true: "schedulable", false: "cordoned"}[*nc.Schedulable])
		}
		if nc.Taint != "" {
			parts = append(parts, "tainted "+nc.Taint)
		}
		if nc.NoTaint != "" {
			parts = append(parts, "without taint "+nc.NoTaint)
		}
		if nc.Labels != "" {
			parts = append(parts, "labelled "+nc.Labels)
		}
		return who + " " + strings.Join(parts, ", ")
	case c.Workload != nil:
		return fmt.Sprintf("%s %s rolled out and available", c.Workload.Kind, qualified(c.Workload.Namespace, c.Workload.Name))
	case c.Service != nil:
		sc := c.Service
		s := "Service " + qualified(sc.Namespace, sc.Name)
		if sc.Type != "" {
			s += " of type " + sc.Type
		}
		if sc.Port != 0 {
			s += fmt.Sprintf(" on port %d", sc.Port)
		}
		switch {
		case sc.Endpoints != nil:
			return s + fmt.Sprintf(" with %d ready endpoints", *sc.Endpoints)
		case sc.Min != nil:
			return s + fmt.Sprintf(" with at least %d ready endpoints", *sc.Min)
		}
		return s + " with ready endpoints"
	case c.Access != nil:
		return c.Access.describe()
	case c.Reach != nil:
		return c.Reach.describe()
	case c.DNS != nil:
		return c.DNS.describe()
	case c.Etcd != nil:
		if c.Etcd.Restored {
			return fmt.Sprintf("etcd snapshot %q saved and restored", c.Etcd.Snapshot)
		}
		return fmt.Sprintf("etcd snapshot %q saved", c.Etcd.Snapshot)
	}
	return "check"
}

func (f FieldMatch) String() string {
	if f.Op == "equals" {
		return fmt.Sprintf("%s = %q", f.Path, f.Want)
	}
	return fmt.Sprintf("%s %s %q", f.Path, f.Op, f.Want)
}

func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}
