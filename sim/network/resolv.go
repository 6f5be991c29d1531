package network

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ResolvConf is a pod's /etc/resolv.conf as the kubelet builds it from
// the pod's dnsPolicy and dnsConfig.
type ResolvConf struct {
	Nameservers []string
	Searches    []string
	Options     []string // "ndots:5", "timeout:2", …
}

// String is the file as the container runtime writes it.
func (r ResolvConf) String() string {
	var b strings.Builder
	if len(r.Searches) > 0 {
		b.WriteString("search " + strings.Join(r.Searches, " ") + "\n")
	}
	for _, ns := range r.Nameservers {
		b.WriteString("nameserver " + ns + "\n")
	}
	if len(r.Options) > 0 {
		b.WriteString("options " + strings.Join(r.Options, " ") + "\n")
	}
	return b.String()
}

// Ndots is the ndots option (1 when absent, the resolver's default).
func (r ResolvConf) Ndots() int {
	n := 1
	for _, o := range r.Options {
		if v, ok := strings.CutPrefix(o, "ndots:"); ok {
			if x, err := strconv.Atoi(v); err == nil {
				n = min(x, 15)
			}
		}
	}
	return n
}

// The kubelet's limits on the merged resolv.conf.
const (
	maxNameservers = 3
	maxSearches    = 32
)

// ResolvConfOf builds the pod's resolv.conf as the kubelet does:
// ClusterFirst (the default) points at the cluster DNS Service with the
// pod's namespace search path and ndots:5 — except for hostNetwork pods,
// which fall back to Default; ClusterFirstWithHostNet always uses the
// cluster DNS; Default inherits the node's file (the VPC resolver and the
// region's search domain); None uses only dnsConfig. dnsConfig's
// nameservers, searches and options are merged in last.
func ResolvConfOf(st State, pod *corev1.Pod) ResolvConf {
	node := ResolvConf{Nameservers: []string{VPCResolver.String()}, Searches: []string{SearchDomain(region(st))}}
	var r ResolvConf
	policy := cmp.Or(pod.Spec.DNSPolicy, corev1.DNSClusterFirst)
	if policy == corev1.DNSClusterFirst && pod.Spec.HostNetwork {
		policy = corev1.DNSDefault
	}
	switch policy {
	case corev1.DNSClusterFirst, corev1.DNSClusterFirstWithHostNet:
		r = ResolvConf{
			Nameservers: []string{ClusterDNS(st).String()},
			Searches: append([]string{pod.Namespace + ".svc." + ClusterDomain, "svc." + ClusterDomain, ClusterDomain},
				node.Searches...),
			Options: []string{"ndots:" + strconv.Itoa(DefaultNdots)},
		}
	case corev1.DNSDefault:
		r = node
	case corev1.DNSNone:
	}
	if c := pod.Spec.DNSConfig; c != nil {
		r.Nameservers = append(r.Nameservers, c.Nameservers...)
		for _, s := range c.Searches {
			if !slices.Contains(r.Searches, s) {
				r.Searches = append(r.Searches, s)
			}
		}
		for _, o := range c.Options {
			opt := o.Name
			if o.Value != nil {
				opt += ":" + *o.Value
			}
			if i := slices.IndexFunc(r.Options, func(x string) bool { return strings.SplitN(x, ":", 2)[0] == o.Name }); i >= 0 {
				r.Options[i] = opt
			} else {
				r.Options = append(r.Options, opt)
			}
		}
	}
	if len(r.Nameservers) > maxNameservers {
		r.Nameservers = r.Nameservers[:maxNameservers]
	}
	if len(r.Searches) > maxSearches {
		r.Searches = r.Searches[:maxSearches]
	}
	return r
}

// Hostname is the pod's hostname: spec.hostname, else its name (cut to
// 63 characters).
func Hostname(pod *corev1.Pod) string {
	h := cmp.Or(pod.Spec.Hostname, pod.Name)
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}

// FQDN is the pod's fully qualified name: hostname.subdomain.ns.svc.
// cluster.local when it has a subdomain, else "".
func FQDN(pod *corev1.Pod) string {
	if pod.Spec.Subdomain == "" {
		return ""
	}
	return Hostname(pod) + "." + pod.Spec.Subdomain + "." + pod.Namespace + ".svc." + ClusterDomain
}

// HostsFile is the kubelet-managed /etc/hosts of a pod (the node's own
// file for a hostNetwork pod is not modelled: it gets the same header).
func HostsFile(pod *corev1.Pod) string {
	var b strings.Builder
	b.WriteString("# Kubernetes-managed hosts file.\n")
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n")
	if ip := podIP(pod); ip.IsValid() && !pod.Spec.HostNetwork {
		if f := FQDN(pod); f != "" {
			b.WriteString(ip.String() + "\t" + f + "\t" + Hostname(pod) + "\n")
		} else {
			b.WriteString(ip.String() + "\t" + Hostname(pod) + "\n")
		}
	}
	if len(pod.Spec.HostAliases) > 0 {
		b.WriteString("\n# Entries added by HostAliases.\n")
		for _, a := range pod.Spec.HostAliases {
			b.WriteString(a.IP + "\t" + strings.Join(a.Hostnames, "\t") + "\n")
		}
	}
	return b.String()
}

// hostsLookup resolves a name from the pod's /etc/hosts.
func hostsLookup(pod *corev1.Pod, name string) (netip.Addr, bool) {
	name = canonical(name)
	if name == "localhost" || name == "ip6-localhost" {
		return netip.MustParseAddr("127.0.0.1"), true
	}
	if ip := podIP(pod); ip.IsValid() && !pod.Spec.HostNetwork {
		if name == strings.ToLower(Hostname(pod)) || (FQDN(pod) != "" && name == strings.ToLower(FQDN(pod))) {
			return ip, true
		}
	}
	for _, a := range pod.Spec.HostAliases {
		for _, h := range a.Hostnames {
			if strings.EqualFold(h, name) {
				if ip, err := netip.ParseAddr(a.IP); err == nil {
					return ip, true
				}
			}
		}
	}
	return netip.Addr{}, false
}

// ResolveError says why a name did not resolve.
type ResolveError int

// Resolution failures.
const (
	// NotFound: every candidate name was NXDOMAIN or had no address.
	NotFound ResolveError = iota + 1
	// TryAgain: no nameserver answered (EAI_AGAIN: a policy blocks DNS,
	// CoreDNS has no ready pod).
	TryAgain
)

// Resolution is the outcome of resolving a host name as the pod's libc
// does (getaddrinfo, IPv4).
type Resolution struct {
	Host  string
	Addrs []netip.Addr
	// Name is the name that answered (the search-path expansion).
	Name string
	Err  ResolveError
	// Exchanges are the DNS questions sent, in order.
	Exchanges []Exchange
}

// Resolve resolves host for a process in pod: an address literal as is,
// then /etc/hosts, then the resolv.conf nameservers with its search list
// (names with fewer dots than ndots try the search domains first, as
// glibc and musl do; a trailing dot disables the search), following a
// CNAME to the address it leads to.
func Resolve(st State, pod *corev1.Pod, host string, pick Pick) Resolution {
	res := Resolution{Host: host}
	if a, err := netip.ParseAddr(host); err == nil {
		res.Addrs, res.Name = []netip.Addr{a}, host
		return res
	}
	if a, ok := hostsLookup(pod, host); ok {
		res.Addrs, res.Name = []netip.Addr{a}, canonical(host)
		return res
	}
	return resolve(st, pod, host, ResolvConfOf(st, pod), res, pick)
}

// ResolveWith resolves host like Resolve, asking only the given
// nameservers (with the pod's search list).
func ResolveWith(st State, pod *corev1.Pod, host string, servers []string, pick Pick) Resolution {
	conf := ResolvConfOf(st, pod)
	conf.Nameservers = servers
	res := Resolution{Host: host}
	if a, err := netip.ParseAddr(host); err == nil {
		res.Addrs, res.Name = []netip.Addr{a}, host
		return res
	}
	return resolve(st, pod, host, conf, res, pick)
}

func resolve(st State, pod *corev1.Pod, host string, conf ResolvConf, res Resolution, pick Pick) Resolution {
	for _, name := range Candidates(conf, host) {
		answered := false
		for _, ns := range conf.Nameservers {
			server, err := netip.ParseAddr(ns)
			if err != nil {
				continue
			}
			ex := Query(st, pod, server, name, TypeA, pick)
			res.Exchanges = append(res.Exchanges, ex)
			if !ex.Answered {
				continue
			}
			answered = true
			if addrs, final := chase(st, pod, ex, pick, &res); len(addrs) > 0 {
				res.Addrs, res.Name = addrs, final
				return res
			}
			break
		}
		if !answered {
			// No server answered this name: glibc gives up (EAI_AGAIN).
			res.Err = TryAgain
			return res
		}
	}
	res.Err = NotFound
	return res
}

// chase collects the A records of a reply, following a CNAME chain (an
// ExternalName Service) with further questions to the same server.
func chase(st State, pod *corev1.Pod, ex Exchange, pick Pick, res *Resolution) ([]netip.Addr, string) {
	name := ex.Name
	for hop := 0; hop < 8; hop++ {
		var addrs []netip.Addr
		target := ""
		for _, rr := range ex.Reply.Answer {
			switch rr.Type {
			case TypeA:
				addrs = append(addrs, rr.A)
			case TypeCNAME:
				target = rr.Target
			}
		}
		if len(addrs) > 0 && target != "" {
			return addrs, target
		}
		if len(addrs) > 0 || target == "" || ex.Reply.RCode != NoError {
			return addrs, name
		}
		name = target
		ex = Query(st, pod, ex.Server, target, TypeA, pick)
		res.Exchanges = append(res.Exchanges, ex)
		if !ex.Answered {
			return nil, name
		}
	}
	return nil, name
}

// Candidates lists the names a resolver tries for host, in order.
func Candidates(conf ResolvConf, host string) []string {
	if strings.HasSuffix(host, ".") {
		return []string{canonical(host)}
	}
	var searched []string
	for _, s := range conf.Searches {
		searched = append(searched, canonical(host+"."+s))
	}
	if strings.Count(host, ".") >= conf.Ndots() {
		return append([]string{canonical(host)}, searched...)
	}
	return append(searched, canonical(host))
}
