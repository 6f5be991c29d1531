package rbac

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
)

// TestBootstrapClusterRoles: every ClusterRole of upstream's bootstrap
// policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy, its
// testdata/cluster-roles.yaml) is created, and a few rules a learner
// meets are there as upstream writes them — including what is left out
// on purpose: admin and edit do not grant pods/ephemeralcontainers
// (kubectl debug), a permission upstream leaves to an aggregated role.
func TestBootstrapClusterRoles(t *testing.T) {
	roles := map[string]*rbacv1.ClusterRole{}
	for _, o := range BootstrapPolicy() {
		if r, ok := o.(*rbacv1.ClusterRole); ok {
			roles[r.Name] = r
		}
	}
	for _, name := range []string{"admin", "cluster-admin", "edit", "view",
		"system:aggregate-to-admin", "system:aggregate-to-edit", "system:aggregate-to-view",
		"system:auth-delegator", "system:basic-user",
		"system:certificates.k8s.io:certificatesigningrequests:nodeclient",
		"system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
		"system:certificates.k8s.io:kube-apiserver-client-approver",
		"system:certificates.k8s.io:kube-apiserver-client-kubelet-approver",
		"system:certificates.k8s.io:kubelet-serving-approver",
		"system:certificates.k8s.io:legacy-unknown-approver",
		"system:discovery", "system:heapster", "system:kube-aggregator", "system:kube-controller-manager",
		"system:kube-dns", "system:kube-scheduler", "system:kubelet-api-admin", "system:monitoring",
		"system:node", "system:node-bootstrapper", "system:node-problem-detector", "system:node-proxier",
		"system:persistent-volume-provisioner", "system:public-info-viewer",
		"system:service-account-issuer-discovery", "system:volume-scheduler"} {
		require.Contains(t, roles, name)
		require.Equal(t, "rbac-defaults", roles[name].Labels[BootstrapLabel], name)
	}
	grants := func(role, group, resource, verb string) bool {
		return slices.ContainsFunc(roles[role].Rules, func(r rbacv1.PolicyRule) bool {
			return slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb)
		})
	}
	require.True(t, grants("system:persistent-volume-provisioner", "", "persistentvolumes", "create"))
	require.True(t, grants("system:persistent-volume-provisioner", "", "persistentvolumeclaims", "update"))
	require.True(t, grants("system:node-problem-detector", "", "nodes/status", "patch"))
	require.False(t, grants("system:node-problem-detector", "", "nodes", "patch"))
	require.True(t, grants("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "certificates.k8s.io", "certificatesigningrequests/selfnodeclient", "create"))
	require.True(t, grants("system:aggregate-to-edit", "", "pods/exec", "create"))
	require.False(t, grants("system:aggregate-to-edit", "", "pods/ephemeralcontainers", "patch"))
	require.False(t, grants("system:aggregate-to-admin", "", "pods/ephemeralcontainers", "patch"))
}
