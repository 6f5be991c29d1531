package cache_test

import (
	"fmt"
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

// The live domain count follows node adds, label changes and removals
// (a missing label is the empty domain), which PodTopologySpread relies
// on to stop collecting domains early.
func TestLiveTopologyDomains(t *testing.T) {
	c := New()
	zone := c.TopologyKeyID(corev1.LabelTopologyZone)
	require.Equal(t, 0, c.NumLiveTopologyDomains(zone))
	c.AddNode(st.Node("a", "1", "1Gi", 10).Zone("z1").Obj())
	c.AddNode(st.Node("b", "1", "1Gi", 10).Zone("z1").Obj())
	require.Equal(t, 1, c.NumLiveTopologyDomains(zone))
	c.AddNode(st.Node("c", "1", "1Gi", 10).Obj()) // no zone: the empty domain
	require.Equal(t, 2, c.NumLiveTopologyDomains(zone))
	c.UpdateNode(c.Get("b").Node(), st.Node("b", "1", "1Gi", 10).Zone("z2").Obj())
	require.Equal(t, 3, c.NumLiveTopologyDomains(zone))
	c.RemoveNode(c.Get("a").Node())
	c.RemoveNode(c.Get("c").Node())
	require.Equal(t, 1, c.NumLiveTopologyDomains(zone), "only z2 is left")
	rack := c.TopologyKeyID("rack") // registered late: filled on every node
	require.Equal(t, 1, c.NumLiveTopologyDomains(rack), "b has no rack: the empty domain")
	require.Equal(t, 1, c.NumLiveTopologyDomains(zone), "refilling counts each node once")
}

// DomainsByIndex is every listed node's Domain, by list index, after node
// adds, in-place label changes, zone moves, removals and a late key.
func TestDomainsByIndexFollowNodes(t *testing.T) {
	c := New()
	zone := c.TopologyKeyID(corev1.LabelTopologyZone)
	check := func(keys ...int) {
		t.Helper()
		for _, k := range keys {
			row := c.DomainsByIndex(k)
			list := c.NodeInfos()
			require.Len(t, row, len(list))
			for i, ni := range list {
				require.Equal(t, ni.Domain(k), row[i], "node %s key %d", ni.Name(), k)
			}
		}
	}
	for i := range 6 {
		c.AddNode(st.Node(fmt.Sprint("n", i), "1", "1Gi", 10).Zone(fmt.Sprint("z", i%3)).Obj())
	}
	check(zone)
	rack := c.TopologyKeyID("rack")
	check(zone, rack)
	c.NodeInfos()
	c.UpdateNode(c.Get("n1").Node(), st.Node("n1", "1", "1Gi", 10).Zone("z1").Label("rack", "r1").Obj()) // in place
	check(zone, rack)
	c.UpdateNode(c.Get("n2").Node(), st.Node("n2", "1", "1Gi", 10).Zone("z0").Obj()) // moves in the list
	check(zone, rack)
	c.RemoveNode(c.Get("n0").Node())
	check(zone, rack)
}

// A node written with its labels map kept (a status write) keeps its
// domains, its place in the list and the live counts; one written with
// new labels, in a new map or in the same map's copy, takes the new
// domains, as a cache that saw the final nodes only.
func TestNodeStatusWriteKeepsDomains(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(old *corev1.Node) *corev1.Node
	}{
		{"status only", func(old *corev1.Node) *corev1.Node {
			n := old.DeepCopy()
			n.Labels = old.Labels // the shallow copy of a status write
			n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse}}
			return n
		}},
		{"same labels, another map", func(old *corev1.Node) *corev1.Node { return old.DeepCopy() }},
		{"moved to another zone", func(old *corev1.Node) *corev1.Node {
			n := old.DeepCopy()
			n.Labels[corev1.LabelTopologyZone] = "z9"
			return n
		}},
		{"rack label added", func(old *corev1.Node) *corev1.Node {
			n := old.DeepCopy()
			n.Labels["rack"] = "r1"
			return n
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, fresh := New(), New()
			var final []*corev1.Node
			for i := range 6 {
				n := st.Node(fmt.Sprint("n", i), "1", "1Gi", 10).Zone(fmt.Sprint("z", i%3)).Obj()
				c.AddNode(n)
				if i == 4 {
					n2 := tc.write(n)
					c.UpdateNode(n, n2)
					n = n2
				}
				final = append(final, n)
			}
			for _, n := range final {
				fresh.AddNode(n)
			}
			for _, key := range []string{corev1.LabelTopologyZone, "rack"} {
				k, fk := c.TopologyKeyID(key), fresh.TopologyKeyID(key)
				require.Equal(t, fresh.NumLiveTopologyDomains(fk), c.NumLiveTopologyDomains(k), key)
				var names, freshNames []string
				for i, ni := range c.NodeInfos() {
					names = append(names, ni.Name())
					require.Equal(t, ni.Domain(k), c.DomainsByIndex(k)[i])
					require.Equal(t, ni.Domain(k) < 0, fresh.Get(ni.Name()).Domain(fk) < 0, "%s %s", key, ni.Name())
				}
				for _, ni := range fresh.NodeInfos() {
					freshNames = append(freshNames, ni.Name())
				}
				require.Equal(t, freshNames, names, "list order")
			}
			require.Equal(t, c.Get("n4").Domain(c.TopologyKeyID(corev1.LabelTopologyZone)) == c.Get("n1").Domain(c.TopologyKeyID(corev1.LabelTopologyZone)),
				final[4].Labels[corev1.LabelTopologyZone] == final[1].Labels[corev1.LabelTopologyZone])
		})
	}
}
