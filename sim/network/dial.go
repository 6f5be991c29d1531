package network

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
)

// Outcome is how a connection attempt ends.
type Outcome int

const (
	// Connected: something accepted the connection.
	Connected Outcome = iota
	// Refused: the host answered with a reset (nothing listens on the
	// port), or kube-proxy rejected it (a Service with no ready
	// endpoints).
	Refused
	// TimedOut: the packets were dropped (a NetworkPolicy, an address no
	// host holds, a cluster IP's port the Service does not have).
	TimedOut
)

func (o Outcome) String() string {
	return [...]string{"connected", "refused", "timed out"}[o]
}

// Conn is the outcome of dialling an address from a pod.
type Conn struct {
	Outcome  Outcome
	Addr     netip.Addr // what was dialled
	Port     int32
	Protocol corev1.Protocol
	// Service is the Service the address (cluster IP, or node port)
	// belongs to, if any; Backend the pod kube-proxy sent the connection
	// to (or the pod addressed directly), BackendPort its port.
	Service     *corev1.Service
	Backend     *corev1.Pod
	BackendIP   netip.Addr
	BackendPort int32
	// Server is what accepted the connection (Connected only; Pod is nil
	// for hosts outside the cluster).
	Server Server
	// LoadBalancer is the load balancer the address belongs to, if any.
	LoadBalancer *LoadBalancer
	// Verdict is the NetworkPolicy verdict when a policy dropped the
	// connection.
	Verdict Verdict
	// Reason explains the outcome in one line, for people.
	Reason string
}

// Pick chooses one of n endpoints (kube-proxy's random choice); nil
// picks the first. Callers pass a seeded stream to stay deterministic.
type Pick func(n int) int

// Dial connects from pod to addr:port over proto as the node's data
// plane would: loopback stays in the pod; a cluster IP or a node port is
// translated by kube-proxy to one ready endpoint (none: rejected); the
// flow is then judged by the NetworkPolicies of both ends (dropped:
// timeout) and finally meets whatever listens on the destination port
// (nothing: refused). A load balancer's address leads through it
// (toLoadBalancer).
func Dial(st State, from *corev1.Pod, addr netip.Addr, port int32, proto corev1.Protocol, pick Pick) Conn {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	c := Conn{Addr: addr, Port: port, Protocol: proto}
	src := PeerOf(from)
	switch {
	case addr.IsLoopback():
		c.Backend, c.BackendIP, c.BackendPort = from, addr, port
		return listenerOutcome(c, from, port, proto)
	case addr.IsUnspecified() || !addr.IsValid():
		c.Outcome, c.Reason = Refused, "invalid address"
		return c
	}
	if svc := ServiceByIP(st, addr); svc != nil {
		c.Service = svc
		sp, ok := ServicePort(svc, port, proto, false)
		if !ok {
			c.Outcome = TimedOut
			c.Reason = fmt.Sprintf("Service %s/%s has no port %d/%s: nothing answers on its cluster IP", svc.Namespace, svc.Name, port, proto)
			return c
		}
		return viaService(st, c, src, svc, sp, pick, "")
	}
	if n := NodeByIP(st, addr); n != nil {
		for _, o := range st.List("Service", "") {
			svc := o.(*corev1.Service)
			if sp, ok := ServicePort(svc, port, proto, true); ok && needsNodePort(svc) {
				c.Service = svc
				local := ""
				if svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
					local = n.Name
				}
				return viaService(st, c, src, svc, sp, pick, local)
			}
		}
		return toHost(st, c, src, n)
	}
	if dst := PodByIP(st, addr); dst != nil {
		return toPod(st, c, src, dst, port)
	}
	if lb, ok := LoadBalancerByIP(st, addr); ok {
		return toLoadBalancer(st, c, src, lb, pick)
	}
	if addr == VPCResolver {
		return external(st, c, src, port == 53, "the VPC resolver")
	}
	if host, ok := internetHostByIP(addr); ok {
		dnsServer := host == "dns.google" || host == "one.one.one.one"
		return external(st, c, src, port == 80 || port == 443 || (dnsServer && port == 53), host)
	}
	c.Outcome = TimedOut
	c.Reason = fmt.Sprintf("no host holds %s", addr)
	return c
}

func needsNodePort(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer
}

func viaService(st State, c Conn, src Peer, svc *corev1.Service, sp corev1.ServicePort, pick Pick, onlyNode string) Conn {
	all := Backends(st, svc, sp)
	backends := all[:0:0]
	localNode := ""
	if svc.Spec.InternalTrafficPolicy != nil && *svc.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal && onlyNode == "" && src.Pod != nil {
		localNode = src.Pod.Spec.NodeName
	}
	for _, b := range all {
		node := ""
		if b.Pod != nil {
			node = b.Pod.Spec.NodeName
		}
		if (onlyNode != "" && node != onlyNode) || (localNode != "" && node != localNode) {
			continue
		}
		backends = append(backends, b)
	}
	if len(backends) == 0 {
		name := svc.Namespace + "/" + svc.Name
		if len(all) > 0 {
			// Local traffic policy without a local endpoint: kube-proxy drops.
			c.Outcome = TimedOut
			c.Reason = fmt.Sprintf("Service %s has no ready endpoint on this node (traffic policy Local)", name)
			return c
		}
		c.Outcome = Refused
		c.Reason = fmt.Sprintf("Service %s has no ready endpoints: kube-proxy rejects the connection", name)
		return c
	}
	i := 0
	if pick != nil && len(backends) > 1 {
		i = pick(len(backends))
		if i < 0 || i >= len(backends) {
			i = 0
		}
	}
	b := backends[i]
	c.BackendIP, c.BackendPort = b.IP, b.Port
	if b.Pod == nil {
		c.Outcome = TimedOut
		c.Reason = fmt.Sprintf("endpoint %s of Service %s/%s is no pod: nothing answers", b.IP, svc.Namespace, svc.Name)
		return c
	}
	return toPod(st, c, src, b.Pod, b.Port)
}

func toPod(st State, c Conn, src Peer, dst *corev1.Pod, port int32) Conn {
	c.Backend, c.BackendIP, c.BackendPort = dst, podIP(dst), port
	v := Check(st, Flow{From: src, To: PeerOf(dst), Port: port, Protocol: c.Protocol})
	if !v.Allowed {
		c.Outcome, c.Verdict, c.Reason = TimedOut, v, v.Reason()
		return c
	}
	return listenerOutcome(c, dst, port, c.Protocol)
}

func listenerOutcome(c Conn, dst *corev1.Pod, port int32, proto corev1.Protocol) Conn {
	if s, ok := Listener(dst, port, proto); ok {
		c.Outcome, c.Server = Connected, s
		c.Reason = fmt.Sprintf("%s in pod %s/%s accepted", s.App, dst.Namespace, dst.Name)
		return c
	}
	c.Outcome = Refused
	c.Reason = fmt.Sprintf("nothing listens on port %d/%s of pod %s/%s", port, proto, dst.Namespace, dst.Name)
	return c
}

// toHost: a node's own address on a port that is no node port. The
// kubelet (10250) answers; the node's security group drops the rest.
func toHost(st State, c Conn, src Peer, n *corev1.Node) Conn {
	v := Check(st, Flow{From: src, To: Peer{IP: c.Addr}, Port: c.Port, Protocol: c.Protocol})
	if !v.Allowed {
		c.Outcome, c.Verdict, c.Reason = TimedOut, v, v.Reason()
		return c
	}
	if c.Port == 10250 && c.Protocol == corev1.ProtocolTCP {
		c.Outcome, c.Server = Connected, Server{Port: 10250, Protocol: c.Protocol, App: "kubelet"}
		c.Reason = "the kubelet of node " + n.Name + " accepted"
		return c
	}
	c.Outcome = Refused
	c.Reason = fmt.Sprintf("node %s has no listener on port %d/%s", n.Name, c.Port, c.Protocol)
	return c
}

func external(st State, c Conn, src Peer, listening bool, what string) Conn {
	v := Check(st, Flow{From: src, To: Peer{IP: c.Addr}, Port: c.Port, Protocol: c.Protocol})
	if !v.Allowed {
		c.Outcome, c.Verdict, c.Reason = TimedOut, v, v.Reason()
		return c
	}
	if !listening {
		c.Outcome, c.Reason = TimedOut, what+" does not answer on this port"
		return c
	}
	c.Outcome, c.Server = Connected, Server{Port: c.Port, Protocol: c.Protocol, App: what, HTTP: c.Port == 80 || c.Port == 443}
	c.Reason = what + " accepted"
	return c
}

// ProtocolICMP is the pseudo-protocol of ping in flows: a policy rule
// that lists ports never matches it, a rule without ports does.
const ProtocolICMP corev1.Protocol = "ICMP"

// Echo is a ping from pod to addr: Connected when a reply comes back,
// TimedOut when none does. A Service's cluster IP never answers (it is
// virtual: kube-proxy only forwards the Service's ports), nor does the
// VPC resolver; pods, nodes and the modelled internet hosts do, unless a
// NetworkPolicy drops the packets.
func Echo(st State, from *corev1.Pod, addr netip.Addr) Conn {
	c := Conn{Addr: addr, Protocol: ProtocolICMP}
	src := PeerOf(from)
	switch {
	case addr.IsLoopback() || addr == podIP(from):
		c.Outcome, c.Backend, c.Reason = Connected, from, "the pod itself"
		return c
	case !addr.IsValid() || addr.IsUnspecified():
		c.Outcome, c.Reason = TimedOut, "invalid address"
		return c
	}
	if svc := ServiceByIP(st, addr); svc != nil {
		c.Service, c.Outcome = svc, TimedOut
		c.Reason = fmt.Sprintf("%s is the virtual cluster IP of Service %s/%s: kube-proxy forwards only its ports, nothing answers a ping", addr, svc.Namespace, svc.Name)
		return c
	}
	var to Peer
	switch dst := PodByIP(st, addr); {
	case dst != nil:
		to = PeerOf(dst)
		c.Backend = dst
	case NodeByIP(st, addr) != nil:
		to = Peer{IP: addr}
	default:
		if lb, ok := LoadBalancerByIP(st, addr); ok {
			c.Outcome, c.Reason = TimedOut, lb.String()+" does not answer ICMP"
			return c
		}
		if _, ok := internetHostByIP(addr); !ok {
			c.Outcome, c.Reason = TimedOut, fmt.Sprintf("no host answers at %s", addr)
			return c
		}
		to = Peer{IP: addr}
	}
	v := Check(st, Flow{From: src, To: to, Protocol: ProtocolICMP})
	if !v.Allowed {
		c.Outcome, c.Verdict, c.Reason = TimedOut, v, v.Reason()
		return c
	}
	c.Outcome, c.Reason = Connected, "echo reply"
	return c
}

// Connect is what a process in pod experiences connecting to host:port
// (a Service name, name.namespace, a FQDN or an address): the name
// resolved through the pod's resolver, then Dial. When the name does not
// resolve, Resolution.Err says why and Conn is zero.
func Connect(st State, from *corev1.Pod, host string, port int32, proto corev1.Protocol, pick Pick) (Resolution, Conn) {
	r := Resolve(st, from, host, pick)
	if len(r.Addrs) == 0 {
		return r, Conn{}
	}
	return r, Dial(st, from, r.Addrs[0], port, proto, pick)
}
