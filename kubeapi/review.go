package kubeapi

import (
	"net/http"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/rbac"
)

var (
	authorizationV1  = schema.GroupVersion{Group: "authorization.k8s.io", Version: "v1"}
	authenticationV1 = schema.GroupVersion{Group: "authentication.k8s.io", Version: "v1"}
)

// reviewResources are the create-only review APIs: nothing is stored, the
// answer is computed from the request (kubectl auth can-i and whoami, k9s
// asking what it may do).
var reviewResources = []*resource{
	{kind: "SelfSubjectAccessReview", gv: authorizationV1, plural: "selfsubjectaccessreviews", singular: "selfsubjectaccessreview"},
	{kind: "SelfSubjectRulesReview", gv: authorizationV1, plural: "selfsubjectrulesreviews", singular: "selfsubjectrulesreview"},
	{kind: "SubjectAccessReview", gv: authorizationV1, plural: "subjectaccessreviews", singular: "subjectaccessreview"},
	{kind: "LocalSubjectAccessReview", gv: authorizationV1, plural: "localsubjectaccessreviews", singular: "localsubjectaccessreview", namespaced: true},
	{kind: "SelfSubjectReview", gv: authenticationV1, plural: "selfsubjectreviews", singular: "selfsubjectreview"},
}

// reviewResource finds the review API a path addresses.
func reviewResource(gv schema.GroupVersion, rest []string) *resource {
	if len(rest) == 3 && rest[0] == "namespaces" {
		rest = rest[2:]
	}
	if len(rest) != 1 {
		return nil
	}
	for _, r := range reviewResources {
		if r.gv == gv && r.plural == rest[0] {
			return r
		}
	}
	return nil
}

// review answers a review request.
func (s *Server) review(w http.ResponseWriter, r *http.Request, t target) {
	if r.Method != http.MethodPost {
		writeError(w, methodNotSupported(t.res, lower(r.Method)))
		return
	}
	if t.res.namespaced && t.namespace == "" {
		writeError(w, pathNotFound())
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	me := userOf(r)
	var out any
	switch t.res.kind {
	case "SelfSubjectAccessReview":
		rv, err := unmarshalAs[authorizationv1.SelfSubjectAccessReview](body, "SelfSubjectAccessReview")
		if err != nil {
			writeError(w, err)
			return
		}
		a, err := reviewAttributes(rv.Spec.ResourceAttributes, rv.Spec.NonResourceAttributes, "")
		if err != nil {
			writeError(w, err)
			return
		}
		a.User = me
		rv.Status = s.decide(a)
		out = &rv
	case "SubjectAccessReview", "LocalSubjectAccessReview":
		rv, err := unmarshalAs[authorizationv1.SubjectAccessReview](body, t.res.kind)
		if err != nil {
			writeError(w, err)
			return
		}
		if rv.Spec.User == "" && len(rv.Spec.Groups) == 0 {
			writeError(w, apierrors.NewInvalid(t.res.gvk().GroupKind(), "", field.ErrorList{
				field.Invalid(field.NewPath("spec", "user"), "", "at least one of user or group must be specified")}))
			return
		}
		a, err := reviewAttributes(rv.Spec.ResourceAttributes, rv.Spec.NonResourceAttributes, t.namespace)
		if err != nil {
			writeError(w, err)
			return
		}
		a.User = rbac.User{Name: rv.Spec.User, UID: rv.Spec.UID, Groups: rv.Spec.Groups}
		rv.Status = s.decide(a)
		rv.Kind = t.res.kind
		if rv.Namespace == "" {
			rv.Namespace = t.namespace
		}
		out = &rv
	case "SelfSubjectRulesReview":
		rv, err := unmarshalAs[authorizationv1.SelfSubjectRulesReview](body, "SelfSubjectRulesReview")
		if err != nil {
			writeError(w, err)
			return
		}
		rv.Status = s.rules(me, rv.Spec.Namespace)
		out = &rv
	case "SelfSubjectReview":
		rv := authenticationv1.SelfSubjectReview{}
		rv.Status.UserInfo = authenticationv1.UserInfo{Username: me.Name, UID: me.UID, Groups: me.Groups}
		for k, v := range me.Extra {
			if rv.Status.UserInfo.Extra == nil {
				rv.Status.UserInfo.Extra = map[string]authenticationv1.ExtraValue{}
			}
			rv.Status.UserInfo.Extra[k] = v
		}
		out = &rv
	}
	obj := out.(interface {
		GetObjectKind() schema.ObjectKind
	})
	obj.GetObjectKind().SetGroupVersionKind(t.res.gvk())
	writeJSON(w, http.StatusCreated, out)
}

// reviewAttributes turns a review's attributes into the authorizer's.
func reviewAttributes(ra *authorizationv1.ResourceAttributes, nra *authorizationv1.NonResourceAttributes, namespace string) (rbac.Attributes, error) {
	switch {
	case ra != nil && nra != nil:
		return rbac.Attributes{}, badRequest("cannot specify both resourceAttributes and nonResourceAttributes")
	case ra != nil:
		ns := ra.Namespace
		if namespace != "" {
			ns = namespace
		}
		return rbac.Attributes{ResourceRequest: true, Verb: ra.Verb, Namespace: ns, APIGroup: ra.Group,
			Resource: ra.Resource, Subresource: ra.Subresource, Name: ra.Name}, nil
	case nra != nil:
		return rbac.Attributes{Verb: nra.Verb, Path: nra.Path}, nil
	}
	return rbac.Attributes{}, badRequest("exactly one of resourceAttributes or nonResourceAttributes must be specified")
}

func (s *Server) decide(a rbac.Attributes) authorizationv1.SubjectAccessReviewStatus {
	var st authorizationv1.SubjectAccessReviewStatus
	s.with(func(c *cluster.Cluster) { st.Allowed, st.Reason = rbac.Authorize(c.Store, a) })
	return st
}

func (s *Server) rules(u rbac.User, namespace string) authorizationv1.SubjectRulesReviewStatus {
	var res, non []rbacv1.PolicyRule
	s.with(func(c *cluster.Cluster) { res, non = rbac.Rules(c.Store, u, namespace) })
	st := authorizationv1.SubjectRulesReviewStatus{ResourceRules: []authorizationv1.ResourceRule{}, NonResourceRules: []authorizationv1.NonResourceRule{}}
	for _, r := range res {
		st.ResourceRules = append(st.ResourceRules, authorizationv1.ResourceRule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames})
	}
	for _, r := range non {
		st.NonResourceRules = append(st.NonResourceRules, authorizationv1.NonResourceRule{Verbs: r.Verbs, NonResourceURLs: r.NonResourceURLs})
	}
	return st
}

// reviewAPIResources are the review APIs of gv, for discovery.
func reviewAPIResources(gv schema.GroupVersion) []metav1.APIResource {
	var out []metav1.APIResource
	for _, r := range reviewResources {
		if r.gv == gv {
			out = append(out, metav1.APIResource{Name: r.plural, SingularName: r.singular, Namespaced: r.namespaced, Kind: r.kind, Verbs: []string{"create"}})
		}
	}
	return out
}
