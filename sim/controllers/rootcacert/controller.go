// Package rootcacert models kube-controller-manager's root CA certificate
// publisher (pkg/controller/certificates/rootcacertpublisher): every
// active namespace has a ConfigMap kube-root-ca.crt whose ca.crt is the
// cluster CA's certificate, restored if it is changed or deleted.
package rootcacert

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
)

// Name is the component name.
const Name = "root-ca-cert-publisher"

// ConfigMapName is the ConfigMap every namespace gets, and DataKey its key.
const (
	ConfigMapName = "kube-root-ca.crt"
	DataKey       = "ca.crt"
)

// Controller is the root CA certificate publisher.
type Controller = controllerutil.PerNamespace[*corev1.ConfigMap]

// New returns a controller writing through client that publishes caPEM.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config, caPEM []byte) *Controller {
	pem := string(caPEM)
	return controllerutil.NewPerNamespace(engine, client, Name, cfg, controllerutil.PerNamespaceObject[*corev1.ConfigMap]{
		Kind: "ConfigMap", Name: ConfigMapName,
		New: func() *corev1.ConfigMap { return &corev1.ConfigMap{Data: map[string]string{DataKey: pem}} },
		Fix: func(cm *corev1.ConfigMap) bool {
			if cm.Data[DataKey] == pem && len(cm.Data) == 1 {
				return false
			}
			cm.Data = map[string]string{DataKey: pem}
			return true
		},
	})
}
