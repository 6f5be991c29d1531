package lab

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func resultNamed(t *testing.T, rs []Result, prefix string) Result {
	t.Helper()
	for _, r := range rs {
		if strings.HasPrefix(r.Name, prefix) {
			return r
		}
	}
	t.Fatalf("no check %q in:\n%s", prefix, report(rs))
	return Result{}
}

func applyStep(manifest string) Step { return Step{Run: "kubectl apply -f -", Stdin: manifest} }

// TestReachChecksJudgePolicies: the networkpolicy lab's reach and dns
// checks judge what a policy does, not how it is written: a policy that
// lets a pod of another namespace in, or one that also isolates the
// database's egress, fails; the lab's solution passes.
func TestReachChecksJudgePolicies(t *testing.T) {
	l, err := LoadLibrary("networkpolicy")
	require.NoError(t, err)
	f := newLabFixture(t, l, Options{Paused: true})
	const other = "a pod labelled app=api in another namespace"
	const egress = "the database's own traffic out"

	rs := f.check(t)
	r := resultNamed(t, rs, "pods app=web in prod cannot reach pods tier=db")
	require.False(t, r.Pass)
	require.Contains(t, r.Found, "1 of 1 connections from 1 pods connect; web-")
	require.True(t, resultNamed(t, rs, "pods app=api in prod can reach").Constraint)

	// Wrong: the namespaceSelector in its own peer lets every namespace's
	// app=api pods in (and, as a separate peer, any pod of any namespace).
	f.runStep(t, applyStep(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-ingress, namespace: prod}
spec:
  podSelector: {matchLabels: {tier: db}}
  ingress:
    - from:
        - namespaceSelector: {}
        - podSelector: {matchLabels: {app: api}}
      ports: [{port: 5432}]
`))
	rs = f.check(t)
	r = resultNamed(t, rs, other)
	require.False(t, r.Pass, report(rs))
	require.Contains(t, r.Found, "debug → pod prod/postgres-")
	require.Contains(t, r.Found, ": connected")
	require.False(t, resultNamed(t, rs, "pods app=web in prod cannot reach").Pass, "namespaceSelector {} admits prod's own pods too")

	// Wrong: isolating the database's egress too breaks its DNS.
	f.runStep(t, applyStep(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-ingress, namespace: prod}
spec:
  podSelector: {matchLabels: {tier: db}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: api}}}]
      ports: [{port: 5432}]
`))
	rs = f.check(t)
	require.True(t, resultNamed(t, rs, other).Pass, report(rs))
	r = resultNamed(t, rs, egress)
	require.False(t, r.Pass, report(rs))
	require.Contains(t, r.Found, "no DNS server answered")
	require.Zero(t, Score(l.Points, rs), "a broken constraint scores nothing")

	for _, s := range l.Solution {
		f.runStep(t, s)
	}
	rs = f.check(t)
	require.True(t, allPass(rs), report(rs))
	r = resultNamed(t, rs, "pods app=web in prod cannot reach")
	require.Contains(t, r.Found, "0 of 1 connections from 1 pods connect")
}

// TestDNSCheckAfterDeletingTheLockdown: in netpol-blocks-dns, deleting the
// default-deny policy makes names resolve, but lets web reach the
// database: the constraint breaks and the lab scores nothing.
func TestDNSCheckAfterDeletingTheLockdown(t *testing.T) {
	l, err := LoadLibrary("netpol-blocks-dns")
	require.NoError(t, err)
	f := newLabFixture(t, l, Options{Paused: true})
	rs := f.check(t)
	r := resultNamed(t, rs, "pods app=web in shop can resolve api")
	require.False(t, r.Pass)
	require.Contains(t, r.Found, "0 of 2 pods resolve api")
	require.Contains(t, r.Found, "no DNS server answered (timed out)")

	f.runStep(t, Step{Run: "kubectl delete networkpolicy default-deny-egress web-to-api -n shop"})
	rs = f.check(t)
	r = resultNamed(t, rs, "pods app=web in shop can resolve api")
	require.True(t, r.Pass, report(rs))
	require.Contains(t, r.Found, "api.shop.svc.cluster.local → 10.100.")
	require.True(t, resultNamed(t, rs, "pods app=web in shop can reach api on 80/TCP").Pass, report(rs))
	r = resultNamed(t, rs, "pods app=web in shop cannot reach pods app=db")
	require.False(t, r.Pass)
	require.Contains(t, r.Found, "connected")
	require.Zero(t, Score(l.Points, rs))
}

func TestParseReachErrors(t *testing.T) {
	cases := []struct{ check, want string }{
		{"reach: {from: {selector: app=a}, to: {selector: app=b}}", `reach check: port must be 1 to 65535, not 0`},
		{"reach: {from: {selector: app=a}, to: {selector: app=b, service: b}, port: 80}", `t.yaml:14:42: reach check: to names exactly one of selector, pod, service or host`},
		{"reach: {from: {namespace: x}, to: {service: b}, port: 80}", `t.yaml:14:19: reach check: from needs a pod or a selector`},
		{"reach: {from: {selector: app=a}, to: {service: b}, port: 80, protocol: TPC}", `t.yaml:14:76: reach check: unknown protocol "TPC"`},
		{"reach: {from: {selector: 'app in ('}, to: {service: b}, port: 80}", `reach check: bad label selector`},
		{"reach: {from: {selector: app=a}, to: {service: b}, port: 80, reachable: maybe}", `reach check: cannot unmarshal`},
		{"dns: {from: {selector: app=a}}", `t.yaml:14:10: dns check: name is required`},
		{"dns: {from: {selector: app=a}, name: 'a b'}", `dns check: "a b" is not a host name`},
		{"dns: {from: {selector: app=a}, nmae: x}", `dns check: unknown field "nmae"`},
	}
	for _, c := range cases {
		t.Run(c.check, func(t *testing.T) {
			requireParseError(t, withCheck(c.check), c.want)
		})
	}
}
