package namespace_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/controllers/namespace"
)

func TestNamespaceDeletionCascade(t *testing.T) {
	w := fake.New(5)
	e, st, srv, kube := w.Engine, w.Store, w.Server, w.Admin
	err := apiservertest.Namespace(kube, "team")
	require.NoError(t, err)
	w.AddNode("n1", nil)
	labels := map[string]string{"app": "web"}
	tmpl := fake.Template(labels, "nginx:1.27")
	for _, ns := range []string{"default", "team"} {
		_, err = kube.Create(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}})
		require.NoError(t, err)
		_, err = kube.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: ns}})
		require.NoError(t, err)
		_, err = kube.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-x", Namespace: ns, Labels: labels},
			Spec: corev1.PodSpec{NodeName: "n1", Containers: tmpl.Spec.Containers}})
		require.NoError(t, err)
	}
	namespace.New(e, srv.Client("namespace-controller"), namespace.Config{}).Start()

	require.NoError(t, kube.Delete("Namespace", "", "team", apiserver.DeleteOptions{}))
	e.RunUntil(time.Second)
	_, ok := st.Get("Deployment", "team", "web")
	require.False(t, ok)
	_, ok = st.Get("ConfigMap", "team", "cfg")
	require.False(t, ok)
	o, ok := st.Get("Pod", "team", "web-x")
	require.True(t, ok, "the pod terminates gracefully (30 s)")
	require.NotNil(t, o.GetDeletionTimestamp())
	nso, ok := st.Get("Namespace", "", "team")
	require.True(t, ok, "waits for the pod")
	ns := nso.(*corev1.Namespace)
	require.Equal(t, corev1.NamespaceTerminating, ns.Status.Phase)
	var remaining string
	for _, c := range ns.Status.Conditions {
		if c.Type == corev1.NamespaceContentRemaining {
			require.Equal(t, corev1.ConditionTrue, c.Status)
			remaining = c.Message
		}
	}
	require.Equal(t, "Some resources are remaining: pods. has 1 resource instances", remaining)

	// The kubelet finishes the pod at the end of its grace period.
	e.At(30*time.Second, "kubelet", func() {
		zero := int64(0)
		require.NoError(t, kube.Delete("Pod", "team", "web-x", apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
	})
	e.RunUntil(29 * time.Second)
	_, ok = st.Get("Namespace", "", "team")
	require.True(t, ok)
	e.RunUntil(32 * time.Second)
	_, ok = st.Get("Namespace", "", "team")
	require.False(t, ok, "finalized once empty")
	for _, k := range []string{"Deployment", "ConfigMap", "Pod"} {
		_, ok := st.Get(k, "default", map[string]string{"Deployment": "web", "ConfigMap": "cfg", "Pod": "web-x"}[k])
		require.True(t, ok, "other namespaces untouched: %s", k)
	}
}
