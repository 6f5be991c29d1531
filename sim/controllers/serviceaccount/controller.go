// Package serviceaccount models kube-controller-manager's service account
// controller (pkg/controller/serviceaccount): every active namespace has
// a ServiceAccount called default, created with the namespace and
// recreated if deleted.
package serviceaccount

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
const Name = "service-account-controller"

// Default is the ServiceAccount every namespace gets.
const Default = "default"

// Controller is the service account controller.
type Controller struct{ controllerutil.Base }

// New returns a controller writing through client.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	c.ReconcilesNamespaces()
	c.Handles("ServiceAccount", func(ev store.Event) {
		if ev.Type == store.Deleted && ev.Object.GetName() == Default {
			c.Queue.Add(ev.Object.GetNamespace())
		}
	})
	return c
}

func (c *Controller) sync(ns string) error {
	if !controllerutil.ActiveNamespace(c.Store, ns) {
		return nil
	}
	if _, ok := c.Store.Get("ServiceAccount", ns, Default); ok {
		return nil
	}
	_, err := c.Client.Create(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: Default}})
	if apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
		return nil
	}
	return err
}
