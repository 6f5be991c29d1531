package rbac

import (
	"testing"

	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
)

func prule(groups, resources, verbs []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs, ResourceNames: names}
}

func TestCovers(t *testing.T) {
	core, apps := []string{""}, []string{"apps"}
	for _, tc := range []struct {
		name      string
		owner     []rbacv1.PolicyRule
		requested []rbacv1.PolicyRule
		missing   []string
	}{
		{"exact", []rbacv1.PolicyRule{prule(core, []string{"pods"}, []string{"get", "list"})},
			[]rbacv1.PolicyRule{prule(core, []string{"pods"}, []string{"list"})}, nil},
		{"split across rules", []rbacv1.PolicyRule{prule(core, []string{"pods"}, []string{"get"}), prule(core, []string{"pods"}, []string{"list"})},
			[]rbacv1.PolicyRule{prule(core, []string{"pods"}, []string{"get", "list"})}, nil},
		{"stars cover", []rbacv1.PolicyRule{prule([]string{"*"}, []string{"*"}, []string{"*"})},
			[]rbacv1.PolicyRule{prule(apps, []string{"deployments/scale"}, []string{"update"}, "web")}, nil},
		{"a star verb is only covered by a star", []rbacv1.PolicyRule{prule(core, []string{"pods"}, []string{"get", "list", "delete"})},
			[]rbacv1.PolicyRule{prule(core, []string{"pods"}, []string{"*"})}, []string{`{APIGroups:[""], Resources:["pods"], Verbs:["*"]}`}},
		{"*/subresource", []rbacv1.PolicyRule{prule(apps, []string{"*/scale"}, []string{"update"})},
			[]rbacv1.PolicyRule{prule(apps, []string{"deployments/scale", "deployments"}, []string{"update"})},
			[]string{`{APIGroups:["apps"], Resources:["deployments"], Verbs:["update"]}`}},
		{"names narrow", []rbacv1.PolicyRule{prule(core, []string{"configmaps"}, []string{"get"}, "a")},
			[]rbacv1.PolicyRule{prule(core, []string{"configmaps"}, []string{"get"}, "a", "b")},
			[]string{`{APIGroups:[""], Resources:["configmaps"], ResourceNames:["b"], Verbs:["get"]}`}},
		{"verbs compacted per resource", nil,
			[]rbacv1.PolicyRule{prule(core, []string{"pods", "secrets"}, []string{"get", "watch"})},
			[]string{`{APIGroups:[""], Resources:["pods"], Verbs:["get" "watch"]}`, `{APIGroups:[""], Resources:["secrets"], Verbs:["get" "watch"]}`}},
		{"non-resource prefix", []rbacv1.PolicyRule{{NonResourceURLs: []string{"/healthz/*"}, Verbs: []string{"get"}}},
			[]rbacv1.PolicyRule{{NonResourceURLs: []string{"/healthz/etcd", "/metrics"}, Verbs: []string{"get"}}},
			[]string{`{NonResourceURLs:["/metrics"], Verbs:["get"]}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, missing := Covers(tc.owner, tc.requested)
			require.Equal(t, len(tc.missing) == 0, ok)
			var got []string
			for _, r := range compactRules(missing) {
				got = append(got, CompactString(r))
			}
			require.Equal(t, tc.missing, got)
		})
	}
}
