package rbac

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// TestControllerRoles: every system:controller: role of upstream's
// controller policy is bootstrapped (labelled as the API server labels
// them) and bound to its controller's ServiceAccount in kube-system, and
// the rules grant a controller what it does and no more.
func TestControllerRoles(t *testing.T) {
	st := store.New(sim.NewEngine(1))
	roles := map[string]bool{}
	for _, o := range BootstrapPolicy() {
		_, err := st.Create(o)
		require.NoError(t, err)
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			roles[o.Name] = true
		case *rbacv1.ClusterRoleBinding:
			sa, ok := strings.CutPrefix(o.Name, ControllerRolePrefix)
			if !ok {
				continue
			}
			require.Equal(t, o.Name, o.RoleRef.Name)
			require.Equal(t, "rbac-defaults", o.Labels[BootstrapLabel])
			require.Equal(t, []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: "kube-system"}}, o.Subjects)
		}
	}
	for _, name := range []string{"attachdetach-controller", "certificate-controller", "clusterrole-aggregation-controller",
		"cronjob-controller", "daemon-set-controller", "deployment-controller", "device-taint-eviction-controller",
		"disruption-controller", "endpoint-controller", "endpointslice-controller", "endpointslicemirroring-controller",
		"ephemeral-volume-controller", "expand-controller", "generic-garbage-collector", "horizontal-pod-autoscaler",
		"job-controller", "legacy-service-account-token-cleaner", "namespace-controller", "node-controller",
		"persistent-volume-binder", "pod-garbage-collector", "pv-protection-controller", "pvc-protection-controller",
		"replicaset-controller", "replication-controller", "resource-claim-controller", "resourcequota-controller",
		"root-ca-cert-publisher", "route-controller", "selinux-warning-controller", "service-account-controller",
		"service-cidrs-controller", "service-controller", "statefulset-controller", "ttl-after-finished-controller",
		"ttl-controller", "validatingadmissionpolicy-status-controller", "volumeattributesclass-protection-controller"} {
		require.True(t, roles[ControllerRolePrefix+name], name)
	}

	can := func(sa, verb, group, resource, sub string) bool {
		ok, _ := Authorize(st, Attributes{User: ServiceAccountUser("kube-system", sa, "uid"), Verb: verb, ResourceRequest: true,
			Namespace: "default", APIGroup: group, Resource: resource, Subresource: sub})
		return ok
	}
	require.True(t, can("replicaset-controller", "create", "", "pods", ""))
	require.True(t, can("replicaset-controller", "update", "apps", "replicasets", "status"))
	require.False(t, can("replicaset-controller", "create", "", "secrets", ""))
	require.False(t, can("replicaset-controller", "update", "", "pods", ""), "the ReplicaSet controller patches pods, never updates them")
	require.True(t, can("deployment-controller", "update", "", "pods", ""))
	require.True(t, can("horizontal-pod-autoscaler", "update", "apps", "deployments", "scale"))
	require.True(t, can("node-controller", "delete", "", "pods", ""))
	require.True(t, can("persistent-volume-binder", "update", "", "persistentvolumeclaims", "status"))
	require.True(t, can("generic-garbage-collector", "delete", "batch", "jobs", ""))
	require.False(t, can("generic-garbage-collector", "create", "batch", "jobs", ""))
	require.False(t, can("job-controller", "create", "", "pods", "eviction"))
}
