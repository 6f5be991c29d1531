package network_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/network"
	"github.com/kubesim/kubesim/sim/store"
)

// fakeState is a State over a list of objects.
type fakeState []store.Object

func (s fakeState) Get(kind, ns, name string) (store.Object, bool) {
	for _, o := range s {
		if store.MustKind(o) == kind && o.GetNamespace() == ns && o.GetName() == name {
			return o, true
		}
	}
	return nil, false
}

func (s fakeState) List(kind, ns string) []store.Object {
	var out []store.Object
	for _, o := range s {
		if store.MustKind(o) == kind && (ns == "" || o.GetNamespace() == ns) {
			out = append(out, o)
		}
	}
	return out
}

func ns(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func pod(namespace, name, ip string, labels map[string]string, ports ...corev1.ContainerPort) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx", Ports: ports}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
	}
}

func sel(kv ...string) *metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

func policy(namespace, name string, spec networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: spec}
}

// The example policy of the Kubernetes NetworkPolicy concepts page
// ("test-network-policy"): db pods in default accept TCP 6379 from
// 172.17.0.0/16 except 172.17.1.0/24, from any pod of a namespace
// labelled project=myproject, and from role=frontend pods of default; and
// may only send TCP 5978 to 10.0.0.0/24.
func docsExample() *networkingv1.NetworkPolicy {
	return policy("default", "test-network-policy", networkingv1.NetworkPolicySpec{
		PodSelector: *sel("role", "db"),
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "172.17.0.0/16", Except: []string{"172.17.1.0/24"}}},
				{NamespaceSelector: sel("project", "myproject")},
				{PodSelector: sel("role", "frontend")},
			},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(6379))}},
		}},
		Egress: []networkingv1.NetworkPolicyEgressRule{{
			To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/24"}}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(5978))}},
		}},
	})
}

func TestPolicies(t *testing.T) {
	db := pod("default", "db", "100.64.0.10", map[string]string{"role": "db"}, corev1.ContainerPort{Name: "redis", ContainerPort: 6379})
	frontend := pod("default", "frontend", "100.64.0.11", map[string]string{"role": "frontend"})
	other := pod("default", "other", "100.64.0.12", map[string]string{"role": "other"})
	mine := pod("myproject", "any", "100.64.0.13", map[string]string{"app": "x"})
	mineFrontend := pod("myproject", "fe", "100.64.0.14", map[string]string{"role": "frontend"})
	elsewhere := pod("prod", "fe", "100.64.0.15", map[string]string{"role": "frontend"})
	base := fakeState{ns("default", nil), ns("myproject", map[string]string{"project": "myproject"}), ns("prod", map[string]string{"env": "prod"}),
		db, frontend, other, mine, mineFrontend, elsewhere}
	ext := func(ip string) network.Peer { return network.Peer{IP: netip.MustParseAddr(ip)} }
	p := network.PeerOf

	tests := []struct {
		name     string
		policies []store.Object
		from, to network.Peer
		port     int32
		proto    corev1.Protocol
		allowed  bool
		denied   networkingv1.PolicyType
	}{
		{name: "no policy: everything allowed", from: p(other), to: p(db), port: 6379, allowed: true},
		{name: "docs example: frontend pod of the namespace", policies: []store.Object{docsExample()}, from: p(frontend), to: p(db), port: 6379, allowed: true},
		{name: "docs example: wrong port", policies: []store.Object{docsExample()}, from: p(frontend), to: p(db), port: 6380, denied: networkingv1.PolicyTypeIngress},
		{name: "docs example: UDP is not TCP", policies: []store.Object{docsExample()}, from: p(frontend), to: p(db), port: 6379, proto: corev1.ProtocolUDP, denied: networkingv1.PolicyTypeIngress},
		{name: "docs example: other role refused", policies: []store.Object{docsExample()}, from: p(other), to: p(db), port: 6379, denied: networkingv1.PolicyTypeIngress},
		{name: "docs example: any pod of myproject", policies: []store.Object{docsExample()}, from: p(mine), to: p(db), port: 6379, allowed: true},
		{name: "docs example: podSelector alone is the policy's namespace", policies: []store.Object{docsExample()}, from: p(elsewhere), to: p(db), port: 6379, denied: networkingv1.PolicyTypeIngress},
		{name: "docs example: ipBlock", policies: []store.Object{docsExample()}, from: ext("172.17.2.9"), to: p(db), port: 6379, allowed: true},
		{name: "docs example: ipBlock except", policies: []store.Object{docsExample()}, from: ext("172.17.1.9"), to: p(db), port: 6379, denied: networkingv1.PolicyTypeIngress},
		{name: "docs example: egress to the block on 5978", policies: []store.Object{docsExample()}, from: p(db), to: ext("10.0.0.7"), port: 5978, allowed: true},
		{name: "docs example: egress elsewhere dropped", policies: []store.Object{docsExample()}, from: p(db), to: p(frontend), port: 80, denied: networkingv1.PolicyTypeEgress},
		{name: "docs example: unselected pods are not isolated", policies: []store.Object{docsExample()}, from: p(other), to: p(frontend), port: 80, allowed: true},

		{name: "default deny ingress", policies: []store.Object{policy("default", "default-deny-ingress", networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}})},
			from: p(mine), to: p(db), port: 6379, denied: networkingv1.PolicyTypeIngress},
		{name: "default deny ingress leaves egress open", policies: []store.Object{policy("default", "default-deny-ingress", networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}})},
			from: p(db), to: p(mine), port: 80, allowed: true},
		{name: "policyTypes defaulted: no egress rules means ingress only", policies: []store.Object{policy("default", "p", networkingv1.NetworkPolicySpec{})},
			from: p(db), to: ext("8.8.8.8"), port: 53, proto: corev1.ProtocolUDP, allowed: true},
		{name: "policyTypes defaulted: egress rules make it egress too", policies: []store.Object{policy("default", "p", networkingv1.NetworkPolicySpec{
			Egress: []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}}}}})},
			from: p(db), to: ext("8.8.8.8"), port: 53, proto: corev1.ProtocolUDP, denied: networkingv1.PolicyTypeEgress},
		{name: "allow all ingress", policies: []store.Object{
			policy("default", "deny", networkingv1.NetworkPolicySpec{}),
			policy("default", "allow-all-ingress", networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{}}})},
			from: ext("1.2.3.4"), to: p(db), port: 1, allowed: true},
		{name: "default deny egress", policies: []store.Object{policy("default", "default-deny-egress", networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}})},
			from: p(frontend), to: p(mine), port: 80, denied: networkingv1.PolicyTypeEgress},
		{name: "allow all egress", policies: []store.Object{
			policy("default", "default-deny-egress", networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}}),
			policy("default", "allow-all-egress", networkingv1.NetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{}},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}})},
			from: p(frontend), to: p(mine), port: 80, allowed: true},

		// namespaceSelector and podSelector in one peer: AND; in two peers: OR.
		{name: "namespace AND pod selector: both match", policies: []store.Object{policy("default", "and", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"),
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: sel("project", "myproject"), PodSelector: sel("role", "frontend")}}}}})},
			from: p(mineFrontend), to: p(db), port: 6379, allowed: true},
		{name: "namespace AND pod selector: pod does not match", policies: []store.Object{policy("default", "and", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"),
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: sel("project", "myproject"), PodSelector: sel("role", "frontend")}}}}})},
			from: p(mine), to: p(db), port: 6379, denied: networkingv1.PolicyTypeIngress},
		{name: "namespace OR pod selector", policies: []store.Object{policy("default", "or", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"),
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: sel("project", "myproject")}, {PodSelector: sel("role", "frontend")}}}}})},
			from: p(mine), to: p(db), port: 6379, allowed: true},
		{name: "namespace by its metadata.name label", policies: []store.Object{policy("default", "by-name", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"),
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: sel("kubernetes.io/metadata.name", "prod")}}}}})},
			from: p(elsewhere), to: p(db), port: 6379, allowed: true},
		{name: "empty namespaceSelector: every namespace", policies: []store.Object{policy("default", "all-ns", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"),
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: &metav1.LabelSelector{}}}}}})},
			from: p(elsewhere), to: p(db), port: 6379, allowed: true},
		{name: "empty namespaceSelector: not external addresses", policies: []store.Object{policy("default", "all-ns", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"),
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: &metav1.LabelSelector{}}}}}})},
			from: ext("192.168.0.9"), to: p(db), port: 6379, denied: networkingv1.PolicyTypeIngress},

		// Ports.
		{name: "named port", policies: []store.Object{policy("default", "named", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"),
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromString("redis"))}}}}})},
			from: p(other), to: p(db), port: 6379, allowed: true},
		{name: "named port the pod does not have", policies: []store.Object{policy("default", "named", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"),
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromString("http"))}}}}})},
			from: p(other), to: p(db), port: 6379, denied: networkingv1.PolicyTypeIngress},
		{name: "endPort range (docs: 32000-32768)", policies: []store.Object{policy("default", "multi-port-egress", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"), PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/24"}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(32000)), EndPort: ptr.To(int32(32768))}}}}})},
			from: p(db), to: ext("10.0.0.1"), port: 32768, allowed: true},
		{name: "endPort range: one past the end", policies: []store.Object{policy("default", "multi-port-egress", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"), PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/24"}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(32000)), EndPort: ptr.To(int32(32768))}}}}})},
			from: p(db), to: ext("10.0.0.1"), port: 32769, denied: networkingv1.PolicyTypeEgress},
		{name: "protocol without port: every port of it", policies: []store.Object{policy("default", "udp", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("role", "db"),
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolUDP)}}}}})},
			from: p(other), to: p(db), port: 9999, proto: corev1.ProtocolUDP, allowed: true},

		// Policies are additive, and isolation is per direction and per pod.
		{name: "union: a second policy allows what the first does not", policies: []store.Object{
			policy("default", "a", networkingv1.NetworkPolicySpec{PodSelector: *sel("role", "db"),
				Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("role", "frontend")}}}}}),
			policy("default", "b", networkingv1.NetworkPolicySpec{PodSelector: *sel("role", "db"),
				Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("role", "other")}}}}})},
			from: p(other), to: p(db), port: 6379, allowed: true},
		{name: "a policy in another namespace does not isolate", policies: []store.Object{policy("prod", "deny", networkingv1.NetworkPolicySpec{})},
			from: p(other), to: p(db), port: 6379, allowed: true},
		{name: "egress allowed but destination isolated", policies: []store.Object{
			policy("default", "egress-ok", networkingv1.NetworkPolicySpec{PodSelector: *sel("role", "frontend"),
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}, Egress: []networkingv1.NetworkPolicyEgressRule{{}}}),
			policy("default", "db-deny", networkingv1.NetworkPolicySpec{PodSelector: *sel("role", "db")})},
			from: p(frontend), to: p(db), port: 6379, denied: networkingv1.PolicyTypeIngress},
		{name: "matchExpressions", policies: []store.Object{policy("default", "expr", networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "role", Operator: metav1.LabelSelectorOpIn, Values: []string{"db", "cache"}}}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "role", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"other"}}}}}}}}})},
			from: p(other), to: p(db), port: 6379, denied: networkingv1.PolicyTypeIngress},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := append(append(fakeState{}, base...), tc.policies...)
			v := network.Check(st, network.Flow{From: tc.from, To: tc.to, Port: tc.port, Protocol: tc.proto})
			require.Equal(t, tc.allowed, v.Allowed, v.Reason())
			if !tc.allowed {
				require.Equal(t, tc.denied, v.Direction)
				require.NotEmpty(t, v.Isolating)
				require.Contains(t, v.Reason(), "is isolated for")
			}
		})
	}
}

func TestReasonNamesTheIsolatingPolicy(t *testing.T) {
	db := pod("default", "db", "100.64.0.10", map[string]string{"role": "db"})
	fe := pod("default", "fe", "100.64.0.11", nil)
	st := fakeState{ns("default", nil), db, fe, policy("default", "deny-db", networkingv1.NetworkPolicySpec{PodSelector: *sel("role", "db")})}
	v := network.Check(st, network.Flow{From: network.PeerOf(fe), To: network.PeerOf(db), Port: 5432})
	require.Equal(t, "pod default/db is isolated for ingress by NetworkPolicy default/deny-db, and no ingress rule allows traffic from pod default/fe on port 5432/TCP", v.Reason())
}
