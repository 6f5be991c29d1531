// Package apiservertest helps tests that run an API server without the
// controller manager: it gives a namespace what the service account and
// root CA publisher controllers would, so that pods pass the
// ServiceAccount admission plugin and their token volume mounts.
package apiservertest

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
)

// CA is the bundle published in tests' kube-root-ca.crt ConfigMaps.
const CA = "-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"

// Namespace creates the namespace name, its default ServiceAccount and
// its kube-root-ca.crt ConfigMap.
func Namespace(c *apiserver.Client, name string) error {
	if _, err := c.Create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		return err
	}
	return Accounts(c, name)
}

// Accounts creates the default ServiceAccount and the kube-root-ca.crt
// ConfigMap of an existing namespace.
func Accounts(c *apiserver.Client, namespace string) error {
	if _, err := c.Create(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: apiserver.DefaultServiceAccountName}}); err != nil {
		return err
	}
	_, err := c.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "kube-root-ca.crt"},
		Data: map[string]string{"ca.crt": CA}})
	return err
}
