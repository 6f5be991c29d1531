package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// The label and annotation kube-apiserver puts on the roles and bindings
// it bootstraps, and the labels the default aggregated roles select.
const (
	BootstrapLabel      = "kubernetes.io/bootstrapping"
	AutoUpdate          = "rbac.authorization.kubernetes.io/autoupdate"
	AggregateToAdmin    = "rbac.authorization.k8s.io/aggregate-to-admin"
	AggregateToEdit     = "rbac.authorization.k8s.io/aggregate-to-edit"
	AggregateToView     = "rbac.authorization.k8s.io/aggregate-to-view"
	kubeAPIServerClient = "kubernetes.io/kube-apiserver-client"
)

// verb sets of the bootstrap policy.
var (
	read      = []string{"get", "list", "watch"}
	write     = []string{"create", "update", "patch", "delete", "deletecollection"}
	readWrite = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	readPatch = []string{"get", "list", "watch", "update", "patch"}
)

// rule is a resource rule: verbs on resources in groups.
func rule(verbs []string, groups []string, resources ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

func urls(verbs []string, paths ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: paths}
}

func named(r rbacv1.PolicyRule, names ...string) rbacv1.PolicyRule {
	r.ResourceNames = names
	return r
}

func g(groups ...string) []string { return groups }
func v(verbs ...string) []string  { return verbs }

var core = g("")

func eventsRule() rbacv1.PolicyRule {
	return rule(v("create", "update", "patch"), g("", "events.k8s.io"), "events")
}

func viewRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(read, core, "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"),
		rule(read, core, "limitranges", "resourcequotas", "bindings", "pods/status", "resourcequotas/status",
			"namespaces/status", "replicationcontrollers/status", "pods/log"),
		rule(read, core, "namespaces"),
		rule(read, g("", "events.k8s.io"), "events"),
		rule(read, g("discovery.k8s.io"), "endpointslices"),
		rule(read, g("apps"), "controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale",
			"daemonsets", "daemonsets/status", "deployments", "deployments/status", "deployments/scale",
			"replicasets", "replicasets/status", "replicasets/scale"),
		rule(read, g("autoscaling"), "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
		rule(read, g("batch"), "jobs", "cronjobs", "cronjobs/status", "jobs/status"),
		rule(read, g("extensions"), "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
			"ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
			"networkpolicies"),
		rule(read, g("policy"), "poddisruptionbudgets", "poddisruptionbudgets/status"),
		rule(read, g("networking.k8s.io"), "networkpolicies", "ingresses", "ingresses/status"),
	}
}

func editRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(read, core, "pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"),
		rule(v("impersonate"), core, "serviceaccounts"),
		rule(write, core, "pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
		rule(v("create"), core, "pods/eviction"),
		rule(write, core, "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/proxy", "persistentvolumeclaims", "configmaps", "secrets"),
		rule(v("create"), core, "serviceaccounts/token"),
		rule(write, g("", "events.k8s.io"), "events"),
		rule(write, g("apps"), "statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
			"deployments/rollback", "replicasets", "replicasets/scale"),
		rule(write, g("autoscaling"), "horizontalpodautoscalers"),
		rule(write, g("batch"), "jobs", "cronjobs"),
		rule(write, g("extensions"), "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses",
			"replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"),
		rule(write, g("policy"), "poddisruptionbudgets"),
		rule(write, g("networking.k8s.io"), "networkpolicies", "ingresses"),
		rule(readWrite, g("coordination.k8s.io"), "leases"),
	}
}

func nodeRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(v("create"), g("authentication.k8s.io"), "tokenreviews"),
		rule(v("create"), g("authorization.k8s.io"), "subjectaccessreviews", "localsubjectaccessreviews"),
		rule(read, core, "services"),
		rule(v("create", "get", "list", "watch"), core, "nodes"),
		rule(v("update", "patch"), core, "nodes/status"),
		rule(v("update", "patch"), core, "nodes"),
		rule(v("create", "update", "patch"), g("", "events.k8s.io"), "events"),
		rule(read, core, "pods"),
		rule(v("create", "delete"), core, "pods"),
		rule(v("update", "patch"), core, "pods/status"),
		rule(v("create"), core, "pods/eviction"),
		rule(read, core, "secrets", "configmaps"),
		rule(v("get"), core, "persistentvolumeclaims", "persistentvolumes"),
		rule(v("get"), core, "endpoints"),
		rule(v("create", "get", "list", "watch"), g("certificates.k8s.io"), "certificatesigningrequests"),
		rule(v("get", "create", "update", "patch", "delete"), g("coordination.k8s.io"), "leases"),
		rule(v("get"), g("storage.k8s.io"), "volumeattachments"),
		rule(v("create"), core, "serviceaccounts/token"),
		rule(v("get", "update", "patch"), core, "persistentvolumeclaims/status"),
		rule(v("get", "watch", "list"), g("storage.k8s.io"), "csidrivers"),
		rule(v("get", "create", "update", "patch", "delete"), g("storage.k8s.io"), "csinodes"),
		rule(v("get", "list", "watch"), g("node.k8s.io"), "runtimeclasses"),
	}
}

func clusterRoles() []*rbacv1.ClusterRole {
	health := []string{"/livez", "/readyz", "/healthz"}
	role := func(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
	}
	aggregated := func(name, selects, label string) *rbacv1.ClusterRole {
		r := role(name)
		if label != "" {
			r.Labels = map[string]string{label: "true"}
		}
		r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{selects: "true"}}}}
		return r
	}
	labelled := func(r *rbacv1.ClusterRole, label string) *rbacv1.ClusterRole {
		r.Labels = map[string]string{label: "true"}
		return r
	}
	approver := func(signer string) *rbacv1.ClusterRole {
		return role("system:certificates.k8s.io:"+signer[len("kubernetes.io/"):]+"-approver",
			named(rule(v("approve"), g("certificates.k8s.io"), "signers"), signer))
	}
	return []*rbacv1.ClusterRole{
		role("cluster-admin", rule(v("*"), g("*"), "*"), urls(v("*"), "*")),
		role("system:discovery", urls(v("get"), append(health[:3:3], "/version", "/version/", "/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*")...)),
		role("system:monitoring", urls(v("get"), "/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*"),
			rule(v("get"), core, "nodes/metrics")),
		role("system:basic-user",
			rule(v("create"), g("authorization.k8s.io"), "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
			rule(v("create"), g("authentication.k8s.io"), "selfsubjectreviews")),
		role("system:public-info-viewer", urls(v("get"), append(health[:3:3], "/version", "/version/")...)),
		aggregated("admin", AggregateToAdmin, ""),
		aggregated("edit", AggregateToEdit, AggregateToAdmin),
		aggregated("view", AggregateToView, AggregateToEdit),
		labelled(role("system:aggregate-to-admin",
			rule(v("create"), g("authorization.k8s.io"), "localsubjectaccessreviews"),
			rule(readWrite, g("rbac.authorization.k8s.io"), "roles", "rolebindings")), AggregateToAdmin),
		labelled(role("system:aggregate-to-edit", editRules()...), AggregateToEdit),
		labelled(role("system:aggregate-to-view", viewRules()...), AggregateToView),
		role("system:node", nodeRules()...),
		role("system:node-bootstrapper", rule(v("create", "get", "list", "watch"), g("certificates.k8s.io"), "certificatesigningrequests")),
		role("system:node-problem-detector",
			rule(v("get"), core, "nodes"),
			rule(v("patch"), core, "nodes/status"),
			eventsRule()),
		role("system:heapster",
			rule(read, core, "events", "pods", "nodes", "namespaces"),
			rule(read, g("extensions"), "deployments")),
		role("system:kube-aggregator", rule(read, core, "services", "endpoints")),
		role("system:persistent-volume-provisioner",
			rule(v("get", "list", "watch", "create", "delete"), core, "persistentvolumes"),
			rule(v("get", "list", "watch", "update"), core, "persistentvolumeclaims"),
			rule(read, g("storage.k8s.io"), "storageclasses"),
			rule(v("watch"), core, "events"),
			eventsRule()),
		role("system:certificates.k8s.io:certificatesigningrequests:nodeclient",
			rule(v("create"), g("certificates.k8s.io"), "certificatesigningrequests/nodeclient")),
		role("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
			rule(v("create"), g("certificates.k8s.io"), "certificatesigningrequests/selfnodeclient")),
		role("system:auth-delegator",
			rule(v("create"), g("authentication.k8s.io"), "tokenreviews"),
			rule(v("create"), g("authorization.k8s.io"), "subjectaccessreviews")),
		role("system:kube-controller-manager",
			eventsRule(),
			rule(v("create"), g("coordination.k8s.io"), "leases"),
			named(rule(v("get", "update"), g("coordination.k8s.io"), "leases"), "kube-controller-manager"),
			rule(v("create"), core, "secrets", "serviceaccounts"),
			rule(v("delete"), core, "secrets"),
			rule(v("get"), core, "namespaces", "secrets", "serviceaccounts", "configmaps"),
			rule(v("update"), core, "secrets", "serviceaccounts"),
			rule(v("create"), g("authentication.k8s.io"), "tokenreviews"),
			rule(v("create"), g("authorization.k8s.io"), "subjectaccessreviews"),
			rule(v("list", "watch"), g("*"), "*"),
			rule(v("create"), core, "serviceaccounts/token")),
		role("system:kube-dns", rule(v("list", "watch"), core, "endpoints", "services")),
		role("system:kube-scheduler",
			eventsRule(),
			rule(v("create"), g("coordination.k8s.io"), "leases"),
			named(rule(v("get", "update", "list", "watch"), g("coordination.k8s.io"), "leases"), "kube-scheduler"),
			rule(read, core, "nodes"),
			rule(v("get", "list", "watch", "delete"), core, "pods"),
			rule(v("create"), core, "pods/binding", "bindings"),
			rule(v("patch", "update"), core, "pods/status"),
			rule(read, core, "services", "replicationcontrollers"),
			rule(read, g("apps", "extensions"), "replicasets"),
			rule(read, g("apps"), "statefulsets"),
			rule(read, g("policy"), "poddisruptionbudgets"),
			rule(read, core, "persistentvolumeclaims", "persistentvolumes"),
			rule(v("create"), g("authentication.k8s.io"), "tokenreviews"),
			rule(v("create"), g("authorization.k8s.io"), "subjectaccessreviews"),
			rule(read, g("storage.k8s.io"), "csinodes", "csidrivers", "csistoragecapacities"),
			rule(read, core, "namespaces")),
		role("system:volume-scheduler",
			rule(readPatch, core, "persistentvolumes"),
			rule(read, g("storage.k8s.io"), "storageclasses"),
			rule(readPatch, core, "persistentvolumeclaims")),
		role("system:node-proxier",
			rule(v("list", "watch"), core, "services", "endpoints"),
			rule(v("get", "list", "watch"), core, "nodes"),
			eventsRule(),
			rule(v("list", "watch"), g("discovery.k8s.io"), "endpointslices")),
		role("system:kubelet-api-admin",
			rule(v("get", "list", "watch"), core, "nodes"),
			rule(v("proxy"), core, "nodes"),
			rule(v("*"), core, "nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log")),
		approver("kubernetes.io/legacy-unknown"),
		approver("kubernetes.io/kubelet-serving"),
		approver(kubeAPIServerClient),
		approver("kubernetes.io/kube-apiserver-client-kubelet"),
		role("system:service-account-issuer-discovery", urls(v("get"),
			"/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/")),
	}
}

func clusterRoleBindings() []*rbacv1.ClusterRoleBinding {
	bind := func(role string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
		return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: subjects}
	}
	group := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
	}
	user := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
	}
	return []*rbacv1.ClusterRoleBinding{
		bind("cluster-admin", group(SystemMasters)),
		bind("system:monitoring", group("system:monitoring")),
		bind("system:discovery", group(AllAuthenticated)),
		bind("system:basic-user", group(AllAuthenticated)),
		bind("system:public-info-viewer", group(AllAuthenticated), group(AllUnauthenticated)),
		bind("system:node-proxier", user("system:kube-proxy")),
		bind("system:kube-controller-manager", user("system:kube-controller-manager")),
		bind("system:kube-dns", rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "kube-dns", Namespace: "kube-system"}),
		bind("system:kube-scheduler", user("system:kube-scheduler")),
		bind("system:volume-scheduler", user("system:kube-scheduler")),
		bind("system:node"),
		bind("system:service-account-issuer-discovery", group(AllServiceAccountsGroup)),
	}
}

// BootstrapPolicy is the RBAC policy kube-apiserver creates in a new
// cluster: the default ClusterRoles (cluster-admin, admin, edit, view —
// the last three aggregated from the system:aggregate-to-* roles by the
// ClusterRole aggregation controller — and the system: roles of the
// components, the system:controller: roles of kube-controller-manager's
// controllers) and their ClusterRoleBindings, labelled
// kubernetes.io/bootstrapping=rbac-defaults.
func BootstrapPolicy() []store.Object {
	var out []store.Object
	mark := func(m *metav1.ObjectMeta) {
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		m.Labels[BootstrapLabel] = "rbac-defaults"
		m.Annotations = map[string]string{AutoUpdate: "true"}
	}
	for _, r := range append(clusterRoles(), controllerRoles()...) {
		mark(&r.ObjectMeta)
		out = append(out, r)
	}
	for _, b := range append(clusterRoleBindings(), controllerRoleBindings()...) {
		mark(&b.ObjectMeta)
		out = append(out, b)
	}
	return out
}
