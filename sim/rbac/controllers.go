package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ControllerRolePrefix names the roles of kube-controller-manager's
// controllers; each is bound to the controller's ServiceAccount in
// kube-system (its name without the prefix), whose credentials the
// controller uses (--use-service-account-credentials, as on EKS).
const ControllerRolePrefix = "system:controller:"

// verb sets of the controller roles (upstream sorts them).
var (
	cdglpuw = v("create", "delete", "get", "list", "patch", "update", "watch")
	cdlpw   = v("create", "delete", "list", "patch", "watch")
	dglw    = v("delete", "get", "list", "watch")
	glpuw   = v("get", "list", "patch", "update", "watch")
	gluw    = v("get", "list", "update", "watch")
	lw      = v("list", "watch")
	pu      = v("patch", "update")
	upd     = v("update")
)

// controllerRoles are the ClusterRoles of upstream's controller policy
// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/controller_policy.go,
// its testdata/controller-roles.yaml), rule for rule.
func controllerRoles() []*rbacv1.ClusterRole {
	role := func(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + name}, Rules: rules}
	}
	ev := eventsRule()
	ev.Verbs = v("create", "patch", "update")
	apps := g("apps", "extensions")
	storage, dra, batch := g("storage.k8s.io"), g("resource.k8s.io"), g("batch")
	return []*rbacv1.ClusterRole{
		role("attachdetach-controller",
			rule(lw, core, "persistentvolumeclaims", "persistentvolumes"),
			rule(read, core, "nodes"),
			rule(pu, core, "nodes/status"),
			rule(lw, core, "pods"),
			ev,
			rule(v("create", "delete", "get", "list", "watch"), storage, "volumeattachments"),
			rule(read, storage, "csidrivers"),
			rule(read, storage, "csinodes")),
		role("certificate-controller",
			rule(v("delete", "get", "list", "watch"), g("certificates.k8s.io"), "certificatesigningrequests"),
			rule(upd, g("certificates.k8s.io"), "certificatesigningrequests/approval", "certificatesigningrequests/status"),
			named(rule(v("approve"), g("certificates.k8s.io"), "signers"), "kubernetes.io/kube-apiserver-client-kubelet"),
			named(rule(v("sign"), g("certificates.k8s.io"), "signers"), kubeAPIServerClient, "kubernetes.io/kube-apiserver-client-kubelet",
				"kubernetes.io/kubelet-serving", "kubernetes.io/legacy-unknown"),
			rule(v("create"), g("authorization.k8s.io"), "subjectaccessreviews"),
			ev),
		role("clusterrole-aggregation-controller",
			rule(v("escalate", "get", "list", "patch", "update", "watch"), g("rbac.authorization.k8s.io"), "clusterroles")),
		role("cronjob-controller",
			rule(gluw, batch, "cronjobs"),
			rule(cdglpuw, batch, "jobs"),
			rule(upd, batch, "cronjobs/status"),
			rule(upd, batch, "cronjobs/finalizers"),
			rule(v("delete", "list", "watch"), core, "pods"),
			ev),
		role("daemon-set-controller",
			rule(read, apps, "daemonsets"),
			rule(upd, apps, "daemonsets/status"),
			rule(upd, apps, "daemonsets/finalizers"),
			rule(lw, core, "nodes"),
			rule(cdlpw, core, "pods"),
			rule(v("create"), core, "pods/binding"),
			rule(cdglpuw, g("apps"), "controllerrevisions"),
			ev),
		role("deployment-controller",
			rule(gluw, apps, "deployments"),
			rule(upd, apps, "deployments/status"),
			rule(upd, apps, "deployments/finalizers"),
			rule(cdglpuw, apps, "replicasets"),
			rule(gluw, core, "pods"),
			ev),
		role("device-taint-eviction-controller",
			rule(dglw, core, "pods"),
			rule(pu, core, "pods/status"),
			rule(read, dra, "resourceclaims"),
			rule(read, dra, "resourceslices"),
			rule(read, dra, "deviceclasses"),
			ev),
		role("disruption-controller",
			rule(read, apps, "deployments"),
			rule(read, apps, "replicasets"),
			rule(read, core, "replicationcontrollers"),
			rule(read, g("policy"), "poddisruptionbudgets"),
			rule(read, g("apps"), "statefulsets"),
			rule(upd, g("policy"), "poddisruptionbudgets/status"),
			rule(pu, core, "pods/status"),
			rule(v("get"), g("*"), "*/scale"),
			ev),
		role("endpoint-controller",
			rule(read, core, "pods", "services"),
			rule(v("create", "delete", "get", "list", "update", "watch"), core, "endpoints"),
			rule(v("create"), core, "endpoints/restricted"),
			ev),
		role("endpointslice-controller",
			rule(read, core, "nodes", "pods", "services"),
			rule(upd, core, "services/finalizers"),
			rule(v("create", "delete", "get", "list", "update", "watch"), g("discovery.k8s.io"), "endpointslices"),
			ev),
		role("endpointslicemirroring-controller",
			rule(read, core, "endpoints", "services"),
			rule(upd, core, "services/finalizers"),
			rule(upd, core, "endpoints/finalizers"),
			rule(v("create", "delete", "get", "list", "update", "watch"), g("discovery.k8s.io"), "endpointslices"),
			ev),
		role("ephemeral-volume-controller",
			rule(read, core, "pods"),
			rule(upd, core, "pods/finalizers"),
			rule(v("create", "get", "list", "watch"), core, "persistentvolumeclaims"),
			ev),
		role("expand-controller",
			rule(glpuw, core, "persistentvolumes"),
			rule(pu, core, "persistentvolumeclaims/status"),
			rule(read, core, "persistentvolumeclaims"),
			ev),
		role("generic-garbage-collector",
			rule(v("delete", "get", "list", "patch", "update", "watch"), g("*"), "*"),
			ev),
		role("horizontal-pod-autoscaler",
			rule(read, g("autoscaling"), "horizontalpodautoscalers"),
			rule(upd, g("autoscaling"), "horizontalpodautoscalers/status"),
			rule(v("get", "update"), g("*"), "*/scale"),
			rule(lw, core, "pods"),
			rule(lw, g("metrics.k8s.io"), "pods"),
			rule(read, g("custom.metrics.k8s.io"), "*"),
			rule(read, g("external.metrics.k8s.io"), "*"),
			ev),
		role("job-controller",
			rule(glpuw, batch, "jobs"),
			rule(upd, batch, "jobs/status"),
			rule(upd, batch, "jobs/finalizers"),
			rule(cdlpw, core, "pods"),
			ev),
		role("legacy-service-account-token-cleaner",
			named(rule(v("get"), core, "configmaps"), "kube-apiserver-legacy-service-account-token-tracking"),
			rule(v("delete", "patch"), core, "secrets")),
		role("namespace-controller",
			rule(dglw, core, "namespaces"),
			rule(upd, core, "namespaces/finalize", "namespaces/status"),
			rule(v("delete", "deletecollection", "get", "list", "watch"), g("*"), "*")),
		role("node-controller",
			rule(v("delete", "get", "list", "patch", "update", "watch"), core, "nodes"),
			rule(pu, core, "nodes/status"),
			rule(pu, core, "pods/status"),
			rule(dglw, core, "pods"),
			ev),
		role("persistent-volume-binder",
			rule(v("create", "delete", "get", "list", "update", "watch"), core, "persistentvolumes"),
			rule(upd, core, "persistentvolumes/status"),
			rule(gluw, core, "persistentvolumeclaims"),
			rule(upd, core, "persistentvolumeclaims/status"),
			rule(v("create", "delete", "get", "list", "watch"), core, "pods"),
			rule(read, storage, "storageclasses"),
			rule(lw, core, "nodes"),
			ev,
			rule(v("watch"), core, "events")),
		role("pod-garbage-collector",
			rule(v("delete", "list", "watch"), core, "pods"),
			rule(read, core, "nodes"),
			rule(v("patch"), core, "pods/status")),
		role("pv-protection-controller",
			rule(gluw, core, "persistentvolumes"),
			ev),
		role("pvc-protection-controller",
			rule(gluw, core, "persistentvolumeclaims"),
			rule(upd, core, "persistentvolumeclaims/status"),
			rule(read, core, "pods"),
			ev),
		role("replicaset-controller",
			rule(gluw, apps, "replicasets"),
			rule(upd, apps, "replicasets/status"),
			rule(upd, apps, "replicasets/finalizers"),
			rule(cdlpw, core, "pods"),
			ev),
		role("replication-controller",
			rule(gluw, core, "replicationcontrollers"),
			rule(upd, core, "replicationcontrollers/status"),
			rule(upd, core, "replicationcontrollers/finalizers"),
			rule(cdlpw, core, "pods"),
			ev),
		role("resource-claim-controller",
			rule(read, core, "pods"),
			rule(upd, core, "pods/finalizers"),
			rule(v("create", "delete", "get", "list", "watch"), dra, "resourceclaims"),
			rule(pu, dra, "resourceclaims", "resourceclaims/status"),
			rule(pu, core, "pods/status"),
			ev,
			rule(pu, dra, "resourceclaims/binding")),
		role("resourcequota-controller",
			rule(lw, g("*"), "*"),
			rule(upd, core, "resourcequotas/status"),
			ev),
		role("root-ca-cert-publisher",
			rule(v("create", "update"), core, "configmaps"),
			ev),
		role("route-controller",
			rule(lw, core, "nodes"),
			rule(v("patch"), core, "nodes/status"),
			ev),
		role("selinux-warning-controller",
			ev,
			rule(read, core, "persistentvolumes"),
			rule(read, core, "persistentvolumeclaims"),
			rule(read, core, "pods"),
			rule(read, storage, "csidrivers")),
		role("service-account-controller",
			rule(v("create"), core, "serviceaccounts"),
			ev),
		role("service-cidrs-controller",
			rule(glpuw, g("networking.k8s.io"), "servicecidrs"),
			rule(pu, g("networking.k8s.io"), "servicecidrs/finalizers"),
			rule(pu, g("networking.k8s.io"), "servicecidrs/status"),
			rule(read, g("networking.k8s.io"), "ipaddresses"),
			ev),
		role("service-controller",
			rule(read, core, "services"),
			rule(pu, core, "services/status"),
			rule(lw, core, "nodes"),
			ev),
		role("statefulset-controller",
			rule(lw, core, "pods"),
			rule(read, g("apps"), "statefulsets"),
			rule(upd, g("apps"), "statefulsets/status"),
			rule(upd, g("apps"), "statefulsets/finalizers"),
			rule(v("create", "delete", "get", "patch", "update"), core, "pods"),
			rule(cdglpuw, g("apps"), "controllerrevisions"),
			rule(v("create", "get", "list", "watch"), core, "persistentvolumeclaims"),
			rule(v("delete", "update"), core, "persistentvolumeclaims"),
			rule(upd, core, "pods/finalizers"),
			ev),
		role("ttl-after-finished-controller",
			rule(dglw, batch, "jobs"),
			ev),
		role("ttl-controller",
			rule(v("list", "patch", "update", "watch"), core, "nodes"),
			ev),
		role("validatingadmissionpolicy-status-controller",
			rule(read, g("admissionregistration.k8s.io"), "validatingadmissionpolicies"),
			rule(v("get", "patch", "update"), g("admissionregistration.k8s.io"), "validatingadmissionpolicies/status"),
			ev),
		role("volumeattributesclass-protection-controller",
			rule(read, core, "persistentvolumeclaims"),
			rule(read, core, "persistentvolumes"),
			rule(gluw, storage, "volumeattributesclasses"),
			ev),
	}
}

// ControllerServiceAccounts names the ServiceAccounts in kube-system that
// the controller roles are bound to, one per controller, in the roles'
// order: kube-controller-manager creates each before it builds that
// controller's client (its client builder's getOrCreateServiceAccount).
func ControllerServiceAccounts() []string {
	var out []string
	for _, b := range controllerRoleBindings() {
		out = append(out, b.Subjects[0].Name)
	}
	return out
}

// controllerRoleBindings bind each controller role to the controller's
// ServiceAccount in kube-system.
func controllerRoleBindings() []*rbacv1.ClusterRoleBinding {
	var out []*rbacv1.ClusterRoleBinding
	for _, r := range controllerRoles() {
		out = append(out, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: r.Name},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: r.Name},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: r.Name[len(ControllerRolePrefix):], Namespace: "kube-system"}}})
	}
	return out
}
