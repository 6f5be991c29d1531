package lab

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/network"
	"github.com/kubesim/kubesim/sim/store"
)

// PodRef chooses pods: by name, or by label selector, in a namespace
// (default "default").
type PodRef struct {
	Namespace string `yaml:"namespace"`
	Selector  string `yaml:"selector"`
	Pod       string `yaml:"pod"`
}

// ReachTo is where a ReachCheck connects: pods (their IPs), a Service
// (its cluster IP), or a host name resolved inside the source pod.
type ReachTo struct {
	Namespace string `yaml:"namespace"`
	Selector  string `yaml:"selector"`
	Pod       string `yaml:"pod"`
	Service   string `yaml:"service"`
	Host      string `yaml:"host"`
}

// ReachCheck: pods can (or cannot) open a connection to a destination on
// a port — the NetworkPolicies of both ends, kube-proxy's endpoints and
// what listens judged by the network model, on the state read through the
// API.
type ReachCheck struct {
	From     PodRef  `yaml:"from"`
	To       ReachTo `yaml:"to"`
	Port     int     `yaml:"port"`
	Protocol string  `yaml:"protocol"`
	// Reachable is the outcome wanted (default true: every source pod
	// connects to every destination; false: none connects).
	Reachable *bool `yaml:"reachable"`
}

// DNSCheck: pods can (or cannot) resolve a name, as their libc would
// (resolv.conf's search list, CoreDNS through the kube-dns Service, so a
// policy dropping DNS breaks it).
type DNSCheck struct {
	From     PodRef `yaml:"from"`
	Name     string `yaml:"name"`
	Resolves *bool  `yaml:"resolves"`
}

var protocols = []string{"TCP", "UDP", "SCTP"}

func (p *parser) podRef(n *yaml.Node, what string, r *PodRef) bool {
	ok := true
	at := valueOf(n, "from")
	if r.Namespace == "" {
		r.Namespace = "default"
	}
	switch {
	case r.Pod == "" && r.Selector == "":
		p.Errorf(at, "e.g. `from: {namespace: shop, selector: app=web}`", "%s: from needs a pod or a selector", what)
		ok = false
	case r.Pod != "" && r.Selector != "":
		p.Errorf(at, "", "%s: from names a pod or a selector, not both", what)
		ok = false
	}
	if _, err := labels.Parse(r.Selector); err != nil {
		p.Errorf(at, "e.g. app=web,tier!=db", "%s: bad label selector %q: %v", what, r.Selector, err)
		ok = false
	}
	return ok
}

func (p *parser) reachCheck(n *yaml.Node, c *ReachCheck) bool {
	const what = "reach check"
	ok := p.podRef(n, what, &c.From)
	to := &c.To
	at := valueOf(n, "to")
	if to.Namespace == "" {
		to.Namespace = "default"
	}
	set := 0
	for _, s := range []string{to.Selector, to.Pod, to.Service, to.Host} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		p.Errorf(at, "e.g. `to: {namespace: prod, selector: tier=db}`, `to: {service: api}` or `to: {host: api.prod}`",
			"%s: to names exactly one of selector, pod, service or host", what)
		ok = false
	}
	if _, err := labels.Parse(to.Selector); err != nil {
		p.Errorf(at, "e.g. app=web,tier!=db", "%s: bad label selector %q: %v", what, to.Selector, err)
		ok = false
	}
	if c.Port < 1 || c.Port > 65535 {
		p.Errorf(valueOf(n, "port"), "e.g. `port: 5432`", "%s: port must be 1 to 65535, not %d", what, c.Port)
		ok = false
	}
	if c.Protocol == "" {
		c.Protocol = "TCP"
	}
	if !slices.Contains(protocols, c.Protocol) {
		p.Errorf(valueOf(n, "protocol"), textdist.DidYouMean(c.Protocol, protocols, "protocols"), "%s: unknown protocol %q", what, c.Protocol)
		ok = false
	}
	return ok
}

func (p *parser) dnsCheck(n *yaml.Node, c *DNSCheck) bool {
	ok := p.podRef(n, "dns check", &c.From)
	name := strings.TrimSuffix(c.Name, ".")
	switch {
	case c.Name == "":
		p.Errorf(n, "e.g. `name: kubernetes.default`", "dns check: name is required")
		ok = false
	case len(name) > 253 || strings.ContainsAny(name, " /:@") || strings.Contains(name, ".."):
		p.Errorf(valueOf(n, "name"), "", "dns check: %q is not a host name", c.Name)
		ok = false
	}
	return ok
}

func (r PodRef) String() string {
	if r.Pod != "" {
		return "pod " + qualified(r.Namespace, r.Pod)
	}
	return fmt.Sprintf("pods %s in %s", r.Selector, r.Namespace)
}

func (t ReachTo) String() string {
	switch {
	case t.Pod != "":
		return "pod " + qualified(t.Namespace, t.Pod)
	case t.Service != "":
		return "Service " + qualified(t.Namespace, t.Service)
	case t.Host != "":
		return t.Host
	}
	return fmt.Sprintf("pods %s in %s", t.Selector, t.Namespace)
}

func (c *ReachCheck) want() bool { return c.Reachable == nil || *c.Reachable }

func (c *ReachCheck) describe() string {
	can := map[bool]string{true: "can", false: "cannot"}[c.want()]
	return fmt.Sprintf("%s %s reach %s on %d/%s", c.From, can, c.To, c.Port, c.Protocol)
}

func (c *DNSCheck) want() bool { return c.Resolves == nil || *c.Resolves }

func (c *DNSCheck) describe() string {
	can := map[bool]string{true: "can", false: "cannot"}[c.want()]
	return fmt.Sprintf("%s %s resolve %s", c.From, can, c.Name)
}

// apiState is the network model's view of the cluster, read through the
// Kubernetes API as kubectl would read it: every kind listed once per
// check, typed, in key order.
type apiState struct {
	ctx   context.Context
	t     Target
	lists map[string][]store.Object
	err   error
}

func newAPIState(ctx context.Context, t Target) *apiState {
	return &apiState{ctx: ctx, t: t, lists: map[string][]store.Object{}}
}

func (s *apiState) all(kind string) []store.Object {
	if l, ok := s.lists[kind]; ok {
		return l
	}
	info, served := store.LookupKind(kind)
	if !served {
		s.lists[kind] = nil
		return nil
	}
	ul, err := s.t.Client.Resource(info.GroupVersion.WithResource(info.Resource)).List(s.ctx, metav1.ListOptions{})
	if err != nil {
		if s.err == nil {
			s.err = fmt.Errorf("list %s: %w", info.Resource, err)
		}
		s.lists[kind] = nil
		return nil
	}
	out := make([]store.Object, 0, len(ul.Items))
	for i := range ul.Items {
		o := info.New()
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(ul.Items[i].Object, o); err != nil {
			if s.err == nil {
				s.err = fmt.Errorf("read %s: %w", info.Resource, err)
			}
			continue
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b store.Object) int { return strings.Compare(store.KeyOf(a), store.KeyOf(b)) })
	s.lists[kind] = out
	return out
}

// Get implements network.State.
func (s *apiState) Get(kind, namespace, name string) (store.Object, bool) {
	for _, o := range s.all(kind) {
		if o.GetNamespace() == namespace && o.GetName() == name {
			return o, true
		}
	}
	return nil, false
}

// List implements network.State ("" namespace: every namespace).
func (s *apiState) List(kind, namespace string) []store.Object {
	all := s.all(kind)
	if namespace == "" {
		return all
	}
	var out []store.Object
	for _, o := range all {
		if o.GetNamespace() == namespace {
			out = append(out, o)
		}
	}
	return out
}

var _ network.State = (*apiState)(nil)

// pods are the running pods (not terminating, with an address) a
// reference chooses, and a word on the ones left out.
func (s *apiState) pods(namespace, name, selector string) ([]*corev1.Pod, string) {
	sel, _ := labels.Parse(selector)
	var out []*corev1.Pod
	other := map[string]int{}
	for _, o := range s.List("Pod", namespace) {
		p := o.(*corev1.Pod)
		if (name != "" && p.Name != name) || (name == "" && !sel.Matches(labels.Set(p.Labels))) {
			continue
		}
		switch {
		case p.DeletionTimestamp != nil:
			other["Terminating"]++
		case p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "":
			other[string(p.Status.Phase)]++
		default:
			out = append(out, p)
		}
	}
	if len(other) == 0 {
		return out, ""
	}
	return out, "not running: " + phaseSummary(other)
}

func (r PodRef) pods(s *apiState) ([]*corev1.Pod, string) {
	return s.pods(r.Namespace, r.Pod, r.Selector)
}

func (t Target) reach(ctx context.Context, c *ReachCheck) Result {
	exp := fmt.Sprintf("every connection from %s to %s on port %d/%s connects", c.From, c.To, c.Port, c.Protocol)
	if !c.want() {
		exp = fmt.Sprintf("no connection from %s to %s on port %d/%s connects (dropped or refused)", c.From, c.To, c.Port, c.Protocol)
	}
	s := newAPIState(ctx, t)
	from, fromNote, none := c.From.sources(s, exp)
	if none != nil {
		return *none
	}
	// The destinations: addresses, each with what it is.
	type dest struct {
		addr netip.Addr
		what string
	}
	var dests []dest
	var toNote string
	switch {
	case c.To.Service != "":
		o, found := s.Get("Service", c.To.Namespace, c.To.Service)
		if !found {
			return Result{Expected: exp, Found: "Service " + qualified(c.To.Namespace, c.To.Service) + " not found"}
		}
		svc := o.(*corev1.Service)
		a, err := netip.ParseAddr(svc.Spec.ClusterIP)
		if err != nil {
			return Result{Expected: exp, Found: fmt.Sprintf("Service %s has no cluster IP (%q): name it by host to reach its pods", qualified(svc.Namespace, svc.Name), svc.Spec.ClusterIP)}
		}
		dests = append(dests, dest{a, "Service " + qualified(svc.Namespace, svc.Name) + " (" + a.String() + ")"})
	case c.To.Host != "":
		// resolved per source pod below
	default:
		to, note := s.pods(c.To.Namespace, c.To.Pod, c.To.Selector)
		if len(to) == 0 {
			return Result{Expected: exp, Found: noPods(c.To.String(), note)}
		}
		toNote = note
		for _, p := range to {
			a, _ := netip.ParseAddr(p.Status.PodIP)
			dests = append(dests, dest{a, "pod " + qualified(p.Namespace, p.Name) + " (" + p.Status.PodIP + ")"})
		}
	}
	proto := corev1.Protocol(c.Protocol)
	var connected, tried int
	var bad []string // the outcomes that go against the check
	for _, p := range from {
		ds := dests
		if c.To.Host != "" {
			res := network.Resolve(s, p, c.To.Host, nil)
			if len(res.Addrs) == 0 {
				tried++
				if c.want() {
					bad = append(bad, fmt.Sprintf("%s: %s: %s", p.Name, c.To.Host, resolveError(res)))
				}
				continue
			}
			ds = []dest{{res.Addrs[0], c.To.Host + " (" + res.Addrs[0].String() + ")"}}
		}
		for _, d := range ds {
			tried++
			conn := network.Dial(s, p, d.addr, int32(c.Port), proto, nil)
			ok := conn.Outcome == network.Connected
			if ok {
				connected++
			}
			if ok != c.want() {
				line := fmt.Sprintf("%s → %s: %s", p.Name, d.what, conn.Outcome)
				if conn.Reason != "" {
					line += " (" + conn.Reason + ")"
				}
				bad = append(bad, line)
			}
		}
	}
	if s.err != nil {
		return failed(exp, s.err)
	}
	found := fmt.Sprintf("%d of %d connections from %d pods connect", connected, tried, len(from))
	for _, n := range []string{fromNote, toNote} {
		if n != "" {
			found += "; " + n
		}
	}
	if len(bad) > 0 {
		found += "; " + summarize(bad)
	}
	return Result{Pass: len(bad) == 0, Expected: exp, Found: found}
}

// sources lists the pods a network check runs from (see pods); the
// check's Result instead when the API failed or no pod matches.
func (r PodRef) sources(s *apiState, exp string) ([]*corev1.Pod, string, *Result) {
	pods, note := r.pods(s)
	if s.err != nil {
		res := failed(exp, s.err)
		return nil, note, &res
	}
	if len(pods) == 0 {
		return nil, note, &Result{Expected: exp, Found: noPods(r.String(), note)}
	}
	return pods, note, nil
}

func noPods(what, note string) string {
	s := "no running pod matches (" + what + ")"
	if note != "" {
		s += "; " + note
	}
	return s
}

func resolveError(res network.Resolution) string {
	switch res.Err {
	case network.TryAgain:
		return "no DNS server answered (timed out)"
	case network.NotFound:
		return "not found (NXDOMAIN)"
	}
	return "no address"
}

func (t Target) dns(ctx context.Context, c *DNSCheck) Result {
	exp := fmt.Sprintf("every one of %s resolves %s, as its resolv.conf and CoreDNS answer", c.From, c.Name)
	if !c.want() {
		exp = fmt.Sprintf("none of %s resolves %s", c.From, c.Name)
	}
	s := newAPIState(ctx, t)
	from, note, none := c.From.sources(s, exp)
	if none != nil {
		return *none
	}
	var resolved int
	var lines []string
	for _, p := range from {
		res := network.Resolve(s, p, c.Name, nil)
		ok := len(res.Addrs) > 0
		if ok {
			resolved++
		}
		if ok != c.want() || len(lines) == 0 {
			if ok {
				lines = append(lines, fmt.Sprintf("%s: %s → %s", p.Name, res.Name, res.Addrs[0]))
			} else {
				lines = append(lines, fmt.Sprintf("%s: %s", p.Name, resolveError(res)))
			}
		}
	}
	if s.err != nil {
		return failed(exp, s.err)
	}
	found := fmt.Sprintf("%d of %d pods resolve %s", resolved, len(from), c.Name)
	if note != "" {
		found += "; " + note
	}
	found += "; " + summarize(lines)
	pass := resolved == len(from)
	if !c.want() {
		pass = resolved == 0
	}
	return Result{Pass: pass, Expected: exp, Found: found}
}
