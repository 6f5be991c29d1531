package endpoints

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
)

// TestAnySelectingFollowsServices: whether a pod's change can queue a
// service follows the Services as they are created, lose or regain their
// selector and are deleted.
func TestAnySelectingFollowsServices(t *testing.T) {
	w := fake.New(1)
	c := New(w.Engine, w.Server.Client(Name), controllerutil.Config{})
	service := func(name string, selector map[string]string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: corev1.ServiceSpec{Selector: selector, Ports: []corev1.ServicePort{{Port: 80}}}}
	}
	setSelector := func(selector map[string]string) {
		o, ok := w.Store.Get("Service", "default", "web")
		require.True(t, ok)
		svc := o.(*corev1.Service).DeepCopy()
		svc.Spec.Selector = selector
		_, err := w.Admin.Update(svc)
		require.NoError(t, err)
	}
	create := func(svc *corev1.Service) {
		_, err := w.Admin.Create(svc)
		require.NoError(t, err)
	}
	web := map[string]string{"app": "web"}
	for _, s := range []struct {
		name string
		do   func()
		want bool
	}{
		{"no service", func() {}, false},
		{"a service without a selector", func() { create(service("api", nil)) }, false},
		{"a service with one", func() { create(service("web", web)) }, true},
		{"its selector removed", func() { setSelector(nil) }, false},
		{"its selector back", func() { setSelector(web) }, true},
		{"it is deleted", func() { require.NoError(t, w.Admin.Delete("Service", "default", "web", apiserver.DeleteOptions{})) }, false},
	} {
		s.do()
		require.Equal(t, s.want, c.anySelecting(), s.name)
	}
}
