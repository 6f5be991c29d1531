package kubeapi

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/rbac"
)

// requestedBy fills in a new CertificateSigningRequest's requestor from
// the authenticated user, as kube-apiserver does (whatever the client
// sent), and clears its status.
func requestedBy(csr *certificatesv1.CertificateSigningRequest, u rbac.User) {
	csr.Spec.Username, csr.Spec.UID = u.Name, u.UID
	csr.Spec.Groups = slices.Clone(u.Groups)
	csr.Spec.Extra = nil
	for k, v := range u.Extra {
		if csr.Spec.Extra == nil {
			csr.Spec.Extra = map[string]certificatesv1.ExtraValue{}
		}
		csr.Spec.Extra[k] = v
	}
	csr.Status = certificatesv1.CertificateSigningRequestStatus{}
}

// approval is PUT certificatesigningrequests/NAME/approval (kubectl
// certificate approve|deny): only the Approved/Denied conditions change.
// Besides update on the subresource, the user needs the approve verb on
// the request's signer (resource signers, named by the signer name).
func (s *Server) approval(w http.ResponseWriter, r *http.Request, t target, body []byte, v *validation, dry bool) {
	obj, err := t.decode(body, v)
	if err != nil {
		writeError(w, err)
		return
	}
	sent := obj.(*certificatesv1.CertificateSigningRequest)
	out, err := s.write(dry, func(c *cluster.Cluster) (*scenarios.APIRequest, error) {
		cur, err := t.current(c) // CSRs are cluster-scoped
		if err != nil {
			return nil, err
		}
		csr := cur.(*certificatesv1.CertificateSigningRequest)
		if err := staleVersion(t.res.groupResource(), t.name, sent.ResourceVersion, csr.ResourceVersion); err != nil {
			return nil, err
		}
		a := rbac.Attributes{User: userOf(r), Verb: "approve", ResourceRequest: true, APIGroup: "certificates.k8s.io",
			Resource: "signers", Name: csr.Spec.SignerName}
		if ok, _ := rbac.Authorize(c.Store, a); !ok {
			return nil, apierrors.NewForbidden(t.res.groupResource(), t.name,
				fmt.Errorf("user not permitted to approve requests with signerName %q", csr.Spec.SignerName))
		}
		up := csr.DeepCopy()
		var conds []certificatesv1.CertificateSigningRequestCondition
		now := metav1.NewTime(c.Engine.Now())
		for _, cond := range sent.Status.Conditions {
			if cond.Type != certificatesv1.CertificateApproved && cond.Type != certificatesv1.CertificateDenied {
				continue
			}
			if cond.LastUpdateTime.IsZero() {
				cond.LastUpdateTime = now
			}
			if cond.LastTransitionTime.IsZero() {
				cond.LastTransitionTime = now
			}
			conds = append(conds, cond)
		}
		for _, cond := range csr.Status.Conditions {
			if cond.Type != certificatesv1.CertificateApproved && cond.Type != certificatesv1.CertificateDenied {
				conds = append(conds, cond)
			}
		}
		for _, cond := range csr.Status.Conditions {
			if (cond.Type == certificatesv1.CertificateApproved || cond.Type == certificatesv1.CertificateDenied) &&
				!slices.ContainsFunc(conds, func(c certificatesv1.CertificateSigningRequestCondition) bool { return c.Type == cond.Type }) {
				return nil, apierrors.NewInvalid(t.res.gvk().GroupKind(), t.name, field.ErrorList{field.Forbidden(
					field.NewPath("status", "conditions"), fmt.Sprintf("updates may not remove a condition of type %q", cond.Type))})
			}
		}
		up.Status.Conditions = conds
		req := request(r, t, "status")
		req.Object = up
		return req, precheck(up)
	})
	t.reply(w, nil, http.StatusOK, out, err)
}

// tokenRequest is POST serviceaccounts/NAME/token (kubectl create token):
// a signed token for the ServiceAccount, valid for
// spec.expirationSeconds (default one hour, at least ten minutes) of
// virtual time. Nothing is stored.
func (s *Server) tokenRequest(w http.ResponseWriter, r *http.Request, t target) {
	tr, err := readObject[authenticationv1.TokenRequest](r, "TokenRequest")
	if err != nil {
		writeError(w, err)
		return
	}
	ttl := int64(3600)
	if tr.Spec.ExpirationSeconds != nil {
		ttl = *tr.Spec.ExpirationSeconds
	}
	gk := authenticationv1.SchemeGroupVersion.WithKind("TokenRequest").GroupKind()
	if ttl < 600 {
		writeError(w, apierrors.NewInvalid(gk, t.name, field.ErrorList{field.Invalid(field.NewPath("spec", "expirationSeconds"), ttl, "may not specify a duration less than 10 minutes")}))
		return
	}
	if ttl > 1<<32 {
		writeError(w, apierrors.NewInvalid(gk, t.name, field.ErrorList{field.TooLong(field.NewPath("spec", "expirationSeconds"), ttl, 1<<32)}))
		return
	}
	if len(tr.Spec.Audiences) == 0 {
		tr.Spec.Audiences = []string{Issuer}
	}
	var sa *corev1.ServiceAccount
	var now time.Time
	s.with(func(c *cluster.Cluster) {
		if o, ok := c.Store.Get("ServiceAccount", t.namespace, t.name); ok {
			sa = o.(*corev1.ServiceAccount)
		}
		now = c.Engine.Now()
	})
	if sa == nil {
		writeError(w, notFound(t.res.groupResource(), t.name))
		return
	}
	tok, err := s.signToken(sa, tr.Spec.Audiences, now, time.Duration(ttl)*time.Second)
	if err != nil {
		writeError(w, err)
		return
	}
	tr.APIVersion, tr.Kind = "authentication.k8s.io/v1", "TokenRequest"
	tr.Name, tr.Namespace, tr.CreationTimestamp = t.name, t.namespace, metav1.NewTime(now)
	tr.Spec.ExpirationSeconds = &ttl
	tr.Status = authenticationv1.TokenRequestStatus{Token: tok, ExpirationTimestamp: metav1.NewTime(now.Add(time.Duration(ttl) * time.Second))}
	writeJSON(w, http.StatusCreated, &tr)
}
