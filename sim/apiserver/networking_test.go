package apiserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func netpol(t *testing.T, src string) *networkingv1.NetworkPolicy {
	t.Helper()
	np := &networkingv1.NetworkPolicy{}
	require.NoError(t, yaml.UnmarshalStrict([]byte(src), np))
	return np
}

// TestNetworkPolicyValidation: malformed CIDRs, excepts outside the
// cidr, a peer with ipBlock and a selector, a peer with nothing, bad
// ports and policy types are refused with upstream's messages; nothing
// is stored.
func TestNetworkPolicyValidation(t *testing.T) {
	f := newFixture(t, 1)
	tests := []struct{ name, spec, want string }{
		{"bad-cidr", `{ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}`,
			`spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`},
		{"bad-except", `{egress: [{to: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}}]}]}`,
			"spec.egress[0].to[0].ipBlock.except[0]: Invalid value: \"10.1.0.0/24\": must be a strict subset of `cidr`"},
		{"both", `{ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16}, podSelector: {}}]}]}`,
			`spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer`},
		{"empty-peer", `{ingress: [{from: [{}]}]}`, `spec.ingress[0].from[0]: Required value: must specify a peer`},
		{"bad-port", `{ingress: [{ports: [{port: 70000}]}]}`,
			`spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive`},
		{"bad-type", `{policyTypes: [Sideways]}`, `spec.policyTypes[0]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			np := netpol(t, `{metadata: {name: `+tc.name+`, namespace: default}, spec: `+tc.spec+`}`)
			_, err := f.Admin.Create(np)
			require.True(t, apierrors.IsInvalid(err), "%v", err)
			require.ErrorContains(t, err, tc.want)
			_, err = f.Admin.Get("NetworkPolicy", "default", tc.name)
			require.True(t, apierrors.IsNotFound(err))
		})
	}
	ok := netpol(t, `{metadata: {name: ok, namespace: default}, spec: {podSelector: {matchLabels: {app: db}},
		ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.1.0/24]}}, {namespaceSelector: {}, podSelector: {matchLabels: {app: api}}}],
		ports: [{port: 5432}, {port: 8000, endPort: 8080}]}]}}`)
	out := f.create(ok)
	require.Equal(t, int64(1), out.(metav1.Object).GetGeneration())
}

// TestNetworkPolicyDefaults: networking/v1 defaulting — policyTypes
// Ingress when none are given, Ingress and Egress when egress rules
// exist, given types kept; every port's protocol TCP.
func TestNetworkPolicyDefaults(t *testing.T) {
	f := newFixture(t, 1)
	tests := []struct {
		name, spec string
		want       []networkingv1.PolicyType
	}{
		{"deny-all", `{podSelector: {}}`, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
		{"with-egress", `{podSelector: {}, egress: [{ports: [{port: 53, protocol: UDP}, {port: 53}]}]}`,
			[]networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}},
		{"egress-only", `{podSelector: {}, policyTypes: [Egress]}`, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := f.create(netpol(t, `{metadata: {name: `+tc.name+`, namespace: default}, spec: `+tc.spec+`}`)).(*networkingv1.NetworkPolicy)
			require.Equal(t, tc.want, out.Spec.PolicyTypes)
			for _, r := range out.Spec.Egress {
				for _, p := range r.Ports {
					require.NotNil(t, p.Protocol)
				}
			}
		})
	}
	out := f.create(netpol(t, `{metadata: {name: ports, namespace: default}, spec: {ingress: [{ports: [{port: 80}, {port: 53, protocol: UDP}]}]}}`)).(*networkingv1.NetworkPolicy)
	require.Equal(t, "TCP", string(*out.Spec.Ingress[0].Ports[0].Protocol))
	require.Equal(t, "UDP", string(*out.Spec.Ingress[0].Ports[1].Protocol))
}
