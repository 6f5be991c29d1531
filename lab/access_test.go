package lab

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAccessCheck: the access check asks the API server's RBAC through a
// SubjectAccessReview. Untouched, jane can do nothing in dev; after the
// lab's Role and RoleBinding she can, and the reason names the binding;
// granting too much (cluster-admin) breaks the lab's constraints and
// scores nothing, though every "can" check passes.
func TestAccessCheck(t *testing.T) {
	l, err := LoadLibrary("rbac-developer")
	require.NoError(t, err)
	f := newLabFixture(t, l, Options{Paused: true})
	byName := func(rs []Result, name string) Result {
		for _, r := range rs {
			if r.Name == name {
				return r
			}
		}
		t.Fatalf("no check %q in:\n%s", name, report(rs))
		return Result{}
	}
	canDelete := "user jane can delete deployments.apps in dev"
	noSecrets := "user jane cannot get secrets in dev"

	rs := f.check(t)
	r := byName(rs, canDelete)
	require.False(t, r.Pass, report(rs))
	require.Equal(t, "no (no Role or ClusterRole bound to the subject grants it)", r.Found)
	require.Equal(t, "kubectl auth can-i delete deployments.apps -n dev --as=jane: yes", r.Expected)
	r = byName(rs, noSecrets)
	require.True(t, r.Pass && r.Constraint, report(rs))

	// Too much: every "can" passes, the "cannot"s break.
	f.runStep(t, Step{Run: "kubectl create clusterrolebinding jane-admin --clusterrole=cluster-admin --user=jane"})
	rs = f.check(t)
	require.True(t, byName(rs, canDelete).Pass, report(rs))
	r = byName(rs, noSecrets)
	require.False(t, r.Pass)
	require.Contains(t, r.Found, `yes (RBAC: allowed by ClusterRoleBinding "jane-admin" of ClusterRole "cluster-admin" to User "jane"`)
	require.Zero(t, Score(l.Points, rs), "a constraint is broken")

	f.runStep(t, Step{Run: "kubectl delete clusterrolebinding jane-admin"})
	for _, s := range l.Solution {
		f.runStep(t, s)
	}
	rs = f.check(t)
	require.True(t, allPass(rs), report(rs))
	require.Contains(t, byName(rs, canDelete).Found, `RoleBinding "jane-developer/dev" of Role "developer" to User "jane"`)
	require.Equal(t, float64(l.Points), Score(l.Points, rs))
}

// TestAccessCheckServiceAccount: a ServiceAccount is checked with its
// token's identity, so a binding to the group system:serviceaccounts:ci
// counts, as it would for the bot's own requests.
func TestAccessCheckServiceAccount(t *testing.T) {
	l, err := LoadLibrary("role-missing-verb")
	require.NoError(t, err)
	f := newLabFixture(t, l, Options{Paused: true})
	rs := f.check(t)
	require.False(t, rs[0].Pass, report(rs))
	require.Equal(t, "ServiceAccount ci/deployer can patch deployments.apps in ci", rs[0].Name)
	require.Equal(t, "kubectl auth can-i patch deployments.apps -n ci --as=system:serviceaccount:ci:deployer: yes", rs[0].Expected)
	f.runStep(t, Step{Run: "kubectl create role patcher -n ci --verb=patch --resource=deployments"})
	f.runStep(t, Step{Run: "kubectl create rolebinding patcher -n ci --role=patcher --group=system:serviceaccounts:ci"})
	rs = f.check(t)
	require.True(t, allPass(rs), report(rs))
	require.True(t, strings.HasPrefix(rs[0].Found, `yes (RBAC: allowed by RoleBinding "patcher/ci"`), rs[0].Found)
}

func TestParseAccessErrors(t *testing.T) {
	cases := []struct{ check, want string }{
		{"{user: jane, verb: get, resource: gateways}", `t.yaml:14:47: access check: resource "gateways" is not served by the API`},
		{"{user: jane, verb: gte, resource: pods}", `t.yaml:14:32: access check: unknown verb "gte"`},
		{"{verb: get, resource: pods}", `t.yaml:14:13: access check: say who`},
		{"{serviceAccount: deployer, verb: get, resource: pods}", `t.yaml:14:30: access check: serviceAccount "deployer" is not NAMESPACE/NAME`},
		{"{user: jane, verb: list, resource: nodes, namespace: dev}", `t.yaml:14:66: access check: nodes are cluster-scoped`},
		{"{user: jane, verb: get, resource: pods/lgo}", `t.yaml:14:47: access check: pods has no subresource "lgo"`},
		{"{user: jane, groups: [system:masters], verb: get, resource: pods}", `access check: the group system:masters cannot be checked`},
		{"{user: jane, verb: get, resource: pods, allowed: maybe}", `access check: cannot unmarshal`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			requireParseError(t, withCheck("access: "+c.check), c.want)
		})
	}
	l, err := Parse("t.yaml", []byte(withCheck("access: {user: jane, verb: get, resource: deploy/scale, namespace: x}")), nil)
	require.NoError(t, err)
	require.Equal(t, "user jane can get deployments.apps/scale in x", l.Checks[0].Name)
}

// TestAccessChecksAgreeWithKubectl: for every access check of the RBAC
// labs, before and after the solution, the real `kubectl auth can-i` the
// check prints as its expectation answers what the check found.
func TestAccessChecksAgreeWithKubectl(t *testing.T) {
	bin := kubectlPath()
	if bin == "" {
		t.Skip("kubectl is not installed")
	}
	for _, name := range []string{"role-missing-verb", "rbac-developer"} {
		t.Run(name, func(t *testing.T) {
			l, err := LoadLibrary(name)
			require.NoError(t, err)
			f := newLabFixture(t, l, Options{Paused: true})
			agree := func(when string) {
				n := 0
				for _, r := range f.check(t) {
					line, want, ok := strings.Cut(r.Expected, ": ")
					if !ok || !strings.HasPrefix(line, "kubectl auth can-i ") {
						continue
					}
					n++
					args := strings.Fields(strings.TrimPrefix(line, "kubectl "))
					cmd := exec.Command(bin, args...)
					cmd.Env = append(os.Environ(), "KUBECONFIG="+f.kubeconfig, "HOME="+f.home)
					var out bytes.Buffer
					cmd.Stdout = &out
					_ = cmd.Run() // can-i exits 1 for "no"; the answer is on stdout
					got := strings.TrimSpace(out.String())
					found := strings.SplitN(r.Found, " ", 2)[0]
					require.Equal(t, found, got, "%s %s: the check found %q, kubectl says %q", when, line, r.Found, got)
					require.Equal(t, r.Pass, got == want, "%s %s", when, line)
				}
				require.Positive(t, n)
			}
			agree("untouched:")
			for _, s := range l.Solution {
				f.runStep(t, s)
			}
			agree("solved:")
		})
	}
}
