package cache_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	. "github.com/kubesim/kubesim/sim/scheduler/cache"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

// Domain ids follow node adds, label updates and removals, and a key
// registered late is filled in on every node.
func TestTopologyDomainsFollowNodes(t *testing.T) {
	c := New()
	c.AddNode(st.Node("a", "1", "1Gi", 10).Zone("z1").Label("rack", "r1").Obj())
	c.AddNode(st.Node("b", "1", "1Gi", 10).Zone("z2").Obj())
	zone := c.TopologyKeyID(corev1.LabelTopologyZone)
	rack := c.TopologyKeyID("rack")
	a, b := c.Get("a"), c.Get("b")
	require.NotEqual(t, a.Domain(zone), b.Domain(zone))
	require.GreaterOrEqual(t, a.Domain(rack), int32(0))
	require.Equal(t, int32(-1), b.Domain(rack))

	old := b.Node()
	c.UpdateNode(old, st.Node("b", "1", "1Gi", 10).Zone("z1").Label("rack", "r1").Obj())
	require.Equal(t, a.Domain(zone), b.Domain(zone))
	require.Equal(t, a.Domain(rack), b.Domain(rack))
	require.LessOrEqual(t, int(a.Domain(rack)), c.NumTopologyDomains(rack)-1)

	c.AddNode(st.Node("c", "1", "1Gi", 10).Label("rack", "r2").Obj())
	require.Equal(t, int32(-1), c.Get("c").Domain(zone))
	require.NotEqual(t, a.Domain(rack), c.Get("c").Domain(rack))
	require.True(t, c.Get("c").Unschedulable == false && len(c.Get("c").Taints) == 0)

	cordoned := st.Node("c", "1", "1Gi", 10).Unschedulable().Taint("k", "v", corev1.TaintEffectNoSchedule).Obj()
	c.UpdateNode(c.Get("c").Node(), cordoned)
	require.True(t, c.Get("c").Unschedulable)
	require.Len(t, c.Get("c").Taints, 1)
}
