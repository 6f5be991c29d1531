package cache_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	. "github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

// requireRowsCurrent checks that every listed node's row is what its
// NodeInfo's fields make it, and that no clone's change reaches a row.
func requireRowsCurrent(t *testing.T, c *Cache, step int) {
	t.Helper()
	nodes := c.NodeInfos()
	rows := c.Table().Rows
	require.Len(t, rows, len(nodes), "step %d", step)
	for i, ni := range nodes {
		require.Equal(t, ni.Row(), rows[i], "step %d: row %d (%s)", step, i, ni.Name())
	}
}

// TestTableRowsFollowEveryChange drives a cache through random node and
// pod changes (nodes added, cordoned, tainted, resized, relabelled into
// another zone, given other images, removed with their pods still
// there; pods bound and deleted; clones changed) and checks after each
// step that every row equals its node's fields: the rows the filter and
// the score plugins read cannot go stale.
func TestTableRowsFollowEveryChange(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	c := New()
	c.TopologyKeyID(corev1.LabelTopologyZone)
	node := func(i int) *corev1.Node {
		n := st.Node(fmt.Sprintf("n%02d", i), fmt.Sprint(1+r.IntN(4)), fmt.Sprintf("%dGi", 1+r.IntN(8)), int64(1+r.IntN(4))).
			Zone(fmt.Sprint("z", r.IntN(3)))
		if r.IntN(4) == 0 {
			n.Taint("k", "v", corev1.TaintEffectPreferNoSchedule)
		}
		if r.IntN(5) == 0 {
			n.Unschedulable()
		}
		if r.IntN(2) == 0 {
			n.Image(fmt.Sprint("img", r.IntN(3), ":1"), 100<<20)
		}
		return n.Obj()
	}
	var pods []*corev1.Pod
	for step := 0; step < 2000; step++ {
		switch op := r.IntN(10); {
		case op < 3:
			c.AddNode(node(r.IntN(20))) // new, or an update of the node's object
		case op == 3:
			c.RemoveNode(node(r.IntN(20)))
		case op < 7:
			p := st.Pod(fmt.Sprint("p", step)).Req(fmt.Sprint(100*r.IntN(5), "m"), fmt.Sprint(r.IntN(300), "Mi")).
				Node(fmt.Sprintf("n%02d", r.IntN(20))).Obj()
			c.AddPod(p)
			pods = append(pods, p)
		case op < 9 && len(pods) > 0:
			k := r.IntN(len(pods))
			c.RemovePod(pods[k])
			pods = append(pods[:k], pods[k+1:]...)
		default:
			if nodes := c.NodeInfos(); len(nodes) > 0 {
				ni := nodes[r.IntN(len(nodes))]
				before := c.Table().Rows[ni.Index]
				cl := ni.Clone()
				cl.AddPodInfoToClone(framework.NewPodInfo(st.Pod("what-if").Req("1", "1Gi").Obj()))
				for _, pi := range ni.Pods {
					cl.RemovePodInfoFromClone(pi)
				}
				require.Equal(t, before, c.Table().Rows[ni.Index], "step %d: a clone's change reached the row", step)
			}
		}
		requireRowsCurrent(t, c, step)
	}
}
