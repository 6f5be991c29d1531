// Package pki is the simulated cluster's certificate authority: the CA
// that kube-controller-manager's CSR signer signs client certificates
// with, that the API server trusts for client-certificate
// authentication, and whose certificate every namespace receives as the
// kube-root-ca.crt ConfigMap.
//
// The CA is an Ed25519 key drawn from the engine's "cluster-ca" stream,
// so that a run and its replay sign the same bytes (Ed25519 signatures
// are deterministic). It is a simulator's CA: anyone who knows the seed
// can derive it, which is why `kubesim serve` trusts client certificates
// on loopback addresses only.
package pki

import (
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/kubesim/kubesim/sim"
)

// CA is the cluster's certificate authority.
type CA struct {
	Cert    *x509.Certificate
	CertPEM []byte
	key     ed25519.PrivateKey
	pool    *x509.CertPool
	serials *sim.Rand
}

// zeroReader satisfies the signing API's randomness parameter, which
// Ed25519 does not use.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// New makes the CA of engine's cluster: valid for ten years from the
// engine's virtual time zero (as kubeadm's CA).
func New(e *sim.Engine) (*CA, error) {
	r := e.Rand("cluster-ca")
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(r.UintN(256))
	}
	key := ed25519.NewKeyFromSeed(seed)
	start := e.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetUint64(r.Uint64() >> 1),
		Subject:               pkix.Name{CommonName: "kubernetes"},
		NotBefore:             start,
		NotAfter:              start.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(zeroReader{}, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		key: key, pool: pool, serials: e.Rand("cluster-ca-serials")}, nil
}

// Sign issues a certificate for a certificate request: its subject and
// public key, the given extended key usages, valid from now for ttl
// (backdated five minutes for clock skew, as upstream's signer does). It
// returns the PEM.
func (ca *CA) Sign(req *x509.CertificateRequest, now time.Time, ttl time.Duration, keyUsage x509.KeyUsage, ext []x509.ExtKeyUsage) ([]byte, error) {
	notBefore := now.Add(-5 * time.Minute)
	notAfter := now.Add(ttl)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:   new(big.Int).SetUint64(ca.serials.Uint64() >> 1),
		Subject:        req.Subject,
		NotBefore:      notBefore,
		NotAfter:       notAfter,
		KeyUsage:       keyUsage,
		ExtKeyUsage:    ext,
		DNSNames:       req.DNSNames,
		IPAddresses:    req.IPAddresses,
		EmailAddresses: req.EmailAddresses,
		URIs:           req.URIs,
	}
	der, err := x509.CreateCertificate(zeroReader{}, tmpl, ca.Cert, req.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// VerifyClient checks a client certificate chain against the CA at time
// now and returns the identity it carries: the common name as the user
// name and the organizations as groups.
func (ca *CA) VerifyClient(chain []*x509.Certificate, now time.Time) (name string, groups []string, err error) {
	if len(chain) == 0 {
		return "", nil, errors.New("no client certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	leaf := chain[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.pool, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return "", nil, err
	}
	return leaf.Subject.CommonName, leaf.Subject.Organization, nil
}
