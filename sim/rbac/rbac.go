// Package rbac is kube-apiserver's RBAC authorizer over the simulated
// store: who a request is (User), what it asks (Attributes), and whether a
// ClusterRoleBinding or a RoleBinding in the request's namespace grants it
// through the rules of the role it refers to. It also lists the rules a
// user holds in a namespace (SelfSubjectRulesReview) and carries the
// bootstrap policy a new cluster starts with (bootstrap.go).
//
// Like upstream, the system:masters group is allowed everything before
// RBAC is consulted, and RBAC only ever allows: a request no rule grants
// is denied with no reason.
package rbac

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// Well-known users and groups (k8s.io/apiserver's user package).
const (
	SystemMasters           = "system:masters"
	AllAuthenticated        = "system:authenticated"
	AllUnauthenticated      = "system:unauthenticated"
	Anonymous               = "system:anonymous"
	ServiceAccountPrefix    = "system:serviceaccount:"
	AllServiceAccountsGroup = "system:serviceaccounts"
)

// User is an authenticated identity.
type User struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// ServiceAccountUser is the identity of a ServiceAccount's token.
func ServiceAccountUser(namespace, name, uid string) User {
	return User{Name: ServiceAccountPrefix + namespace + ":" + name, UID: uid,
		Groups: []string{AllServiceAccountsGroup, AllServiceAccountsGroup + ":" + namespace, AllAuthenticated}}
}

// SplitServiceAccount parses "system:serviceaccount:NS:NAME".
func SplitServiceAccount(user string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, ServiceAccountPrefix)
	if !ok {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	return namespace, name, ok && namespace != "" && name != "" && !strings.Contains(name, ":")
}

// Attributes are what a request asks, as the authorizer sees it.
type Attributes struct {
	User User
	// Verb is the API verb (get, list, watch, create, update, patch,
	// delete, deletecollection, impersonate, ...) or, for a non-resource
	// request, the lower-case HTTP method (get).
	Verb string
	// ResourceRequest is true for /api and /apis object paths.
	ResourceRequest bool
	Namespace       string
	APIGroup        string
	Resource        string
	Subresource     string
	Name            string
	// Path is a non-resource request's URL path.
	Path string
}

// resourceString is resource or resource/subresource.
func (a Attributes) resourceString() string {
	if a.Subresource != "" {
		return a.Resource + "/" + a.Subresource
	}
	return a.Resource
}

// ForbiddenMessage is kube-apiserver's text for a denied request.
func ForbiddenMessage(a Attributes) string {
	if !a.ResourceRequest {
		return fmt.Sprintf("User %q cannot %s path %q", a.User.Name, a.Verb, a.Path)
	}
	if a.Namespace != "" {
		return fmt.Sprintf("User %q cannot %s resource %q in API group %q in the namespace %q", a.User.Name, a.Verb, a.resourceString(), a.APIGroup, a.Namespace)
	}
	return fmt.Sprintf("User %q cannot %s resource %q in API group %q at the cluster scope", a.User.Name, a.Verb, a.resourceString(), a.APIGroup)
}

// Authorize decides a request: allowed, with upstream's reason (which
// binding of which role to which subject allowed it).
func Authorize(st *store.Store, a Attributes) (bool, string) {
	if slices.Contains(a.User.Groups, SystemMasters) {
		return true, ""
	}
	var reason string
	visit(st, a.User, a.Namespace, func(source string, rule *rbacv1.PolicyRule) bool {
		if RuleAllows(a, rule) {
			reason = "RBAC: allowed by " + source
			return false
		}
		return true
	})
	return reason != "", reason
}

// visit calls fn with every rule that applies to user in namespace ("" =
// cluster-wide only): the rules of ClusterRoles bound by
// ClusterRoleBindings, then of the roles bound by the namespace's
// RoleBindings, until fn returns false.
func visit(st *store.Store, user User, namespace string, fn func(source string, rule *rbacv1.PolicyRule) bool) {
	for _, o := range st.List("ClusterRoleBinding", "") {
		b := o.(*rbacv1.ClusterRoleBinding)
		subj, ok := appliesTo(user, b.Subjects, "")
		if !ok || b.RoleRef.Kind != "ClusterRole" {
			continue
		}
		rules := roleRules(st, b.RoleRef, "")
		for i := range rules {
			src := fmt.Sprintf("ClusterRoleBinding %q of ClusterRole %q to %s", b.Name, b.RoleRef.Name, describeSubject(subj))
			if !fn(src, &rules[i]) {
				return
			}
		}
	}
	if namespace == "" {
		return
	}
	for _, o := range st.List("RoleBinding", namespace) {
		b := o.(*rbacv1.RoleBinding)
		subj, ok := appliesTo(user, b.Subjects, namespace)
		if !ok {
			continue
		}
		rules := roleRules(st, b.RoleRef, namespace)
		for i := range rules {
			src := fmt.Sprintf("RoleBinding %q of %s %q to %s", b.Name+"/"+b.Namespace, b.RoleRef.Kind, b.RoleRef.Name, describeSubject(subj))
			if !fn(src, &rules[i]) {
				return
			}
		}
	}
}

func describeSubject(s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return fmt.Sprintf("ServiceAccount %q", s.Namespace+"/"+s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

// roleRules are the rules of the role a binding refers to (none if it does
// not exist: a binding may be created before its role).
func roleRules(st *store.Store, ref rbacv1.RoleRef, namespace string) []rbacv1.PolicyRule {
	switch ref.Kind {
	case "ClusterRole":
		if o, ok := st.Get("ClusterRole", "", ref.Name); ok {
			return o.(*rbacv1.ClusterRole).Rules
		}
	case "Role":
		if o, ok := st.Get("Role", namespace, ref.Name); ok {
			return o.(*rbacv1.Role).Rules
		}
	}
	return nil
}

// appliesTo reports the first subject that names the user, one of its
// groups, or (for a service account user) its ServiceAccount. A
// ServiceAccount subject of a RoleBinding without a namespace means the
// binding's own.
func appliesTo(user User, subjects []rbacv1.Subject, bindingNamespace string) (rbacv1.Subject, bool) {
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			if user.Name == s.Name {
				return s, true
			}
		case rbacv1.GroupKind:
			if slices.Contains(user.Groups, s.Name) {
				return s, true
			}
		case rbacv1.ServiceAccountKind:
			ns := cmp.Or(s.Namespace, bindingNamespace)
			if ns != "" && user.Name == ServiceAccountPrefix+ns+":"+s.Name {
				return s, true
			}
		}
	}
	return rbacv1.Subject{}, false
}

// RuleAllows reports whether one policy rule grants the request.
func RuleAllows(a Attributes, r *rbacv1.PolicyRule) bool {
	if !verbMatches(r.Verbs, a.Verb) {
		return false
	}
	if !a.ResourceRequest {
		return nonResourceURLMatches(r.NonResourceURLs, a.Path)
	}
	return groupMatches(r.APIGroups, a.APIGroup) &&
		resourceMatches(r.Resources, a.Resource, a.Subresource) &&
		nameMatches(r.ResourceNames, a.Name)
}

func verbMatches(verbs []string, verb string) bool {
	return slices.Contains(verbs, rbacv1.VerbAll) || slices.Contains(verbs, verb)
}

func groupMatches(groups []string, group string) bool {
	return slices.Contains(groups, rbacv1.APIGroupAll) || slices.Contains(groups, group)
}

// resourceMatches: "*" matches everything, "pods" only the resource
// itself, "pods/log" the subresource, "*/scale" that subresource of every
// resource.
func resourceMatches(rules []string, resource, sub string) bool {
	full := resource
	if sub != "" {
		full = resource + "/" + sub
	}
	for _, r := range rules {
		switch {
		case r == rbacv1.ResourceAll, r == full:
			return true
		case sub != "" && r == "*/"+sub:
			return true
		}
	}
	return false
}

func nameMatches(names []string, name string) bool {
	return len(names) == 0 || slices.Contains(names, name)
}

func nonResourceURLMatches(urls []string, path string) bool {
	for _, u := range urls {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if prefix, ok := strings.CutSuffix(u, "*"); ok && strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// Rules lists the rules user holds in namespace (cluster-wide ones
// included), as SelfSubjectRulesReview reports them: resource rules and
// non-resource rules. Members of system:masters hold everything.
func Rules(st *store.Store, user User, namespace string) (resource, nonResource []rbacv1.PolicyRule) {
	if slices.Contains(user.Groups, SystemMasters) {
		return []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}},
			[]rbacv1.PolicyRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}}
	}
	visit(st, user, namespace, func(_ string, r *rbacv1.PolicyRule) bool {
		if len(r.NonResourceURLs) > 0 {
			nonResource = append(nonResource, *r)
		} else {
			resource = append(resource, *r)
		}
		return true
	})
	return resource, nonResource
}
