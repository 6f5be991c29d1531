// Package serviceaccount models kube-controller-manager's service account
// controller (pkg/controller/serviceaccount): every active namespace has
// a ServiceAccount called default, created with the namespace and
// recreated if deleted.
package serviceaccount

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
)

// Name is the component name.
const Name = "service-account-controller"

// Default is the ServiceAccount every namespace gets.
const Default = "default"

// Controller is the service account controller.
type Controller = controllerutil.PerNamespace[*corev1.ServiceAccount]

// New returns a controller writing through client.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	return controllerutil.NewPerNamespace(engine, client, Name, cfg, controllerutil.PerNamespaceObject[*corev1.ServiceAccount]{
		Kind: "ServiceAccount", Name: Default,
		New: func() *corev1.ServiceAccount { return &corev1.ServiceAccount{} },
	})
}
