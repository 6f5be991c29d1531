// Package csrsigning models kube-controller-manager's CSR signing
// controller (pkg/controller/certificates/signer) for the
// kubernetes.io/kube-apiserver-client signer: once a
// CertificateSigningRequest is approved (kubectl certificate approve), it
// is signed with the cluster CA and the certificate written to
// status.certificate, valid for spec.expirationSeconds capped at the
// cluster signing duration (one year). A request whose usages the signer
// does not allow gets a Failed condition (SignerValidationFailure)
// instead.
package csrsigning

import (
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/pki"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component name.
const Name = "csrsigning-controller"

// SigningDuration is kube-controller-manager's
// --cluster-signing-duration default.
const SigningDuration = 365 * 24 * time.Hour

// Controller signs approved client certificate requests.
type Controller struct {
	controllerutil.Base
	ca *pki.CA
}

// New returns a controller writing through client and signing with ca.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config, ca *pki.CA) *Controller {
	c := &Controller{ca: ca}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	c.Reconciles("CertificateSigningRequest", func(ev store.Event) {
		if ev.Type != store.Deleted {
			c.Queue.Add(ev.Object.GetName())
		}
	})
	return c
}

func hasCondition(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) bool {
	return slices.ContainsFunc(csr.Status.Conditions, func(c certificatesv1.CertificateSigningRequestCondition) bool {
		return c.Type == t && c.Status == corev1.ConditionTrue
	})
}

// signers are the signer names this controller handles.
var signers = []string{certificatesv1.KubeAPIServerClientSignerName, certificatesv1.KubeAPIServerClientKubeletSignerName}

func (c *Controller) sync(name string) error {
	o, ok := c.Store.Get("CertificateSigningRequest", "", name)
	if !ok {
		return nil
	}
	csr := o.(*certificatesv1.CertificateSigningRequest)
	if !slices.Contains(signers, csr.Spec.SignerName) || !hasCondition(csr, certificatesv1.CertificateApproved) ||
		hasCondition(csr, certificatesv1.CertificateFailed) || len(csr.Status.Certificate) > 0 {
		return nil
	}
	up := csr.DeepCopy()
	req, err := apiserver.ParseCSR(csr.Spec.Request)
	var keyUsage x509.KeyUsage
	if err == nil {
		keyUsage, err = clientUsages(csr.Spec.Usages)
	}
	if err == nil {
		ttl := SigningDuration
		if e := csr.Spec.ExpirationSeconds; e != nil && time.Duration(*e)*time.Second < ttl {
			ttl = time.Duration(*e) * time.Second
		}
		up.Status.Certificate, err = c.ca.Sign(req, c.Engine.Now(), ttl, keyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	}
	if err != nil {
		now := metav1.NewTime(c.Engine.Now())
		up.Status.Certificate = nil
		up.Status.Conditions = append(up.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type: certificatesv1.CertificateFailed, Status: corev1.ConditionTrue, Reason: "SignerValidationFailure",
			Message: err.Error(), LastUpdateTime: now, LastTransitionTime: now})
	}
	_, err = c.Client.UpdateStatus(up)
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // deleted, or changed: the watch brings it back
	}
	return err
}

// clientUsages checks the usages of a client certificate request: client
// auth is required, digital signature and key encipherment are allowed,
// anything else is refused.
func clientUsages(usages []certificatesv1.KeyUsage) (x509.KeyUsage, error) {
	var ku x509.KeyUsage
	client := false
	for _, u := range usages {
		switch u {
		case certificatesv1.UsageClientAuth:
			client = true
		case certificatesv1.UsageDigitalSignature:
			ku |= x509.KeyUsageDigitalSignature
		case certificatesv1.UsageKeyEncipherment:
			ku |= x509.KeyUsageKeyEncipherment
		default:
			return 0, fmt.Errorf("invalid usage for client certificate: %s", u)
		}
	}
	if !client {
		return 0, fmt.Errorf("missing required usage for client certificate: %s", certificatesv1.UsageClientAuth)
	}
	return ku, nil
}
