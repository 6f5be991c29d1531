package controllerutil

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
)

// TestPerNamespaceKeepsTheObject: the object appears in every namespace,
// old and new, comes back when deleted and, only where Fix is given, is
// put right when changed.
func TestPerNamespaceKeepsTheObject(t *testing.T) {
	for _, keepContent := range []bool{false, true} {
		w := fake.New(1)
		obj := PerNamespaceObject[*corev1.ConfigMap]{Kind: "ConfigMap", Name: "kept",
			New: func() *corev1.ConfigMap { return &corev1.ConfigMap{Data: map[string]string{"k": "v"}} }}
		if keepContent {
			obj.Fix = func(cm *corev1.ConfigMap) bool {
				if cm.Data["k"] == "v" {
					return false
				}
				cm.Data = map[string]string{"k": "v"}
				return true
			}
		}
		NewPerNamespace(w.Engine, w.Server.Client("keeper"), "keeper", Config{}, obj).Start()
		require.NoError(t, apiservertest.Namespace(w.Admin, "other"))
		w.Run(time.Second)
		data := func(ns string) map[string]string {
			o, ok := w.Store.Get("ConfigMap", ns, "kept")
			require.True(t, ok, "no ConfigMap %s/kept", ns)
			return o.(*corev1.ConfigMap).Data
		}
		require.Equal(t, "v", data("default")["k"])
		require.Equal(t, "v", data("other")["k"])

		require.NoError(t, w.Admin.Delete("ConfigMap", "other", "kept", apiserver.DeleteOptions{}))
		changed := fake.Get[*corev1.ConfigMap](t, w.Store, "ConfigMap", "kept").DeepCopy()
		changed.Data = map[string]string{"k": "changed"}
		_, err := w.Admin.Update(changed)
		require.NoError(t, err)
		w.Run(time.Second)
		require.Equal(t, "v", data("other")["k"], "recreated")
		require.Equal(t, map[bool]string{false: "changed", true: "v"}[keepContent], data("default")["k"], "keepContent=%v", keepContent)
	}
}
