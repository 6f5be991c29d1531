package network

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"
)

// LoadBalancer is an AWS load balancer that the AWS Load Balancer
// Controller made and published in an object's status: a Network Load
// Balancer for a Service of type LoadBalancer (Service set), an
// Application Load Balancer for an Ingress (Ingress set). Both are
// internal (the controller's default scheme): their DNS names resolve,
// through the VPC resolver, to one private address per zone of the
// cluster's nodes.
type LoadBalancer struct {
	Hostname string
	Addrs    []netip.Addr
	Service  *corev1.Service
	Ingress  *networkingv1.Ingress
}

// String names the load balancer for people: "the NLB of Service ns/name".
func (lb LoadBalancer) String() string {
	if lb.Ingress != nil {
		return "the ALB of Ingress " + lb.Ingress.Namespace + "/" + lb.Ingress.Name
	}
	return "the NLB of Service " + lb.Service.Namespace + "/" + lb.Service.Name
}

// lbBlock is where the load balancers' addresses are drawn from: the top
// /19 of the eksctl VPC, which the nodes (numbered from 192.168.0.4 up)
// do not reach in any cluster the simulator runs.
var lbBlock = netip.MustParsePrefix("192.168.224.0/19")

// LoadBalancers lists the published load balancers, by hostname.
func LoadBalancers(st State) []LoadBalancer {
	var out []LoadBalancer
	for _, o := range st.List("Service", "") {
		svc := o.(*corev1.Service)
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		for _, in := range svc.Status.LoadBalancer.Ingress {
			if in.Hostname != "" {
				out = append(out, LoadBalancer{Hostname: strings.ToLower(in.Hostname), Service: svc})
			}
		}
	}
	for _, o := range st.List("Ingress", "") {
		ing := o.(*networkingv1.Ingress)
		for _, in := range ing.Status.LoadBalancer.Ingress {
			if in.Hostname != "" {
				out = append(out, LoadBalancer{Hostname: strings.ToLower(in.Hostname), Ingress: ing})
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	slices.SortStableFunc(out, func(a, b LoadBalancer) int { return strings.Compare(a.Hostname, b.Hostname) })
	zones := nodeZones(st)
	used := map[netip.Addr]bool{}
	for i := range out {
		for _, z := range zones {
			h := fnv.New32a()
			fmt.Fprintf(h, "%s/%s", out[i].Hostname, z)
			n := h.Sum32()
			for {
				// 32 × 250 addresses: .4 to .253 of each /24, as AWS reserves the ends of a subnet.
				a := netip.AddrFrom4([4]byte{192, 168, byte(224 + (n/250)%32), byte(n%250 + 4)})
				if !used[a] {
					used[a] = true
					out[i].Addrs = append(out[i].Addrs, a)
					break
				}
				n++
			}
		}
	}
	return out
}

// nodeZones are the zones of the cluster's nodes, sorted ("" alone when
// no node says its zone): a load balancer has a node in each.
func nodeZones(st State) []string {
	var zones []string
	for _, o := range st.List("Node", "") {
		if z := o.GetLabels()[corev1.LabelTopologyZone]; z != "" && !slices.Contains(zones, z) {
			zones = append(zones, z)
		}
	}
	if len(zones) == 0 {
		return []string{""}
	}
	slices.Sort(zones)
	return zones
}

// LoadBalancerByName finds the load balancer whose DNS name is name.
func LoadBalancerByName(st State, name string) (LoadBalancer, bool) {
	if !strings.HasSuffix(name, ".amazonaws.com") {
		return LoadBalancer{}, false
	}
	for _, lb := range LoadBalancers(st) {
		if lb.Hostname == name {
			return lb, true
		}
	}
	return LoadBalancer{}, false
}

// LoadBalancerByIP finds the load balancer holding addr.
func LoadBalancerByIP(st State, addr netip.Addr) (LoadBalancer, bool) {
	if !lbBlock.Contains(addr) {
		return LoadBalancer{}, false
	}
	for _, lb := range LoadBalancers(st) {
		if slices.Contains(lb.Addrs, addr) {
			return lb, true
		}
	}
	return LoadBalancer{}, false
}

// ALB listen-ports annotation and the annotations that make its default
// listener HTTPS.
const (
	albListenPorts     = "alb.ingress.kubernetes.io/listen-ports"
	albCertificateARNs = "alb.ingress.kubernetes.io/certificate-arn"
)

// listens says whether the load balancer has a listener on port/proto:
// an NLB one per Service port, an ALB those of its listen-ports
// annotation, else HTTPS 443 when it has a certificate (the annotation,
// or a TLS section) and HTTP 80 when not.
func (lb LoadBalancer) listens(port int32, proto corev1.Protocol) (corev1.ServicePort, bool) {
	if lb.Service != nil {
		return ServicePort(lb.Service, port, proto, false)
	}
	if proto != corev1.ProtocolTCP {
		return corev1.ServicePort{}, false
	}
	return corev1.ServicePort{Port: port}, slices.Contains(albPorts(lb.Ingress), port)
}

// albPorts are an ALB's listener ports.
func albPorts(ing *networkingv1.Ingress) []int32 {
	if v, ok := ing.Annotations[albListenPorts]; ok {
		// [{"HTTP": 80}, {"HTTPS": 443}]: the numbers, whatever the scheme.
		var ports []int32
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ',' || r == '}' || r == '{' || r == '[' || r == ']' }) {
			var n int32
			if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d", &n); err == nil && n > 0 {
				ports = append(ports, n)
			}
		}
		return ports
	}
	if ing.Annotations[albCertificateARNs] != "" || len(ing.Spec.TLS) > 0 {
		return []int32{443}
	}
	return []int32{80}
}

// toLoadBalancer is a connection to a load balancer's address. The
// client's egress is judged against the load balancer's address; an NLB
// then forwards to one of the Service's ready endpoints, the packets
// arriving from the NLB's address (client IP preservation off, as for
// the controller's targets of type ip), judged by the endpoint's ingress
// policies. An ALB terminates HTTP itself: it accepts, and routes each
// request by the Ingress rules (Route).
func toLoadBalancer(st State, c Conn, src Peer, lb LoadBalancer, pick Pick) Conn {
	c.LoadBalancer = &lb
	sp, ok := lb.listens(c.Port, c.Protocol)
	if !ok {
		c.Outcome = TimedOut
		c.Reason = fmt.Sprintf("%s has no listener on port %d/%s", lb, c.Port, c.Protocol)
		return c
	}
	if v := Check(st, Flow{From: src, To: Peer{IP: c.Addr}, Port: c.Port, Protocol: c.Protocol}); !v.Allowed {
		c.Outcome, c.Verdict, c.Reason = TimedOut, v, v.Reason()
		return c
	}
	if lb.Service != nil {
		c.Service = lb.Service
		return viaService(st, c, Peer{IP: c.Addr}, lb.Service, sp, pick, "")
	}
	c.Outcome = Connected
	c.Server = Server{Port: c.Port, Protocol: c.Protocol, App: "alb", HTTP: true}
	c.Reason = lb.String() + " accepted"
	return c
}

// Fetch is the answer to GET path (host: the Host header) over a
// connection Dial made: an ALB's routed answer, else the server's own.
func Fetch(st State, c Conn, urlPath, host string, pick Pick) Response {
	if c.Outcome != Connected {
		return Response{}
	}
	if lb := c.LoadBalancer; lb != nil && lb.Ingress != nil {
		return Route(st, *lb, c.Addr, urlPath, host, pick)
	}
	return c.Server.Get(urlPath, host)
}

// ALB answers of its own (awselb's pages).
const albServer = "awselb/2.0"

func albError(code int) Response {
	r := resp(code, albServer, "text/html", "")
	if code == 504 {
		r.StatusText = "Gateway Time-out"
	}
	if code == 503 {
		r.StatusText = "Service Temporarily Unavailable"
	}
	title := strconv.Itoa(code) + " " + r.StatusText
	r.Body = "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title + "</h1></center>\r\n</body>\r\n</html>\r\n"
	return r
}

// Route is an ALB's answer to GET path with Host host: the first rule
// of the Ingress whose host matches (exactly, or a "*." wildcard of one
// label) and one of whose paths matches (Exact; Prefix by path element;
// ImplementationSpecific as an ALB path pattern, * and ? wildcards) sends
// the request to its Service's port; no rule: the default backend, or
// the controller's default action, a fixed 404. The Service's ready
// endpoints are the targets: none gives 503, a target that refuses 502,
// one a NetworkPolicy cuts off from the ALB's address 504.
func Route(st State, lb LoadBalancer, from netip.Addr, urlPath, host string, pick Pick) Response {
	ing := lb.Ingress
	p := requestPath(urlPath)
	h := strings.ToLower(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	backend := ing.Spec.DefaultBackend
rules:
	for _, r := range ing.Spec.Rules {
		if !hostMatches(r.Host, h) || r.HTTP == nil {
			continue
		}
		for i := range r.HTTP.Paths {
			if pathMatches(r.HTTP.Paths[i], p) {
				backend = &r.HTTP.Paths[i].Backend
				break rules
			}
		}
	}
	if backend == nil || backend.Service == nil {
		return resp(404, albServer, "text/plain; charset=utf-8", "")
	}
	o, ok := st.Get("Service", ing.Namespace, backend.Service.Name)
	if !ok {
		return albError(503)
	}
	svc := o.(*corev1.Service)
	var sp corev1.ServicePort
	found := false
	for _, q := range svc.Spec.Ports {
		if (backend.Service.Port.Name != "" && q.Name == backend.Service.Port.Name) || (backend.Service.Port.Number != 0 && q.Port == backend.Service.Port.Number) {
			sp, found = q, true
			break
		}
	}
	if !found {
		return albError(503)
	}
	c := viaService(st, Conn{Addr: from, Port: sp.Port, Protocol: corev1.ProtocolTCP}, Peer{IP: from}, svc, sp, pick, "")
	switch {
	case c.Outcome == Connected:
		return c.Server.Get(urlPath, host)
	case c.Backend == nil && c.BackendPort == 0:
		return albError(503) // no ready endpoint: no healthy target
	case c.Outcome == Refused:
		return albError(502)
	}
	return albError(504)
}

func hostMatches(rule, host string) bool {
	rule = strings.ToLower(rule)
	if rule == "" {
		return true
	}
	if suffix, ok := strings.CutPrefix(rule, "*."); ok {
		label, rest, found := strings.Cut(host, ".")
		return found && label != "" && rest == suffix
	}
	return rule == host
}

func pathMatches(hp networkingv1.HTTPIngressPath, p string) bool {
	want := cmp.Or(hp.Path, "/")
	switch ptr.Deref(hp.PathType, networkingv1.PathTypeImplementationSpecific) {
	case networkingv1.PathTypeExact:
		return p == want
	case networkingv1.PathTypePrefix:
		want = strings.TrimSuffix(want, "/")
		return want == "" || p == want || strings.HasPrefix(p, want+"/")
	}
	return glob(want, p)
}

// glob matches an ALB path pattern: * is any run of characters (slashes
// too), ? any one character, the rest itself.
func glob(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if glob(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && glob(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && glob(pattern[1:], s[1:])
}
