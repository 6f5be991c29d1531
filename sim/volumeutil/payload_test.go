package volumeutil

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func TestPayload(t *testing.T) {
	cm := &corev1.ConfigMap{Data: map[string]string{"a": "1"}, BinaryData: map[string][]byte{"b": []byte("2")}}
	require.Equal(t, map[string]string{"a": "1", "b": "2"}, Payload(cm))
	sec := &corev1.Secret{Data: map[string][]byte{"a": []byte("old"), "c": []byte("3")}, StringData: map[string]string{"a": "new"}}
	require.Equal(t, map[string]string{"a": "new", "c": "3"}, Payload(sec), "stringData wins, as the API server folds it in")
	require.Empty(t, Payload(&corev1.ConfigMap{}))
	require.NotNil(t, Payload(&corev1.ConfigMap{}), "an empty ConfigMap has an empty payload")
	require.Nil(t, Payload(&corev1.Pod{}))
}
