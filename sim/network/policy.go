package network

import (
	"cmp"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Flow is one connection attempt as the network policy engine sees it:
// after kube-proxy's translation, so To is the pod (or address) that
// would receive the packets and Port its port.
type Flow struct {
	From, To Peer
	Port     int32
	Protocol corev1.Protocol // "" means TCP
}

func (f Flow) protocol() corev1.Protocol { return cmp.Or(f.Protocol, corev1.ProtocolTCP) }

// Verdict is the outcome of the policy check of one flow.
type Verdict struct {
	Allowed bool
	// Direction is the side that dropped the flow (Egress: the source
	// pod may not send it, Ingress: the destination may not receive it).
	Direction networkingv1.PolicyType
	// Isolating names (namespace/name) the policies that select the pod
	// on the denied side for that direction: the flow needed a rule in
	// one of them and none matched.
	Isolating []string
	// Flow is the flow judged.
	Flow Flow
}

// Reason says in one line why a denied flow was dropped ("" if allowed),
// naming the policies that isolate the pod: "pod default/db is isolated
// for ingress by NetworkPolicy default/deny-db, and no ingress rule allows
// traffic from pod default/fe on port 5432/TCP".
func (v Verdict) Reason() string {
	if v.Allowed {
		return ""
	}
	pod, dir, other := v.Flow.From, "egress", "to "+v.Flow.To.String()
	if v.Direction == networkingv1.PolicyTypeIngress {
		pod, dir, other = v.Flow.To, "ingress", "from "+v.Flow.From.String()
	}
	what := "NetworkPolicy " + strings.Join(v.Isolating, ", ")
	if len(v.Isolating) > 1 {
		what = "NetworkPolicies " + strings.Join(v.Isolating, ", ")
	}
	on := fmt.Sprintf("on port %d/%s", v.Flow.Port, v.Flow.protocol())
	if v.Flow.Protocol == ProtocolICMP {
		on = "over ICMP"
	}
	return fmt.Sprintf("%s is isolated for %s by %s, and no %s rule allows traffic %s %s",
		pod, dir, what, dir, other, on)
}

// PolicyTypes is the policy's effective policyTypes, defaulted as the API
// server does when they are not given: Ingress always, Egress when the
// policy has egress rules.
func PolicyTypes(np *networkingv1.NetworkPolicy) []networkingv1.PolicyType {
	if len(np.Spec.PolicyTypes) > 0 {
		return np.Spec.PolicyTypes
	}
	out := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	if len(np.Spec.Egress) > 0 {
		out = append(out, networkingv1.PolicyTypeEgress)
	}
	return out
}

func hasType(np *networkingv1.NetworkPolicy, t networkingv1.PolicyType) bool {
	for _, x := range PolicyTypes(np) {
		if x == t {
			return true
		}
	}
	return false
}

// Selects reports whether the policy applies to pod: same namespace and
// its podSelector (empty: all pods) matches. Pods on the host network are
// never selected (their traffic is the node's).
func Selects(np *networkingv1.NetworkPolicy, pod *corev1.Pod) bool {
	if pod == nil || pod.Spec.HostNetwork || pod.Namespace != np.Namespace {
		return false
	}
	return selectorMatches(&np.Spec.PodSelector, pod.Labels)
}

// selectorMatches applies a label selector; a nil selector matches
// nothing, an empty one everything, a malformed one nothing.
func selectorMatches(sel *metav1.LabelSelector, set map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false
	}
	return s.Matches(labels.Set(set))
}

// policiesFor lists the policies of the pod's namespace that select it
// for direction t, sorted by name.
func policiesFor(st State, pod *corev1.Pod, t networkingv1.PolicyType) []*networkingv1.NetworkPolicy {
	if pod == nil || pod.Spec.HostNetwork {
		return nil
	}
	var out []*networkingv1.NetworkPolicy
	for _, o := range st.List("NetworkPolicy", pod.Namespace) {
		np := o.(*networkingv1.NetworkPolicy)
		if hasType(np, t) && Selects(np, pod) {
			out = append(out, np)
		}
	}
	return out
}

// Check judges a flow as the CNI's network policy agent does: the source
// pod must be allowed to send it (if some policy isolates it for egress,
// one of their egress rules must match the destination and port) and the
// destination pod must be allowed to receive it (likewise for ingress).
// Policies are additive: any matching rule of any selecting policy
// allows the flow. Addresses without a pod are never isolated.
func Check(st State, f Flow) Verdict {
	if v := checkSide(st, f, networkingv1.PolicyTypeEgress); !v.Allowed {
		return v
	}
	return checkSide(st, f, networkingv1.PolicyTypeIngress)
}

func checkSide(st State, f Flow, t networkingv1.PolicyType) Verdict {
	pod := f.From.Pod
	if t == networkingv1.PolicyTypeIngress {
		pod = f.To.Pod
	}
	// Traffic of a pod with itself is not isolated by most CNIs only
	// on the loopback; across its own IP it is judged like any other.
	isolating := policiesFor(st, pod, t)
	if len(isolating) == 0 {
		return Verdict{Allowed: true, Flow: f}
	}
	for _, np := range isolating {
		if policyAllows(st, np, f, t) {
			return Verdict{Allowed: true, Flow: f}
		}
	}
	names := make([]string, len(isolating))
	for i, np := range isolating {
		names[i] = np.Namespace + "/" + np.Name
	}
	return Verdict{Direction: t, Isolating: names, Flow: f}
}

func policyAllows(st State, np *networkingv1.NetworkPolicy, f Flow, t networkingv1.PolicyType) bool {
	if t == networkingv1.PolicyTypeIngress {
		for _, r := range np.Spec.Ingress {
			if portsMatch(r.Ports, f.To.Pod, f.Port, f.protocol()) && peersMatch(st, np, r.From, f.From) {
				return true
			}
		}
		return false
	}
	for _, r := range np.Spec.Egress {
		if portsMatch(r.Ports, f.To.Pod, f.Port, f.protocol()) && peersMatch(st, np, r.To, f.To) {
			return true
		}
	}
	return false
}

// portsMatch: an empty list allows every port; a port entry matches the
// protocol (TCP by default) and a number, a range up to endPort, or a
// named port of the destination pod's containers; no port means every
// port of the protocol.
func portsMatch(ports []networkingv1.NetworkPolicyPort, dst *corev1.Pod, port int32, proto corev1.Protocol) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if ptr.Deref(p.Protocol, corev1.ProtocolTCP) != proto {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.Type == intstr.Int {
			lo, hi := p.Port.IntVal, p.Port.IntVal
			if p.EndPort != nil {
				hi = *p.EndPort
			}
			if port >= lo && port <= hi {
				return true
			}
			continue
		}
		if n, ok := NamedPort(dst, p.Port.StrVal, proto); ok && n == port {
			return true
		}
	}
	return false
}

// NamedPort resolves a port name against the pod's container ports (and
// those of its restartable init containers).
func NamedPort(pod *corev1.Pod, name string, proto corev1.Protocol) (int32, bool) {
	if pod == nil {
		return 0, false
	}
	if n, err := strconv.Atoi(name); err == nil {
		return int32(n), true
	}
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range cs {
			for _, cp := range c.Ports {
				if cp.Name == name && cmp.Or(cp.Protocol, corev1.ProtocolTCP) == proto {
					return cp.ContainerPort, true
				}
			}
		}
	}
	return 0, false
}

// peersMatch: an empty list matches every peer; otherwise one entry must.
func peersMatch(st State, np *networkingv1.NetworkPolicy, peers []networkingv1.NetworkPolicyPeer, peer Peer) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if peerMatches(st, np, p, peer) {
			return true
		}
	}
	return false
}

func peerMatches(st State, np *networkingv1.NetworkPolicy, p networkingv1.NetworkPolicyPeer, peer Peer) bool {
	if p.IPBlock != nil {
		return ipBlockContains(p.IPBlock, peer.IP)
	}
	pod := peer.Pod
	if pod == nil || pod.Spec.HostNetwork {
		return false
	}
	switch {
	case p.NamespaceSelector == nil:
		// podSelector alone: pods of the policy's own namespace.
		return pod.Namespace == np.Namespace && selectorMatches(p.PodSelector, pod.Labels)
	case p.PodSelector == nil:
		return selectorMatches(p.NamespaceSelector, namespaceLabels(st, pod.Namespace))
	default:
		return selectorMatches(p.NamespaceSelector, namespaceLabels(st, pod.Namespace)) &&
			selectorMatches(p.PodSelector, pod.Labels)
	}
}

// namespaceLabels are a namespace's labels, with the
// kubernetes.io/metadata.name label the API server sets on every
// namespace.
func namespaceLabels(st State, ns string) map[string]string {
	out := map[string]string{corev1.LabelMetadataName: ns}
	if o, ok := st.Get("Namespace", "", ns); ok {
		for k, v := range o.GetLabels() {
			out[k] = v
		}
		out[corev1.LabelMetadataName] = ns
	}
	return out
}

// ipBlockContains: in the CIDR and in none of the exceptions. A malformed
// CIDR (the API server refuses them) matches nothing.
func ipBlockContains(b *networkingv1.IPBlock, addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil || !cidr.Contains(addr) {
		return false
	}
	for _, e := range b.Except {
		if ex, err := netip.ParsePrefix(e); err == nil && ex.Contains(addr) {
			return false
		}
	}
	return true
}
