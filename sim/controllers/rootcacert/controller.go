// Package rootcacert models kube-controller-manager's root CA certificate
// publisher (pkg/controller/certificates/rootcacertpublisher): every
// active namespace has a ConfigMap kube-root-ca.crt whose ca.crt is the
// cluster CA's certificate, restored if it is changed or deleted.
package rootcacert

import (
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component name.
const Name = "root-ca-cert-publisher"

// ConfigMapName is the ConfigMap every namespace gets, and DataKey its key.
const (
	ConfigMapName = "kube-root-ca.crt"
	DataKey       = "ca.crt"
)

// Controller is the root CA certificate publisher.
type Controller struct {
	controllerutil.Base
	caPEM string
}

// New returns a controller writing through client that publishes caPEM.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config, caPEM []byte) *Controller {
	c := &Controller{caPEM: string(caPEM)}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	c.ReconcilesNamespaces()
	c.Handles("ConfigMap", func(ev store.Event) {
		if ev.Object.GetName() == ConfigMapName {
			c.Queue.Add(ev.Object.GetNamespace())
		}
	})
	return c
}

func (c *Controller) sync(ns string) error {
	if !controllerutil.ActiveNamespace(c.Store, ns) {
		return nil
	}
	data := map[string]string{DataKey: c.caPEM}
	cur, ok := c.Store.Get("ConfigMap", ns, ConfigMapName)
	var err error
	switch {
	case !ok:
		_, err = c.Client.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: ConfigMapName}, Data: data})
	case cur.(*corev1.ConfigMap).Data[DataKey] != c.caPEM || len(cur.(*corev1.ConfigMap).Data) != 1:
		up := cur.(*corev1.ConfigMap).DeepCopy()
		up.Data = data
		_, err = c.Client.Update(up)
	}
	if apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
