package serviceaccount

import (
	"encoding/base64"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// TokensName is the tokens controller's component name.
const TokensName = "tokens-controller"

// LegacyIssuer is the issuer of the long-lived tokens the tokens
// controller writes into Secrets.
const LegacyIssuer = "kubernetes/serviceaccount"

// TokensController models kube-controller-manager's service account
// tokens controller (tokens_controller.go): a Secret of type
// kubernetes.io/service-account-token naming a ServiceAccount in its
// kubernetes.io/service-account.name annotation is filled in with a token
// that never expires, the cluster CA and the namespace, and the
// ServiceAccount's UID is recorded on it; a token Secret whose
// ServiceAccount does not exist is deleted.
type TokensController struct {
	controllerutil.Base
	caPEM []byte
	rand  *sim.Rand
}

// NewTokens returns the tokens controller writing through client.
func NewTokens(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config, caPEM []byte) *TokensController {
	c := &TokensController{caPEM: caPEM}
	c.Base = controllerutil.NewBase(engine, client, TokensName, cfg, c.sync)
	c.Handles("Secret", func(ev store.Event) {
		if ev.Type != store.Deleted && ev.Object.(*corev1.Secret).Type == corev1.SecretTypeServiceAccountToken {
			c.Queue.Add(store.KeyOf(ev.Object))
		}
	})
	c.Handles("ServiceAccount", func(ev store.Event) {
		if ev.Type != store.Deleted {
			return
		}
		for _, o := range c.Store.List("Secret", ev.Object.GetNamespace()) {
			if s := o.(*corev1.Secret); s.Type == corev1.SecretTypeServiceAccountToken &&
				s.Annotations[corev1.ServiceAccountNameKey] == ev.Object.GetName() {
				c.Queue.Add(store.KeyOf(s))
			}
		}
	})
	c.OnStart(func() {
		for _, o := range c.Store.List("Secret", "") {
			if o.(*corev1.Secret).Type == corev1.SecretTypeServiceAccountToken {
				c.Queue.Add(store.KeyOf(o))
			}
		}
	})
	return c
}

func (c *TokensController) sync(key string) error {
	ns, name := store.SplitKey(key)
	o, ok := c.Store.Get("Secret", ns, name)
	if !ok || o.GetDeletionTimestamp() != nil {
		return nil
	}
	secret := o.(*corev1.Secret)
	saName := secret.Annotations[corev1.ServiceAccountNameKey]
	if saName == "" {
		return nil // validation requires the annotation
	}
	sa, ok := c.Store.Get("ServiceAccount", ns, saName)
	if !ok || (secret.Annotations[corev1.ServiceAccountUIDKey] != "" && secret.Annotations[corev1.ServiceAccountUIDKey] != string(sa.GetUID())) {
		// The ServiceAccount is gone (or was recreated): the token goes.
		err := c.Client.Delete("Secret", ns, name, apiserver.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	if len(secret.Data[corev1.ServiceAccountTokenKey]) > 0 && len(secret.Data[corev1.ServiceAccountRootCAKey]) > 0 &&
		string(secret.Data[corev1.ServiceAccountNamespaceKey]) == ns && secret.Annotations[corev1.ServiceAccountUIDKey] == string(sa.GetUID()) {
		return nil
	}
	up := secret.DeepCopy()
	if up.Data == nil {
		up.Data = map[string][]byte{}
	}
	if len(up.Data[corev1.ServiceAccountTokenKey]) == 0 {
		up.Data[corev1.ServiceAccountTokenKey] = []byte(c.token(ns, name, saName, string(sa.GetUID())))
	}
	up.Data[corev1.ServiceAccountRootCAKey] = c.caPEM
	up.Data[corev1.ServiceAccountNamespaceKey] = []byte(ns)
	up.Annotations[corev1.ServiceAccountUIDKey] = string(sa.GetUID())
	_, err := c.Client.Update(up)
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// token is a legacy service account JWT: the claims upstream's legacy
// tokens carry, no expiry, and a signature drawn from the simulation's
// randomness (the API server accepts it because the Secret holding it
// exists, as upstream also checks).
func (c *TokensController) token(ns, secret, sa, uid string) string {
	if c.rand == nil {
		c.rand = c.Engine.Rand(TokensName)
	}
	claims, _ := json.Marshal(map[string]string{
		"iss":                                    LegacyIssuer,
		"kubernetes.io/serviceaccount/namespace": ns,
		"kubernetes.io/serviceaccount/secret.name":          secret,
		"kubernetes.io/serviceaccount/service-account.name": sa,
		"kubernetes.io/serviceaccount/service-account.uid":  uid,
		"sub": "system:serviceaccount:" + ns + ":" + sa,
	})
	sig := make([]byte, 256)
	for i := range sig {
		sig[i] = byte(c.rand.IntN(256))
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"kubesim"}`)) + "." + enc(claims) + "." + enc(sig)
}
