package framework

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestTopologyDomains(t *testing.T) {
	tp := NewTopology()
	node := func(lbls map[string]string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: lbls}}
	}
	a, b, c := NewNodeInfo(nil), NewNodeInfo(nil), NewNodeInfo(nil)
	tp.FillDomains(a, node(map[string]string{corev1.LabelHostname: "a", corev1.LabelTopologyZone: "z1"}))
	tp.FillDomains(b, node(map[string]string{corev1.LabelHostname: "b", corev1.LabelTopologyZone: "z1"}))
	tp.FillDomains(c, node(map[string]string{corev1.LabelHostname: "c", corev1.LabelTopologyZone: ""}))

	require.Equal(t, a.Domain(ZoneKeyID), b.Domain(ZoneKeyID), "same zone, same id")
	require.NotEqual(t, a.Domain(HostnameKeyID), b.Domain(HostnameKeyID))
	require.Equal(t, EmptyDomain, c.Domain(ZoneKeyID), `"" is domain 0`)
	require.Equal(t, 2, tp.NumDomains(ZoneKeyID)) // "" and z1

	rack, known := tp.KeyID("rack")
	require.False(t, known)
	require.Equal(t, int32(-1), a.Domain(rack), "not filled yet: missing")
	tp.FillDomains(a, node(map[string]string{"rack": "r1"}))
	require.Equal(t, int32(1), a.Domain(rack))
	require.Equal(t, int32(-1), a.Domain(ZoneKeyID), "label gone")
	again, known := tp.KeyID("rack")
	require.True(t, known)
	require.Equal(t, rack, again)

	tp.FillDomains(a, nil)
	require.Equal(t, int32(-1), a.Domain(HostnameKeyID))
}
