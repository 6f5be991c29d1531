package lab

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"

	"github.com/kubesim/kubesim/sim/store"
)

// Result is one check's verdict, with what it wanted and what it found.
type Result struct {
	Name     string `json:"name"`
	Pass     bool   `json:"pass"`
	Expected string `json:"expected"`
	Found    string `json:"found"`
	// Constraint: the check passed when the lab started; it must stay
	// true ("do not delete the Deployment") and earns nothing by itself.
	Constraint bool `json:"constraint,omitempty"`
}

// EtcdState is what the lab's etcdctl stand-in has done: the snapshots
// that exist and, in order, the snapshot names restored after they were
// saved.
type EtcdState struct {
	Snapshots []string
	Restored  []string
}

// Target is the cluster checks read: its Kubernetes API (as kubectl
// would) and the etcd snapshots of the control plane.
type Target struct {
	Client dynamic.Interface
	Etcd   func() EtcdState
}

// Evaluate runs every check against the cluster.
func Evaluate(ctx context.Context, t Target, checks []Check) []Result {
	out := make([]Result, len(checks))
	for i, c := range checks {
		r := t.evaluate(ctx, c)
		r.Name = c.Name
		out[i] = r
	}
	return out
}

func (t Target) evaluate(ctx context.Context, c Check) Result {
	switch {
	case c.Object != nil:
		return t.object(ctx, c.Object)
	case c.Pods != nil:
		return t.pods(ctx, c.Pods)
	case c.Nodes != nil:
		return t.nodes(ctx, c.Nodes)
	case c.Workload != nil:
		return t.workload(ctx, c.Workload)
	case c.Etcd != nil:
		return t.etcd(c.Etcd)
	case c.Service != nil:
		return t.service(ctx, c.Service)
	case c.Access != nil:
		return t.access(ctx, c.Access)
	case c.Reach != nil:
		return t.reach(ctx, c.Reach)
	case c.DNS != nil:
		return t.dns(ctx, c.DNS)
	}
	return Result{Expected: "a known check", Found: "an empty check"}
}

func (t Target) resource(kind, ns string) dynamic.ResourceInterface {
	info, _ := store.LookupKind(kind)
	r := t.Client.Resource(info.GroupVersion.WithResource(info.Resource))
	if info.Namespaced {
		return r.Namespace(ns)
	}
	return r
}

// list reads every object of a kind (in ns) as typed objects.
func list[T any](ctx context.Context, t Target, kind, ns, selector string) ([]T, error) {
	ul, err := t.resource(kind, ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	out := make([]T, len(ul.Items))
	for i := range ul.Items {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(ul.Items[i].Object, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func failed(expected string, err error) Result {
	return Result{Expected: expected, Found: "error: " + err.Error()}
}

func (t Target) object(ctx context.Context, o *ObjectCheck) Result {
	what := fmt.Sprintf("%s %s", o.Kind, qualified(o.Namespace, o.Name))
	obj, err := t.resource(o.Kind, o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if o.Absent {
			return Result{Pass: true, Expected: what + " absent", Found: "not found"}
		}
		return Result{Expected: what + " exists", Found: "not found"}
	}
	if err != nil {
		return failed(what, err)
	}
	if o.Absent {
		return Result{Expected: what + " absent", Found: "it exists"}
	}
	if len(o.Fields) == 0 {
		return Result{Pass: true, Expected: what + " exists", Found: "exists"}
	}
	var exp, found []string
	pass := true
	for _, f := range o.Fields {
		got, present := fieldValue(f, obj)
		ok := f.matches(got, present)
		pass = pass && ok
		exp = append(exp, f.String())
		if !present {
			got = "<none>"
		}
		found = append(found, fmt.Sprintf("%s = %q", f.Path, got))
	}
	return Result{Pass: pass, Expected: strings.Join(exp, "; "), Found: strings.Join(found, "; ")}
}

func fieldValue(f FieldMatch, obj *unstructured.Unstructured) (string, bool) {
	res, err := f.jp.FindResults(obj.Object)
	if err != nil {
		return "", false
	}
	n := 0
	for _, r := range res {
		n += len(r)
	}
	if n == 0 {
		return "", false
	}
	var b bytes.Buffer
	if err := f.jp.Execute(&b, obj.Object); err != nil {
		return "", false
	}
	return b.String(), true
}

func (f FieldMatch) matches(got string, present bool) bool {
	switch f.Op {
	case "exists":
		return present == (f.Want == "true")
	case "notEquals":
		return !present || got != f.Want
	}
	if !present {
		return false
	}
	switch f.Op {
	case "contains":
		return strings.Contains(got, f.Want)
	case "matches":
		re, err := compileMatch(f.Want)
		return err == nil && re.MatchString(got)
	}
	return got == f.Want
}

func compileMatch(s string) (*regexp.Regexp, error) { return regexp.Compile("^(?:" + s + ")$") }

func (t Target) pods(ctx context.Context, c *PodsCheck) Result {
	ready := c.Ready == nil || *c.Ready
	if c.Phase != "Running" && c.Ready == nil {
		ready = false
	}
	exp := c.expected(ready)
	pods, err := list[corev1.Pod](ctx, t, "Pod", c.Namespace, c.Selector)
	if err != nil {
		return failed(exp, err)
	}
	var nodeSel labels.Selector
	nodeLabels := map[string]map[string]string{}
	if c.NodeSelector != "" || c.Spread != nil {
		nodes, err := list[corev1.Node](ctx, t, "Node", "", "")
		if err != nil {
			return failed(exp, err)
		}
		for _, n := range nodes {
			nodeLabels[n.Name] = n.Labels
		}
		nodeSel, _ = labels.Parse(c.NodeSelector)
	}
	var counted []corev1.Pod
	var why []string
	phases := map[string]int{}
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			phases["Terminating"]++
			continue
		}
		phases[string(p.Status.Phase)]++
		switch {
		case string(p.Status.Phase) != c.Phase:
		case ready && !podReady(&p):
			why = append(why, p.Name+" not Ready")
		case c.Image != "" && !slices.ContainsFunc(p.Spec.Containers, func(k corev1.Container) bool { return k.Image == c.Image }):
			why = append(why, fmt.Sprintf("%s runs %s", p.Name, images(p.Spec.Containers)))
		case c.NotOnNode != "" && p.Spec.NodeName == c.NotOnNode:
			why = append(why, p.Name+" on "+p.Spec.NodeName)
		case nodeSel != nil && c.NodeSelector != "" && !nodeSel.Matches(labels.Set(nodeLabels[p.Spec.NodeName])):
			why = append(why, fmt.Sprintf("%s on %s, which is not %s", p.Name, p.Spec.NodeName, c.NodeSelector))
		case c.MaxRestarts != nil && restarts(&p) > *c.MaxRestarts:
			why = append(why, fmt.Sprintf("%s restarted %d times", p.Name, restarts(&p)))
		default:
			counted = append(counted, p)
		}
	}
	found := fmt.Sprintf("%d matching (%d pods with %s: %s)", len(counted), len(pods), c.Selector, phaseSummary(phases))
	if len(why) > 0 {
		found += "; " + summarize(why)
	}
	pass := (c.Count == nil || len(counted) == *c.Count) && (c.Min == nil || len(counted) >= *c.Min)
	if pass && c.Spread != nil {
		per := map[string]int{}
		for _, p := range counted {
			per[nodeLabels[p.Spec.NodeName][c.Spread.TopologyKey]]++
		}
		keys := make([]string, 0, len(per))
		for k := range per {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		lo, hi := -1, 0
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s=%d", k, per[k]))
			if lo < 0 || per[k] < lo {
				lo = per[k]
			}
			hi = max(hi, per[k])
		}
		found += "; per " + c.Spread.TopologyKey + ": " + strings.Join(parts, " ")
		if hi-lo > c.Spread.MaxSkew || len(keys) < c.Spread.MinDomains {
			pass = false
		}
	}
	return Result{Pass: pass, Expected: exp, Found: found}
}

func (c *PodsCheck) expected(ready bool) string {
	n := ""
	if c.Count != nil {
		n = fmt.Sprint(*c.Count)
	}
	if c.Min != nil {
		if n != "" {
			n += ", "
		}
		n += fmt.Sprintf("at least %d", *c.Min)
	}
	s := fmt.Sprintf("%s pods %s %s", n, c.Selector, c.Phase)
	if ready {
		s += " and Ready"
	}
	if c.Image != "" {
		s += " with image " + c.Image
	}
	if c.NodeSelector != "" {
		s += " on nodes " + c.NodeSelector
	}
	if c.NotOnNode != "" {
		s += " not on " + c.NotOnNode
	}
	if c.MaxRestarts != nil {
		s += fmt.Sprintf(", at most %d restarts", *c.MaxRestarts)
	}
	if c.Spread != nil {
		s += fmt.Sprintf(", spread over %s with skew <= %d", c.Spread.TopologyKey, c.Spread.MaxSkew)
		if c.Spread.MinDomains > 0 {
			s += fmt.Sprintf(" across at least %d", c.Spread.MinDomains)
		}
	}
	return s
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func restarts(p *corev1.Pod) int {
	n := 0
	for _, s := range p.Status.ContainerStatuses {
		n += int(s.RestartCount)
	}
	return n
}

func images(cs []corev1.Container) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Image)
	}
	return strings.Join(out, ",")
}

func phaseSummary(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

// summarize keeps a found list short.
func summarize(items []string) string {
	if len(items) > 3 {
		return strings.Join(items[:3], "; ") + fmt.Sprintf("; … %d more", len(items)-3)
	}
	return strings.Join(items, "; ")
}

func (t Target) nodes(ctx context.Context, c *NodesCheck) Result {
	exp := Check{Nodes: c}.describe()
	nodes, err := list[corev1.Node](ctx, t, "Node", "", c.Selector)
	if err != nil {
		return failed(exp, err)
	}
	if c.Name != "" {
		nodes = slices.DeleteFunc(nodes, func(n corev1.Node) bool { return n.Name != c.Name })
		if len(nodes) == 0 {
			return Result{Expected: exp, Found: "node " + c.Name + " not found"}
		}
	}
	want, _ := labels.Parse(c.Labels)
	var good int
	var bad []string
	for _, n := range nodes {
		var wrong []string
		ready := nodeReady(&n)
		if c.Ready != nil && ready != *c.Ready {
			wrong = append(wrong, map[bool]string{true: "Ready", false: "NotReady"}[ready])
		}
		if c.Schedulable != nil && !n.Spec.Unschedulable != *c.Schedulable {
			wrong = append(wrong, map[bool]string{true: "SchedulingDisabled", false: "schedulable"}[n.Spec.Unschedulable])
		}
		if c.Taint != "" && !hasTaint(&n, c.Taint) {
			wrong = append(wrong, "taints "+taints(&n))
		}
		if c.NoTaint != "" && hasTaint(&n, c.NoTaint) {
			wrong = append(wrong, "taints "+taints(&n))
		}
		if c.Labels != "" && !want.Matches(labels.Set(n.Labels)) {
			wrong = append(wrong, "labels do not match "+c.Labels)
		}
		if c.KubeletVersion != "" && n.Status.NodeInfo.KubeletVersion != c.KubeletVersion {
			wrong = append(wrong, "kubelet "+n.Status.NodeInfo.KubeletVersion)
		}
		if len(wrong) == 0 {
			good++
		} else {
			bad = append(bad, n.Name+": "+strings.Join(wrong, ", "))
		}
	}
	found := fmt.Sprintf("%d of %d nodes match", good, len(nodes))
	if len(bad) > 0 {
		found += "; " + summarize(bad)
	}
	pass := len(nodes) > 0
	switch {
	case c.Count != nil:
		pass = good == *c.Count
		exp = fmt.Sprintf("%d: %s", *c.Count, exp)
	case c.Min != nil:
		pass = good >= *c.Min
		exp = fmt.Sprintf("at least %d: %s", *c.Min, exp)
	default:
		pass = pass && len(bad) == 0
	}
	return Result{Pass: pass, Expected: exp, Found: found}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func hasTaint(n *corev1.Node, spec string) bool {
	key, value, effect, _ := parseTaint(spec)
	return slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool {
		return t.Key == key && (value == "" || t.Value == value) && (effect == "" || string(t.Effect) == effect)
	})
}

func taints(n *corev1.Node) string {
	if len(n.Spec.Taints) == 0 {
		return "<none>"
	}
	var out []string
	for _, t := range n.Spec.Taints {
		s := t.Key
		if t.Value != "" {
			s += "=" + t.Value
		}
		out = append(out, s+":"+string(t.Effect))
	}
	return strings.Join(out, ",")
}

func (t Target) workload(ctx context.Context, c *WorkloadCheck) Result {
	what := fmt.Sprintf("%s %s", c.Kind, qualified(c.Namespace, c.Name))
	exp := what + " rolled out"
	if c.Replicas != nil {
		exp += fmt.Sprintf(", %d ready", *c.Replicas)
	}
	if c.Image != "" {
		exp += ", image " + c.Image
	}
	obj, err := t.resource(c.Kind, c.Namespace).Get(ctx, c.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Result{Expected: exp, Found: what + " not found"}
	}
	if err != nil {
		return failed(exp, err)
	}
	var want, ready, updated int32
	var gen, observed int64
	var tmpl corev1.PodTemplateSpec
	switch c.Kind {
	case "Deployment":
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &d); err != nil {
			return failed(exp, err)
		}
		want, ready, updated = ptrOr(d.Spec.Replicas, 1), d.Status.AvailableReplicas, d.Status.UpdatedReplicas
		if d.Status.Replicas != updated { // old pods still around
			updated = -1
		}
		gen, observed, tmpl = d.Generation, d.Status.ObservedGeneration, d.Spec.Template
	case "StatefulSet":
		var s appsv1.StatefulSet
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &s); err != nil {
			return failed(exp, err)
		}
		want, ready, updated = ptrOr(s.Spec.Replicas, 1), s.Status.AvailableReplicas, s.Status.UpdatedReplicas
		gen, observed, tmpl = s.Generation, s.Status.ObservedGeneration, s.Spec.Template
	case "DaemonSet":
		var d appsv1.DaemonSet
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &d); err != nil {
			return failed(exp, err)
		}
		want, ready, updated = d.Status.DesiredNumberScheduled, d.Status.NumberAvailable, d.Status.UpdatedNumberScheduled
		gen, observed, tmpl = d.Generation, d.Status.ObservedGeneration, d.Spec.Template
	}
	found := fmt.Sprintf("%d/%d available, %d updated", ready, want, max(updated, 0))
	if observed < gen {
		found += fmt.Sprintf(", generation %d not yet observed", gen)
	}
	if c.Image != "" {
		found += ", image " + images(tmpl.Spec.Containers)
	}
	pass := observed >= gen && ready == want && updated == want && want > 0
	if c.Replicas != nil {
		pass = pass && int(want) == *c.Replicas
	}
	if c.Image != "" {
		pass = pass && slices.ContainsFunc(tmpl.Spec.Containers, func(k corev1.Container) bool { return k.Image == c.Image })
	}
	return Result{Pass: pass, Expected: exp, Found: found}
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

func (t Target) etcd(c *EtcdCheck) Result {
	exp := Check{Etcd: c}.describe()
	if t.Etcd == nil {
		return Result{Expected: exp, Found: "no etcd access"}
	}
	st := t.Etcd()
	saved := slices.Contains(st.Snapshots, c.Snapshot)
	found := "snapshots: " + orNone(st.Snapshots)
	if c.Restored {
		found += "; restored: " + orNone(st.Restored)
	}
	pass := saved && (!c.Restored || slices.Contains(st.Restored, c.Snapshot))
	return Result{Pass: pass, Expected: exp, Found: found}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func (t Target) service(ctx context.Context, c *ServiceCheck) Result {
	exp := Check{Service: c}.describe()
	obj, err := t.resource("Service", c.Namespace).Get(ctx, c.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Result{Expected: exp, Found: "Service " + qualified(c.Namespace, c.Name) + " not found"}
	}
	if err != nil {
		return failed(exp, err)
	}
	var svc corev1.Service
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &svc); err != nil {
		return failed(exp, err)
	}
	slices, err := list[discoveryv1.EndpointSlice](ctx, t, "EndpointSlice", c.Namespace, discoveryv1.LabelServiceName+"="+c.Name)
	if err != nil {
		return failed(exp, err)
	}
	ready := map[string]bool{}
	for _, s := range slices {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				for _, a := range e.Addresses {
					ready[a] = true
				}
			}
		}
	}
	var ports []string
	hasPort := false
	for _, p := range svc.Spec.Ports {
		ports = append(ports, fmt.Sprint(p.Port))
		hasPort = hasPort || int(p.Port) == c.Port
	}
	sel := labels.Set(svc.Spec.Selector).String()
	if sel == "" {
		sel = "<none>"
	}
	found := fmt.Sprintf("type %s, ports %s, selector %s, %d ready endpoints", svc.Spec.Type, orNone(ports), sel, len(ready))
	pass := len(ready) >= 1
	switch {
	case c.Endpoints != nil:
		pass = len(ready) == *c.Endpoints
	case c.Min != nil:
		pass = len(ready) >= *c.Min
	}
	if c.Type != "" && string(svc.Spec.Type) != c.Type {
		pass = false
	}
	if c.Port != 0 && !hasPort {
		pass = false
	}
	return Result{Pass: pass, Expected: exp, Found: found}
}
