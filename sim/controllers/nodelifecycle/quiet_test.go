package nodelifecycle_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/nodelifecycle"
)

// TestQuietVisitsChangeNothing: a run where quiet nodes take the short
// visit and passes read the nodes through the last pass's states, and the
// same run where every visit is a full one and every pass lists the
// nodes, write the same trace, with the same cause links, and end in the
// same zone states — through nodes going silent (Unknown, NoExecute
// taints, evictions), a whole zone going down (full disruption), kubelets
// coming back, a node status posted with a new heartbeat, a node deleted,
// a node added and the deleted one created again, beside a zone whose
// only node is excluded from disruption counting (dropped from the zone
// states by every pass, and found again by the next).
func TestQuietVisitsChangeNothing(t *testing.T) {
	type outcome struct {
		hash   string
		causes []int64
		zones  map[string]nodelifecycle.ZoneState
		status map[string]corev1.ConditionStatus
	}
	run := func(full bool) outcome {
		nodelifecycle.SetFullVisits(full)
		defer nodelifecycle.SetFullVisits(false)
		nodelifecycle.SetListEveryPass(full)
		defer nodelifecycle.SetListEveryPass(false)
		f := newFixture(t)
		f.Engine.Trace().KeepLinks()
		for i := 0; i < 12; i++ {
			f.addNode(fmt.Sprintf("n-%02d", i), []string{"a", "b", "c"}[i%3])
			f.addPod(fmt.Sprintf("p-%02d", i), fmt.Sprintf("n-%02d", i))
		}
		f.addNode("n-x0", "0") // zone "0" sorts first: handleDisruption drops it
		x, _ := f.Store.Get("Node", "", "n-x0")
		excluded := x.(*corev1.Node).DeepCopy()
		excluded.Labels["node.kubernetes.io/exclude-disruption"] = ""
		_, err := f.Admin.Update(excluded)
		require.NoError(t, err)
		nlc := startControllers(f, nodelifecycle.Config{})
		f.Engine.RunUntil(20 * time.Second)
		for _, n := range []string{"n-01", "n-02", "n-04"} {
			f.silent[n] = true
		}
		f.Engine.RunUntil(2 * time.Minute)
		for i := 0; i < 12; i += 3 { // zone a: every node
			f.silent[fmt.Sprintf("n-%02d", i)] = true
		}
		f.Engine.RunUntil(4 * time.Minute)
		f.revive("n-01")
		f.revive("n-00")
		f.revive("n-05") // never silent: a fresh heartbeat only
		f.Engine.RunUntil(6 * time.Minute)
		// One node goes as another comes: as many nodes as before.
		require.NoError(t, f.Admin.Delete("Node", "", "n-11", apiserverDeleteOptions()))
		f.addNode("n-12", "b")
		f.Engine.RunUntil(10 * time.Minute)
		_, err = f.Admin.Create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n-11", Labels: map[string]string{
			corev1.LabelTopologyZone: "c", corev1.LabelTopologyRegion: "us-east-1"}},
			Status: corev1.NodeStatus{Conditions: healthyConditions(f.now())}})
		require.NoError(t, err)
		f.Engine.RunUntil(15 * time.Minute)

		out := outcome{hash: f.Engine.Trace().Hash(), zones: nlc.ZoneStates(), status: map[string]corev1.ConditionStatus{}}
		for id := int64(1); id <= f.Engine.Trace().Len(); id++ {
			out.causes = append(out.causes, f.Engine.Trace().Cause(id))
		}
		for _, o := range f.Store.List("Node", "") {
			out.status[o.GetName()] = readyStatus(o.(*corev1.Node))
		}
		return out
	}
	quiet, full := run(false), run(true)
	require.Equal(t, full, quiet)
	require.Contains(t, quiet.status, "n-03")
	require.Equal(t, corev1.ConditionUnknown, quiet.status["n-03"], "a silent node went Unknown")
	require.Equal(t, corev1.ConditionTrue, quiet.status["n-01"], "a revived node is Ready")
	require.Contains(t, quiet.status, "n-12")
	require.Contains(t, quiet.status, "n-11")
}
