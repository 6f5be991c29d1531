package kubeapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/controllers/serviceaccount"
	"github.com/kubesim/kubesim/sim/rbac"
)

// AdminUser is who the kubeconfig's token authenticates as: a member of
// system:masters, like the cluster creator of an EKS cluster or kubeadm's
// kubernetes-admin.
var AdminUser = rbac.User{Name: "kubernetes-admin", Groups: []string{rbac.SystemMasters, rbac.AllAuthenticated}}

var anonymous = rbac.User{Name: rbac.Anonymous, Groups: []string{rbac.AllUnauthenticated}}

// authenticate finds who sent a request: the admin token, a ServiceAccount
// token (TokenRequest), a client certificate signed by the cluster CA, or
// nobody (system:anonymous). A bearer token or certificate that is not
// valid is a 401, as kube-apiserver answers.
func (s *Server) authenticate(r *http.Request, c *cluster.Cluster) (rbac.User, error) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		tok = strings.TrimSpace(tok)
		if s.opts.AdminToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.AdminToken)) == 1 {
			return AdminUser, nil
		}
		if u, ok := s.serviceAccountToken(tok, c); ok {
			return u, nil
		}
		if u, ok := legacyToken(tok, c); ok {
			return u, nil
		}
		return rbac.User{}, apierrors.NewUnauthorized("Unauthorized")
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && c.PKI != nil {
		name, groups, err := c.PKI.VerifyClient(r.TLS.PeerCertificates, c.Engine.Now())
		if err != nil || name == "" {
			return rbac.User{}, apierrors.NewUnauthorized("Unauthorized")
		}
		groups = append(slices.Clone(groups), rbac.AllAuthenticated)
		return rbac.User{Name: name, Groups: groups}, nil
	}
	return anonymous, nil
}

// attributes are what a request asks, in the authorizer's terms (upstream's
// RequestInfo): resource requests under /api and /apis, non-resource
// requests elsewhere.
func attributes(r *http.Request, t *target) rbac.Attributes {
	a := rbac.Attributes{Path: r.URL.Path}
	if t == nil {
		a.Verb = strings.ToLower(r.Method)
		return a
	}
	a.ResourceRequest = true
	a.APIGroup = t.res.gv.Group
	a.Resource = t.res.plural
	a.Subresource = t.sub
	a.Name = t.name
	a.Namespace = t.namespace
	if t.res.plural == "namespaces" && t.name != "" {
		a.Namespace = t.name
	}
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		switch {
		case q.Get("watch") == "true" || q.Get("watch") == "1":
			a.Verb = "watch"
		case t.name == "":
			a.Verb = "list"
		default:
			a.Verb = "get"
		}
	case http.MethodPost:
		a.Verb = "create"
	case http.MethodPut:
		a.Verb = "update"
	case http.MethodPatch:
		a.Verb = "patch"
	case http.MethodDelete:
		a.Verb = "delete"
		if t.name == "" {
			a.Verb = "deletecollection"
		}
	default:
		a.Verb = strings.ToLower(r.Method)
	}
	if t.sub == "exec" || t.sub == "attach" || t.sub == "portforward" {
		// A WebSocket upgrade is a GET, authorized as create as upstream
		// (AuthorizePodWebsocketUpgradeCreatePermission).
		a.Verb = "create"
	}
	return a
}

// forbidden is kube-apiserver's 403 for a denied request.
func forbidden(a rbac.Attributes) error {
	gr := schema.GroupResource{}
	if a.ResourceRequest {
		gr = schema.GroupResource{Group: a.APIGroup, Resource: a.Resource}
		if a.Subresource != "" {
			gr.Resource += "/" + a.Subresource
		}
	}
	reason := rbac.ForbiddenMessage(a)
	e := apierrors.NewForbidden(gr, a.Name, errors.New(reason))
	if gr.Empty() {
		e.ErrStatus.Message = "forbidden: " + reason
	}
	return e
}

// admit authenticates and authorizes a request, impersonation included,
// and returns who it acts as.
func (s *Server) admit(r *http.Request, t *target) (rbac.User, error) {
	var user rbac.User
	var err error
	s.with(func(c *cluster.Cluster) {
		if user, err = s.authenticate(r, c); err != nil {
			return
		}
		if user, err = impersonate(r, user, c); err != nil {
			return
		}
		a := attributes(r, t)
		a.User = user
		if ok, _ := rbac.Authorize(c.Store, a); !ok {
			err = forbidden(a)
		}
	})
	return user, err
}

// impersonate applies the Impersonate-* headers (kubectl --as, --as-group,
// --as-uid): the requester needs the impersonate verb on users (or the
// ServiceAccount), each group and the uid.
func impersonate(r *http.Request, by rbac.User, c *cluster.Cluster) (rbac.User, error) {
	h := r.Header
	name := h.Get("Impersonate-User")
	groups := h.Values("Impersonate-Group")
	uid := h.Get("Impersonate-Uid")
	extra := map[string][]string{}
	for k, v := range h {
		if key, ok := strings.CutPrefix(k, "Impersonate-Extra-"); ok {
			extra[strings.ToLower(key)] = v
		}
	}
	if name == "" {
		if len(groups) > 0 || uid != "" || len(extra) > 0 {
			return rbac.User{}, badRequest("requested %v without impersonating a user", textproto.CanonicalMIMEHeaderKey("Impersonate-Group"))
		}
		return by, nil
	}
	check := func(a rbac.Attributes) error {
		a.User, a.Verb, a.ResourceRequest = by, "impersonate", true
		if ok, _ := rbac.Authorize(c.Store, a); !ok {
			return forbidden(a)
		}
		return nil
	}
	u := rbac.User{Name: name, UID: uid}
	if ns, sa, ok := rbac.SplitServiceAccount(name); ok {
		if err := check(rbac.Attributes{Resource: "serviceaccounts", Namespace: ns, Name: sa}); err != nil {
			return rbac.User{}, err
		}
		if len(groups) == 0 {
			groups = []string{rbac.AllServiceAccountsGroup, rbac.AllServiceAccountsGroup + ":" + ns}
		}
	} else if err := check(rbac.Attributes{Resource: "users", Name: name}); err != nil {
		return rbac.User{}, err
	}
	for _, g := range groups {
		if err := check(rbac.Attributes{Resource: "groups", Name: g}); err != nil {
			return rbac.User{}, err
		}
	}
	if uid != "" {
		if err := check(rbac.Attributes{APIGroup: "authentication.k8s.io", Resource: "uids", Name: uid}); err != nil {
			return rbac.User{}, err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		for _, v := range extra[k] {
			if err := check(rbac.Attributes{APIGroup: "authentication.k8s.io", Resource: "userextras", Subresource: k, Name: v}); err != nil {
				return rbac.User{}, err
			}
		}
	}
	u.Groups = slices.Clone(groups)
	if name != rbac.Anonymous && !slices.Contains(u.Groups, rbac.AllAuthenticated) {
		u.Groups = append(u.Groups, rbac.AllAuthenticated)
	}
	if len(extra) > 0 {
		u.Extra = extra
	}
	return u, nil
}

// Service account tokens are JWTs signed (HS256) with a key the server
// draws at start: they authenticate for as long as this server runs, the
// ServiceAccount exists with the same UID, and the token has not expired
// (in virtual time).

type saClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  []string `json:"aud"`
	Expires   int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf"`
	JTI       string   `json:"jti"`
	K8s       struct {
		Namespace      string `json:"namespace"`
		ServiceAccount struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"serviceaccount"`
	} `json:"kubernetes.io"`
}

// Issuer is the service account token issuer (kube-apiserver's default
// --service-account-issuer).
const Issuer = "https://kubernetes.default.svc.cluster.local"

func newSigningKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never fails
	return k
}

func (s *Server) signToken(sa *corev1.ServiceAccount, audiences []string, now time.Time, ttl time.Duration) (string, error) {
	var cl saClaims
	cl.Issuer, cl.Subject, cl.Audience = Issuer, rbac.ServiceAccountPrefix+sa.Namespace+":"+sa.Name, audiences
	cl.IssuedAt, cl.NotBefore, cl.Expires = now.Unix(), now.Unix(), now.Add(ttl).Unix()
	cl.JTI = NewToken()[:16]
	cl.K8s.Namespace = sa.Namespace
	cl.K8s.ServiceAccount.Name, cl.K8s.ServiceAccount.UID = sa.Name, string(sa.UID)
	head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, err := json.Marshal(cl)
	if err != nil {
		return "", err
	}
	msg := head + "." + base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, s.saKey)
	mac.Write([]byte(msg))
	return msg + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

func (s *Server) serviceAccountToken(tok string, c *cluster.Cluster) (rbac.User, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return rbac.User{}, false
	}
	mac := hmac.New(sha256.New, s.saKey)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return rbac.User{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	var cl saClaims
	if err != nil || json.Unmarshal(body, &cl) != nil {
		return rbac.User{}, false
	}
	if c.Engine.Now().Unix() >= cl.Expires {
		return rbac.User{}, false
	}
	o, ok := c.Store.Get("ServiceAccount", cl.K8s.Namespace, cl.K8s.ServiceAccount.Name)
	if !ok || string(o.GetUID()) != cl.K8s.ServiceAccount.UID {
		return rbac.User{}, false
	}
	return rbac.ServiceAccountUser(cl.K8s.Namespace, cl.K8s.ServiceAccount.Name, cl.K8s.ServiceAccount.UID), true
}

// legacyToken authenticates a token the tokens controller wrote into a
// kubernetes.io/service-account-token Secret: valid while that Secret
// holds it and its ServiceAccount exists with the UID recorded on it.
func legacyToken(tok string, c *cluster.Cluster) (rbac.User, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return rbac.User{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	var cl map[string]any
	if err != nil || json.Unmarshal(body, &cl) != nil || cl["iss"] != serviceaccount.LegacyIssuer {
		return rbac.User{}, false
	}
	ns, _ := cl["kubernetes.io/serviceaccount/namespace"].(string)
	name, _ := cl["kubernetes.io/serviceaccount/secret.name"].(string)
	o, ok := c.Store.Get("Secret", ns, name)
	if !ok {
		return rbac.User{}, false
	}
	secret := o.(*corev1.Secret)
	if secret.Type != corev1.SecretTypeServiceAccountToken || subtle.ConstantTimeCompare(secret.Data[corev1.ServiceAccountTokenKey], []byte(tok)) != 1 {
		return rbac.User{}, false
	}
	sa, ok := c.Store.Get("ServiceAccount", ns, secret.Annotations[corev1.ServiceAccountNameKey])
	if !ok || string(sa.GetUID()) != secret.Annotations[corev1.ServiceAccountUIDKey] {
		return rbac.User{}, false
	}
	return rbac.ServiceAccountUser(ns, sa.GetName(), string(sa.GetUID())), true
}

type userKey struct{}

// withUser records who a request acts as, for the handlers that need it
// (a CertificateSigningRequest's requestor, SelfSubjectAccessReview).
func withUser(r *http.Request, u rbac.User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), userKey{}, u))
}

// userOf is who the request acts as (system:anonymous if never admitted).
func userOf(r *http.Request) rbac.User {
	if u, ok := r.Context().Value(userKey{}).(rbac.User); ok {
		return u
	}
	return anonymous
}
