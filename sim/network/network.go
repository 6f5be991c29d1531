// Package network is the simulated cluster's data plane seen from inside a
// pod: which connections NetworkPolicies let through (policy.go), where a
// Service address leads (kube-proxy's view: ready endpoints only,
// service.go), what answers on a pod's port (serve.go), and the CoreDNS
// model with the pod's resolver (dns.go). Dial ties them together: it is
// what a wget, curl or nc inside a pod experiences.
//
// Everything here is a pure function of the store's state at one instant:
// no watches, no clock, no randomness except through the Pick the caller
// passes (kube-proxy's choice of endpoint). The busybox/curl command
// output built on top of it lives in network/netcmd.
package network

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// State is the read side of the object store that the network model
// needs; *store.Store satisfies it.
type State interface {
	Get(kind, namespace, name string) (store.Object, bool)
	List(kind, namespace string) []store.Object
}

// Well-known addresses and names of the simulated EKS cluster.
const (
	// ClusterDomain is the kubelet's --cluster-domain.
	ClusterDomain = "cluster.local"
	// DefaultNdots is the ndots option the kubelet writes for
	// ClusterFirst pods.
	DefaultNdots = 5
)

var (
	// ClusterDNSFallback is the kubelet's clusterDNS on EKS with the
	// 10.100.0.0/16 service CIDR, used when no kube-dns Service exists.
	ClusterDNSFallback = netip.MustParseAddr("10.100.0.10")
	// VPCResolver is the Amazon-provided DNS server of the eksctl VPC
	// 192.168.0.0/16 (the VPC base address plus two): the nameserver of
	// the nodes' /etc/resolv.conf and of dnsPolicy Default pods.
	VPCResolver = netip.MustParseAddr("192.168.0.2")
)

// PeerOf is the network identity of a pod: its IP (the node's for a
// hostNetwork pod).
func PeerOf(p *corev1.Pod) Peer {
	return Peer{Pod: p, IP: podIP(p)}
}

// Peer is one end of a connection: a pod, or a bare address (a node, a
// host outside the cluster) when Pod is nil.
type Peer struct {
	Pod *corev1.Pod
	IP  netip.Addr
}

func (p Peer) String() string {
	if p.Pod != nil {
		return "pod " + p.Pod.Namespace + "/" + p.Pod.Name
	}
	return p.IP.String()
}

func podIP(p *corev1.Pod) netip.Addr {
	for _, s := range append([]string{p.Status.PodIP}, podIPs(p)...) {
		if a, err := netip.ParseAddr(s); err == nil {
			return a
		}
	}
	if p.Spec.HostNetwork {
		if a, err := netip.ParseAddr(p.Status.HostIP); err == nil {
			return a
		}
	}
	return netip.Addr{}
}

func podIPs(p *corev1.Pod) []string {
	out := make([]string, 0, len(p.Status.PodIPs))
	for _, ip := range p.Status.PodIPs {
		out = append(out, ip.IP)
	}
	return out
}

// pods lists the pods of the store that have an address, in key order.
func pods(st State) []*corev1.Pod {
	var out []*corev1.Pod
	for _, o := range st.List("Pod", "") {
		p := o.(*corev1.Pod)
		if podIP(p).IsValid() {
			out = append(out, p)
		}
	}
	return out
}

// PodByIP finds the running pod that holds addr (not hostNetwork pods,
// which share their node's address).
func PodByIP(st State, addr netip.Addr) *corev1.Pod {
	for _, p := range pods(st) {
		if p.Spec.HostNetwork || isFinished(p) {
			continue
		}
		if podIP(p) == addr {
			return p
		}
	}
	return nil
}

func isFinished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}
