package kubelet

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/volumeutil"
)

// configKeys looks keys up in the object's own maps: it finds exactly the
// keys of volumeutil.Payload, whichever map of a ConfigMap or a Secret
// holds them.
func TestConfigKeysAgreeWithPayload(t *testing.T) {
	h := newHarness(t, true)
	for _, o := range []store.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "default"},
			Data: map[string]string{"text": "a"}, BinaryData: map[string][]byte{"bin": {1}}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "default"},
			Data: map[string][]byte{"data": {1}}, StringData: map[string]string{"string": "b"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "empty", Namespace: "default"}},
	} {
		_, err := h.Admin.Create(o)
		require.NoError(t, err)
		kind := store.MustKind(o)
		stored, ok := h.Store.Get(kind, "default", o.GetName())
		require.True(t, ok)
		payload := volumeutil.Payload(stored)
		keys, ok := h.k.configKeys(kind, "default", o.GetName())
		require.True(t, ok, o.GetName())
		for _, key := range []string{"text", "bin", "data", "string", "other"} {
			_, want := payload[key]
			require.Equal(t, want, keys.has(key), "%s %s key %s", kind, o.GetName(), key)
		}
	}
	_, ok := h.k.configKeys("ConfigMap", "default", "missing")
	require.False(t, ok)
}
