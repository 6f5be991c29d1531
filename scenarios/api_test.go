package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func TestAPIActionParsesAndChecks(t *testing.T) {
	const head = "name: api\nduration: 5m\ncluster:\n  nodeGroups: [{name: general, instanceType: m5.large, count: 1}]\ntimeline:\n"
	s, err := Parse("api.yaml", []byte(head+`  - at: 1m
    api:
      verb: create
      user: kubectl
      kind: ConfigMap
      namespace: default
      name: c
      object: {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: default, resourceVersion: "12"}, data: {n: "1000000"}}
  - at: 2m
    api: {verb: delete, kind: Pod, namespace: default, name: p, gracePeriodSeconds: 0, propagationPolicy: Foreground}
`), nil)
	require.NoError(t, err)
	require.Len(t, s.Timeline, 2)
	c := s.Timeline[0].Do.(*APIRequest)
	require.Equal(t, "create", c.Verb)
	cm := c.APIObject().(*corev1.ConfigMap)
	require.Equal(t, "1000000", cm.Data["n"])
	require.Equal(t, "12", cm.ResourceVersion, "server-set metadata is kept (an update's resourceVersion)")
	d := s.Timeline[1].Do.(*APIRequest)
	require.EqualValues(t, 0, *d.GracePeriodSeconds)
	require.Equal(t, "Foreground", d.Propagation)

	_, err = Parse("api.yaml", []byte(head+"  - at: 1m\n    api: {verb: crate, kind: ConfigMap, name: c}\n"), nil)
	require.ErrorContains(t, err, `unknown verb "crate"`)
	require.ErrorContains(t, err, "create")
	_, err = Parse("api.yaml", []byte(head+"  - at: 1m\n    api: {verb: delete, kind: Widget, name: c}\n"), nil)
	require.ErrorContains(t, err, `unknown kind "Widget"`)
}
