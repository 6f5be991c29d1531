package network

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/cloud"
)

// RRType is a DNS resource record type.
type RRType uint16

// The record types the model answers.
const (
	TypeA     RRType = 1
	TypeNS    RRType = 2
	TypeCNAME RRType = 5
	TypeSOA   RRType = 6
	TypePTR   RRType = 12
	TypeMX    RRType = 15
	TypeTXT   RRType = 16
	TypeAAAA  RRType = 28
	TypeSRV   RRType = 33
	TypeANY   RRType = 255
)

var typeNames = map[RRType]string{TypeA: "A", TypeNS: "NS", TypeCNAME: "CNAME", TypeSOA: "SOA", TypePTR: "PTR",
	TypeMX: "MX", TypeTXT: "TXT", TypeAAAA: "AAAA", TypeSRV: "SRV", TypeANY: "ANY"}

func (t RRType) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// ParseType reads a record type name (a, AAAA, srv …).
func ParseType(s string) (RRType, bool) {
	for t, n := range typeNames {
		if strings.EqualFold(n, s) {
			return t, true
		}
	}
	return 0, false
}

// RCode is a DNS response code.
type RCode int

// Response codes.
const (
	NoError      RCode = 0
	FormErr      RCode = 1
	ServFail     RCode = 2
	NXDomain     RCode = 3
	NotImp       RCode = 4
	RCodeRefused RCode = 5
)

func (r RCode) String() string {
	names := []string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"}
	if int(r) < len(names) && r >= 0 {
		return names[r]
	}
	return "RCODE" + strconv.Itoa(int(r))
}

// RR is one resource record of an answer.
type RR struct {
	Name string // fully qualified, without the trailing dot
	Type RRType
	TTL  uint32
	// A is the address of A/AAAA records.
	A netip.Addr
	// Target is the name a CNAME, PTR or SRV record points to.
	Target                 string
	Priority, Weight, Port uint16
}

// Reply is a DNS server's answer to one question.
type Reply struct {
	RCode         RCode
	Authoritative bool
	Answer        []RR
}

// Exchange is one question sent from a pod to a nameserver and what came
// of it: Answered is false when no reply arrived (the packets were
// dropped or rejected: Conn says why).
type Exchange struct {
	Name     string
	Type     RRType
	Server   netip.Addr
	Conn     Conn
	Answered bool
	Reply    Reply
}

// Query sends one question from pod to server over UDP port 53: the
// packets take the path any other does (kube-proxy to a ready CoreDNS
// pod, NetworkPolicies of both ends — a policy that blocks egress to
// kube-dns breaks DNS as on a real cluster), and whoever answers replies.
func Query(st State, from *corev1.Pod, server netip.Addr, name string, t RRType, pick Pick) Exchange {
	name = canonical(name)
	ex := Exchange{Name: name, Type: t, Server: server}
	ex.Conn = Dial(st, from, server, 53, corev1.ProtocolUDP, pick)
	if ex.Conn.Outcome != Connected {
		return ex
	}
	ex.Answered = true
	switch app := ex.Conn.Server.App; {
	case app == "coredns":
		ex.Reply = CoreDNS(st, name, t)
	case server == VPCResolver:
		ex.Reply = vpcResolver(st, name, t)
	default:
		ex.Reply = publicResolver(name, t)
	}
	return ex
}

func canonical(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

const clusterTTL = 5

// CoreDNS answers a question as the EKS CoreDNS add-on's Corefile does:
// the kubernetes plugin for cluster.local and the reverse zones (pods
// insecure, TTL 5), everything else forwarded to the VPC resolver.
func CoreDNS(st State, name string, t RRType) Reply {
	name = canonical(name)
	switch {
	case name == ClusterDomain || strings.HasSuffix(name, "."+ClusterDomain):
		r := kubernetesZone(st, strings.TrimSuffix(strings.TrimSuffix(name, ClusterDomain), "."), name, t)
		// The kubernetes plugin resolves an ExternalName's target itself
		// (through CoreDNS) and adds its records after the CNAME.
		if len(r.Answer) == 1 && r.Answer[0].Type == TypeCNAME && t != TypeCNAME {
			target := r.Answer[0].Target
			if target != name && !strings.HasSuffix(target, "."+ClusterDomain) {
				r.Answer = append(r.Answer, vpcResolver(st, target, t).Answer...)
			}
		}
		return r
	case strings.HasSuffix(name, ".in-addr.arpa"):
		if addr, ok := parsePTR(name); ok {
			if target := clusterPTR(st, addr); target != "" {
				return answerIf(t, TypePTR, RR{Name: name, Type: TypePTR, TTL: clusterTTL, Target: target}, true)
			}
		}
	}
	r := vpcResolver(st, name, t)
	r.Authoritative = false
	return r
}

func answerIf(asked, has RRType, rr RR, auth bool) Reply {
	if asked == has || asked == TypeANY {
		return Reply{RCode: NoError, Authoritative: auth, Answer: []RR{rr}}
	}
	return Reply{RCode: NoError, Authoritative: auth} // NODATA
}

func kubernetesZone(st State, rel, full string, t RRType) Reply {
	nx := Reply{RCode: NXDomain, Authoritative: true}
	labels := strings.Split(rel, ".")
	if rel == "" {
		return Reply{RCode: NoError, Authoritative: true}
	}
	n := len(labels)
	switch labels[n-1] {
	case "pod":
		// 1-2-3-4.ns.pod.cluster.local (pods insecure: any address).
		if n != 3 {
			return nx
		}
		addr, err := netip.ParseAddr(strings.ReplaceAll(labels[0], "-", "."))
		if err != nil || !addr.Is4() {
			return nx
		}
		return addrAnswer(full, t, []netip.Addr{addr})
	case "svc":
	default:
		return nx
	}
	switch n {
	case 3: // svc.ns.svc
		svc, ok := service(st, labels[1], labels[0])
		if !ok {
			return nx
		}
		if svc.Spec.Type == corev1.ServiceTypeExternalName {
			// A CNAME answers every question type; the client follows it.
			return Reply{RCode: NoError, Authoritative: true,
				Answer: []RR{{Name: full, Type: TypeCNAME, TTL: clusterTTL, Target: canonical(svc.Spec.ExternalName)}}}
		}
		if t == TypeSRV {
			return srvAnswer(st, svc, full, "", "")
		}
		if svc.Spec.ClusterIP == corev1.ClusterIPNone {
			eps := endpoints(st, svc)
			if len(eps) == 0 {
				return nx
			}
			var addrs []netip.Addr
			for _, e := range eps {
				addrs = append(addrs, e.ip)
			}
			return addrAnswer(full, t, addrs)
		}
		a, err := netip.ParseAddr(svc.Spec.ClusterIP)
		if err != nil {
			return nx
		}
		return addrAnswer(full, t, []netip.Addr{a})
	case 4: // endpoint.svc.ns.svc: a headless service's endpoint by hostname or dashed IP.
		svc, ok := service(st, labels[2], labels[1])
		if !ok || svc.Spec.ClusterIP != corev1.ClusterIPNone {
			return nx
		}
		for _, e := range endpoints(st, svc) {
			if e.label() == labels[0] {
				return addrAnswer(full, t, []netip.Addr{e.ip})
			}
		}
		return nx
	case 5: // _port._proto.svc.ns.svc
		svc, ok := service(st, labels[3], labels[2])
		if !ok || !strings.HasPrefix(labels[0], "_") || !strings.HasPrefix(labels[1], "_") {
			return nx
		}
		if t != TypeSRV && t != TypeANY {
			return Reply{RCode: NoError, Authoritative: true}
		}
		return srvAnswer(st, svc, full, labels[0][1:], labels[1][1:])
	}
	return nx
}

func service(st State, ns, name string) (*corev1.Service, bool) {
	o, ok := st.Get("Service", ns, name)
	if !ok {
		return nil, false
	}
	return o.(*corev1.Service), true
}

func addrAnswer(name string, t RRType, addrs []netip.Addr) Reply {
	r := Reply{RCode: NoError, Authoritative: true}
	if t != TypeA && t != TypeANY {
		return r // NODATA: the cluster is IPv4 only
	}
	for _, a := range addrs {
		r.Answer = append(r.Answer, RR{Name: name, Type: TypeA, TTL: clusterTTL, A: a})
	}
	return r
}

func srvAnswer(st State, svc *corev1.Service, full, port, proto string) Reply {
	r := Reply{RCode: NoError, Authoritative: true}
	svcName := svc.Name + "." + svc.Namespace + ".svc." + ClusterDomain
	for _, p := range svc.Spec.Ports {
		pp := string(cmp.Or(p.Protocol, corev1.ProtocolTCP))
		if port != "" && (p.Name != port || !strings.EqualFold(pp, proto)) {
			continue
		}
		if svc.Spec.ClusterIP != corev1.ClusterIPNone {
			r.Answer = append(r.Answer, RR{Name: full, Type: TypeSRV, TTL: clusterTTL, Priority: 0, Weight: 100,
				Port: uint16(p.Port), Target: svcName})
			continue
		}
		for _, e := range endpoints(st, svc) {
			r.Answer = append(r.Answer, RR{Name: full, Type: TypeSRV, TTL: clusterTTL, Priority: 0, Weight: 100,
				Port: uint16(p.Port), Target: e.label() + "." + svcName})
		}
	}
	if len(r.Answer) == 0 && port != "" {
		r.RCode = NXDomain
	}
	// CoreDNS weights the records of one name equally, summing to 100.
	if n := len(r.Answer); n > 1 {
		for i := range r.Answer {
			r.Answer[i].Weight = uint16(100 / n)
		}
	}
	return r
}

type dnsEndpoint struct {
	ip       netip.Addr
	hostname string
}

// label is the endpoint's DNS label: its hostname, else its dashed IP.
func (e dnsEndpoint) label() string {
	if e.hostname != "" {
		return e.hostname
	}
	return strings.ReplaceAll(e.ip.String(), ".", "-")
}

// endpoints are the addresses CoreDNS publishes for a service: the ready
// endpoints of its EndpointSlices (not-ready ones too when the Service
// publishes them, which the slices already say).
func endpoints(st State, svc *corev1.Service) []dnsEndpoint {
	var out []dnsEndpoint
	for _, o := range st.List("EndpointSlice", svc.Namespace) {
		es := o.(*discoveryv1.EndpointSlice)
		if es.Labels[discoveryv1.LabelServiceName] != svc.Name || es.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, s := range ep.Addresses {
				a, err := netip.ParseAddr(s)
				if err != nil {
					continue
				}
				e := dnsEndpoint{ip: a}
				if ep.Hostname != nil {
					e.hostname = *ep.Hostname
				}
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b dnsEndpoint) int { return a.ip.Compare(b.ip) })
	return slices.CompactFunc(out, func(a, b dnsEndpoint) bool { return a.ip == b.ip })
}

func parsePTR(name string) (netip.Addr, bool) {
	parts := strings.Split(strings.TrimSuffix(name, ".in-addr.arpa"), ".")
	if len(parts) != 4 {
		return netip.Addr{}, false
	}
	slices.Reverse(parts)
	a, err := netip.ParseAddr(strings.Join(parts, "."))
	return a, err == nil && a.Is4()
}

// PTRName is the in-addr.arpa name of an IPv4 address.
func PTRName(a netip.Addr) string {
	b := a.As4()
	return strconv.Itoa(int(b[3])) + "." + strconv.Itoa(int(b[2])) + "." + strconv.Itoa(int(b[1])) + "." + strconv.Itoa(int(b[0])) + ".in-addr.arpa"
}

// clusterPTR is the name CoreDNS gives an address in reverse: a Service's
// cluster IP, or an endpoint of a headless Service.
func clusterPTR(st State, addr netip.Addr) string {
	if svc := ServiceByIP(st, addr); svc != nil {
		return svc.Name + "." + svc.Namespace + ".svc." + ClusterDomain
	}
	for _, o := range st.List("Service", "") {
		svc := o.(*corev1.Service)
		if svc.Spec.ClusterIP != corev1.ClusterIPNone {
			continue
		}
		for _, e := range endpoints(st, svc) {
			if e.ip == addr {
				return e.label() + "." + svc.Name + "." + svc.Namespace + ".svc." + ClusterDomain
			}
		}
	}
	return ""
}

// vpcResolver answers as the Amazon-provided DNS server: EC2 private DNS
// names (ip-192-168-0-4.ec2.internal) both ways, the DNS names of the
// load balancers (LoadBalancers), the modelled internet hosts, NXDOMAIN for the rest (cluster.local names mean nothing to it).
func vpcResolver(st State, name string, t RRType) Reply {
	if strings.HasSuffix(name, ".in-addr.arpa") {
		if addr, ok := parsePTR(name); ok {
			if inVPC(addr) {
				return answerIf(t, TypePTR, RR{Name: name, Type: TypePTR, TTL: 60, Target: ec2Name(addr, region(st))}, false)
			}
		}
		return Reply{RCode: NXDomain}
	}
	if addr, ok := ec2Address(name, region(st)); ok {
		return answerAddr(name, t, addr, false, 60)
	}
	if lb, ok := LoadBalancerByName(st, name); ok {
		r := Reply{RCode: NoError}
		if t == TypeA || t == TypeANY {
			for _, a := range lb.Addrs {
				r.Answer = append(r.Answer, RR{Name: name, Type: TypeA, TTL: 60, A: a})
			}
		}
		return r
	}
	return publicResolver(name, t)
}

// publicResolver answers like an internet resolver: the modelled hosts.
func publicResolver(name string, t RRType) Reply {
	if addrs, ok := internetHosts[name]; ok {
		r := Reply{RCode: NoError}
		if t == TypeA || t == TypeANY {
			for _, a := range addrs {
				r.Answer = append(r.Answer, RR{Name: name, Type: TypeA, TTL: 300, A: netip.MustParseAddr(a)})
			}
		}
		return r
	}
	return Reply{RCode: NXDomain}
}

func answerAddr(name string, t RRType, a netip.Addr, auth bool, ttl uint32) Reply {
	r := Reply{RCode: NoError, Authoritative: auth}
	if t == TypeA || t == TypeANY {
		r.Answer = []RR{{Name: name, Type: TypeA, TTL: ttl, A: a}}
	}
	return r
}

var (
	vpcCIDR = netip.MustParsePrefix("192.168.0.0/16")
	podCIDR = netip.MustParsePrefix("100.64.0.0/10")
)

func inVPC(a netip.Addr) bool { return vpcCIDR.Contains(a) || podCIDR.Contains(a) }

// SearchDomain is the VPC's DHCP domain name for the region, the search
// domain of the nodes' resolv.conf: ec2.internal in us-east-1,
// REGION.compute.internal elsewhere.
func SearchDomain(region string) string {
	if region == "us-east-1" || region == "" {
		return "ec2.internal"
	}
	return region + ".compute.internal"
}

func ec2Name(a netip.Addr, region string) string {
	return "ip-" + strings.ReplaceAll(a.String(), ".", "-") + "." + SearchDomain(region)
}

func ec2Address(name, region string) (netip.Addr, bool) {
	host, domain, ok := strings.Cut(name, ".")
	if !ok || !strings.HasPrefix(host, "ip-") || (domain != SearchDomain(region) && !strings.HasSuffix(domain, ".compute.internal") && domain != "ec2.internal") {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(strings.ReplaceAll(host[3:], "-", "."))
	if err != nil || !a.Is4() || !inVPC(a) {
		return netip.Addr{}, false
	}
	return a, true
}

// region is the cluster's AWS region, read from a node's zone label.
func region(st State) string {
	for _, o := range st.List("Node", "") {
		if z := o.GetLabels()[corev1.LabelTopologyZone]; z != "" {
			return cloud.Region(z)
		}
	}
	return "us-east-1"
}

// internetHosts are the few internet names the simulated NAT gateway
// reaches (what people try from a pod to test egress).
var internetHosts = map[string][]string{
	"example.com":     {"93.184.215.14"},
	"www.example.com": {"93.184.215.14"},
	"google.com":      {"142.250.80.46"},
	"www.google.com":  {"142.250.80.100"},
	"kubernetes.io":   {"15.197.167.90"},
	"github.com":      {"140.82.112.3"},
	"amazon.com":      {"52.94.236.248"},
	"aws.amazon.com":  {"18.239.50.63"},
	"dns.google":      {"8.8.8.8", "8.8.4.4"},
	"one.one.one.one": {"1.1.1.1", "1.0.0.1"},
}

func internetHostByIP(a netip.Addr) (string, bool) {
	for _, name := range sortedKeys(internetHosts) {
		for _, s := range internetHosts[name] {
			if s == a.String() {
				return name, true
			}
		}
	}
	return "", false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ClusterDNS is the address of the cluster's DNS Service (kube-dns in
// kube-system), the kubelet's clusterDNS.
func ClusterDNS(st State) netip.Addr {
	if svc, ok := service(st, metav1.NamespaceSystem, "kube-dns"); ok {
		if a, err := netip.ParseAddr(svc.Spec.ClusterIP); err == nil {
			return a
		}
	}
	return ClusterDNSFallback
}
