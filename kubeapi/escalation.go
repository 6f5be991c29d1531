package kubeapi

import (
	"errors"
	"net/http"

	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/rbac"
	"github.com/kubesim/kubesim/sim/store"
)

// admitWrite is what every served create, update and patch passes before
// it is recorded: RBAC's escalation prevention, then validation.
func admitWrite(c *cluster.Cluster, r *http.Request, obj store.Object) error {
	if err := noEscalation(c, userOf(r), obj); err != nil {
		return err
	}
	return precheck(obj)
}

// noEscalation is kube-apiserver's RBAC escalation check: a role's rules,
// or the rules of the role a binding refers to, must all be held by the
// user writing it, unless they may escalate that kind of role (roles) or
// bind that role (bindings). An unchanged rule set or roleRef is not
// checked again.
func noEscalation(c *cluster.Cluster, u rbac.User, obj store.Object) error {
	info, err := store.KindOf(obj)
	if err != nil {
		return nil
	}
	gr := info.GroupResource()
	cur, exists := c.Store.Get(info.Kind, obj.GetNamespace(), obj.GetName())
	allowed := func(verb, resource, name string) bool {
		ok, _ := rbac.Authorize(c.Store, rbac.Attributes{User: u, Verb: verb, ResourceRequest: true,
			APIGroup: rbacv1.GroupName, Resource: resource, Namespace: obj.GetNamespace(), Name: name})
		return ok
	}
	confirm := func(rules []rbacv1.PolicyRule) error {
		if err := rbac.ConfirmNoEscalation(c.Store, u, obj.GetNamespace(), rules); err != nil {
			return apierrors.NewForbidden(gr, obj.GetName(), err)
		}
		return nil
	}
	switch o := obj.(type) {
	case *rbacv1.Role:
		if exists && apiequality.Semantic.DeepEqual(cur.(*rbacv1.Role).Rules, o.Rules) || allowed("escalate", "roles", o.Name) {
			return nil
		}
		return confirm(o.Rules)
	case *rbacv1.ClusterRole:
		if exists && apiequality.Semantic.DeepEqual(cur.(*rbacv1.ClusterRole).Rules, o.Rules) &&
			apiequality.Semantic.DeepEqual(cur.(*rbacv1.ClusterRole).AggregationRule, o.AggregationRule) || allowed("escalate", "clusterroles", o.Name) {
			return nil
		}
		if o.AggregationRule != nil {
			// An aggregated role may come to hold anything.
			if rbac.ConfirmNoEscalation(c.Store, u, "", []rbacv1.PolicyRule{
				{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
				{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}}) != nil {
				return apierrors.NewForbidden(gr, o.Name, errors.New("must have cluster-admin privileges to use the aggregationRule"))
			}
		}
		return confirm(o.Rules)
	case *rbacv1.RoleBinding:
		if exists && cur.(*rbacv1.RoleBinding).RoleRef == o.RoleRef {
			return nil
		}
		return bindingAllowed(c, gr, o.Name, o.Namespace, o.RoleRef, allowed, confirm)
	case *rbacv1.ClusterRoleBinding:
		if exists && cur.(*rbacv1.ClusterRoleBinding).RoleRef == o.RoleRef {
			return nil
		}
		return bindingAllowed(c, gr, o.Name, "", o.RoleRef, allowed, confirm)
	}
	return nil
}

// bindingAllowed: the bind verb on the role, or holding its rules.
func bindingAllowed(c *cluster.Cluster, gr schema.GroupResource, name, namespace string, ref rbacv1.RoleRef,
	allowed func(verb, resource, name string) bool, confirm func([]rbacv1.PolicyRule) error) error {
	var rules []rbacv1.PolicyRule
	switch ref.Kind {
	case "ClusterRole":
		if allowed("bind", "clusterroles", ref.Name) {
			return nil
		}
		o, ok := c.Store.Get("ClusterRole", "", ref.Name)
		if !ok {
			return apierrors.NewForbidden(gr, name, apierrors.NewNotFound(rbacv1.Resource("clusterroles"), ref.Name))
		}
		rules = o.(*rbacv1.ClusterRole).Rules
	case "Role":
		if allowed("bind", "roles", ref.Name) {
			return nil
		}
		o, ok := c.Store.Get("Role", namespace, ref.Name)
		if !ok {
			return apierrors.NewForbidden(gr, name, apierrors.NewNotFound(rbacv1.Resource("roles"), ref.Name))
		}
		rules = o.(*rbacv1.Role).Rules
	default:
		return nil // validation refuses it
	}
	return confirm(rules)
}
