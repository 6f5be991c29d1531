package lab

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/rbac"
	"github.com/kubesim/kubesim/sim/store"
)

// AccessCheck: a user, group or ServiceAccount can (or cannot) do a verb
// on a resource — asked of the API server as a SubjectAccessReview, the
// question `kubectl auth can-i --as` asks, so RBAC decides as it does for
// the learner's own requests.
type AccessCheck struct {
	// Who: a user name (with optional groups), or a ServiceAccount as
	// NAMESPACE/NAME (its token's identity: the user
	// system:serviceaccount:NS:NAME in the ServiceAccount groups).
	User           string   `yaml:"user"`
	Groups         []string `yaml:"groups"`
	ServiceAccount string   `yaml:"serviceAccount"`
	// What: the verb on a resource as kubectl spells it ("pods",
	// "deploy", "deployments.apps", "pods/log"), optionally one object
	// by name, in a namespace (default "default"; none for a
	// cluster-scoped resource).
	Verb         string `yaml:"verb"`
	Resource     string `yaml:"resource"`
	Subresource  string `yaml:"subresource"`
	ResourceName string `yaml:"resourceName"`
	Namespace    string `yaml:"namespace"`
	// Allowed is the answer wanted (default true: the subject can).
	Allowed *bool `yaml:"allowed"`

	// Resolved by the parser: the API group and plural resource name.
	group, resource string
}

// accessVerbs are the verbs RBAC knows (kubectl auth can-i's list, plus
// the wildcard).
var accessVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
	"use", "bind", "escalate", "impersonate", "approve", "sign", "attest", "*"}

// rbacSubresources are subresources RBAC rules name that the simulated
// API does not serve as endpoints (kubectl exec, attach, port-forward and
// proxy are authorized on them all the same).
var rbacSubresources = map[string][]string{
	"pods":     {"exec", "attach", "portforward", "proxy", "ephemeralcontainers", "resize"},
	"nodes":    {"proxy"},
	"services": {"proxy"},
}

// want is the answer the check asks for.
func (c *AccessCheck) want() bool { return c.Allowed == nil || *c.Allowed }

// valueOf is the value node of key in mapping n (n itself if absent), for
// positioned errors.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return n
}

func (p *parser) accessCheck(n *yaml.Node, c *AccessCheck) bool {
	ok := true
	who := 0
	for _, s := range []string{c.User, c.ServiceAccount} {
		if s != "" {
			who++
		}
	}
	switch {
	case who == 0 && len(c.Groups) == 0:
		p.Errorf(n, "e.g. `user: jane` or `serviceAccount: ci/deployer`", "access check: say who (user, groups or serviceAccount)")
		ok = false
	case c.ServiceAccount != "" && (c.User != "" || len(c.Groups) > 0):
		p.Errorf(valueOf(n, "serviceAccount"), "a ServiceAccount's groups are its token's", "access check: serviceAccount or user/groups, not both")
		ok = false
	case c.ServiceAccount != "":
		ns, name, found := strings.Cut(c.ServiceAccount, "/")
		if !found || ns == "" || name == "" || strings.Contains(name, "/") {
			p.Errorf(valueOf(n, "serviceAccount"), "NAMESPACE/NAME, e.g. ci/deployer", "access check: serviceAccount %q is not NAMESPACE/NAME", c.ServiceAccount)
			ok = false
		}
	}
	if slices.Contains(c.Groups, rbac.SystemMasters) {
		p.Errorf(valueOf(n, "groups"), "system:masters bypasses RBAC: the answer is always yes", "access check: the group %s cannot be checked", rbac.SystemMasters)
		ok = false
	}
	switch {
	case c.Verb == "":
		p.Errorf(n, "e.g. `verb: create`", "access check: verb is required")
		ok = false
	case !slices.Contains(accessVerbs, c.Verb):
		p.Errorf(valueOf(n, "verb"), textdist.DidYouMean(c.Verb, accessVerbs, "verbs"), "access check: unknown verb %q (verbs: %s)", c.Verb, strings.Join(accessVerbs, ", "))
		ok = false
	}
	if c.Resource == "" {
		p.Errorf(n, "e.g. `resource: deployments` or `resource: pods/log`", "access check: resource is required")
		return false
	}
	res, sub, hasSub := strings.Cut(c.Resource, "/")
	if hasSub && c.Subresource != "" {
		p.Errorf(valueOf(n, "subresource"), "", "access check: the subresource is given twice (%s and subresource: %s)", c.Resource, c.Subresource)
		return false
	}
	if !hasSub {
		sub = c.Subresource
	}
	info, served := store.LookupResource(res)
	if !served {
		hint := "`kubectl api-resources` lists the resources"
		if s := textdist.Suggest(res, store.ResourceNames()); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		p.Errorf(valueOf(n, "resource"), hint,
			"access check: resource %q is not served by the API", res)
		return false
	}
	c.group, c.resource, c.Subresource = info.GroupVersion.Group, info.Resource, sub
	if sub != "" && !info.HasSubresource(sub) && !slices.Contains(rbacSubresources[info.Resource], sub) {
		subs := append(slices.Clone(info.Subresources), rbacSubresources[info.Resource]...)
		p.Errorf(valueOf(n, "resource"), textdist.DidYouMean(sub, subs, "subresources"),
			"access check: %s has no subresource %q (subresources: %s)", info.Resource, sub, orNone(subs))
		ok = false
	}
	switch {
	case info.Namespaced && c.Namespace == "":
		c.Namespace = "default"
	case !info.Namespaced && c.Namespace != "":
		p.Errorf(valueOf(n, "namespace"), "remove namespace", "access check: %s are cluster-scoped, they have no namespace", info.Resource)
		ok = false
	}
	return ok
}

// subject says who the check asks about, as the learner reads it.
func (c *AccessCheck) subject() string {
	switch {
	case c.ServiceAccount != "":
		return "ServiceAccount " + c.ServiceAccount
	case c.User != "" && len(c.Groups) > 0:
		return fmt.Sprintf("user %s (groups %s)", c.User, strings.Join(c.Groups, ","))
	case c.User != "":
		return "user " + c.User
	}
	return "group " + strings.Join(c.Groups, ",")
}

// groupResource is the resource as kubectl names it: "deployments.apps",
// or "pods" for the core group.
func (c *AccessCheck) groupResource() string {
	if c.group == "" {
		return c.resource
	}
	return c.resource + "." + c.group
}

// question is "create deployments.apps in ci", as kubectl auth can-i
// words its arguments.
func (c *AccessCheck) question() string {
	r := c.groupResource()
	if c.Subresource != "" {
		r += "/" + c.Subresource
	}
	if c.ResourceName != "" {
		r += " " + c.ResourceName
	}
	s := c.Verb + " " + r
	if c.Namespace != "" {
		s += " in " + c.Namespace
	}
	return s
}

func (c *AccessCheck) describe() string {
	can := map[bool]string{true: "can", false: "cannot"}[c.want()]
	return fmt.Sprintf("%s %s %s", c.subject(), can, c.question())
}

// review is the SubjectAccessReview the check sends: the identity the
// API server's authenticator would give the subject's credentials (a
// ServiceAccount's token, a user's client certificate), so RBAC decides
// as it would for their own request.
func (c *AccessCheck) review() *authorizationv1.SubjectAccessReview {
	rv := &authorizationv1.SubjectAccessReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview"},
		Spec: authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: c.Namespace, Verb: c.Verb, Group: c.group, Resource: c.resource, Subresource: c.Subresource, Name: c.ResourceName}},
	}
	if c.ServiceAccount != "" {
		ns, name, _ := strings.Cut(c.ServiceAccount, "/")
		u := rbac.ServiceAccountUser(ns, name, "")
		rv.Spec.User, rv.Spec.Groups = u.Name, u.Groups
		return rv
	}
	rv.Spec.User = c.User
	rv.Spec.Groups = slices.Clone(c.Groups)
	if !slices.Contains(rv.Spec.Groups, rbac.AllAuthenticated) {
		rv.Spec.Groups = append(rv.Spec.Groups, rbac.AllAuthenticated)
	}
	return rv
}

var subjectAccessReviews = authorizationv1.SchemeGroupVersion.WithResource("subjectaccessreviews")

// canI is the kubectl command that asks the check's question as the
// learner would, and the answer wanted.
func (c *AccessCheck) canI() string {
	r := c.groupResource()
	if c.ResourceName != "" {
		r += "/" + c.ResourceName
	}
	if c.Subresource != "" {
		r += " --subresource=" + c.Subresource
	}
	s := "kubectl auth can-i " + c.Verb + " " + r
	if c.Namespace != "" {
		s += " -n " + c.Namespace
	}
	if c.ServiceAccount != "" {
		ns, name, _ := strings.Cut(c.ServiceAccount, "/")
		s += " --as=" + rbac.ServiceAccountPrefix + ns + ":" + name
	} else {
		if c.User != "" {
			s += " --as=" + c.User
		} else {
			s += " --as=" + placeholderUser
		}
		for _, g := range c.Groups {
			s += " --as-group=" + g
		}
	}
	return s + ": " + map[bool]string{true: "yes", false: "no"}[c.want()]
}

// placeholderUser stands for "any member of the groups" when a check names
// groups only (kubectl impersonates groups only together with a user).
const placeholderUser = "someone"

func (t Target) access(ctx context.Context, c *AccessCheck) Result {
	exp := c.canI()
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(c.review())
	if err != nil {
		return failed(exp, err)
	}
	out, err := t.Client.Resource(subjectAccessReviews).Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{})
	if err != nil {
		return failed(exp, err)
	}
	var rv authorizationv1.SubjectAccessReview
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(out.Object, &rv); err != nil {
		return failed(exp, err)
	}
	found := map[bool]string{true: "yes", false: "no"}[rv.Status.Allowed]
	switch {
	case rv.Status.Reason != "":
		found += " (" + rv.Status.Reason + ")"
	case !rv.Status.Allowed:
		found += " (no Role or ClusterRole bound to the subject grants it)"
	}
	return Result{Pass: rv.Status.Allowed == c.want(), Expected: exp, Found: found}
}
