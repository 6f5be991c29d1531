package clusterautoscaler

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/podutil"
)

// labelCloud puts a node in the group its "group" label names.
type labelCloud struct{ CloudProvider }

func (labelCloud) NodeGroupOf(n *corev1.Node) string { return n.Labels["group"] }

// TestNodeEntriesFollowNodeVersions: the entries groupNodes keeps agree
// with the node objects after every change the loop reads (group label,
// Ready condition, the scale-down-disabled annotation, the ToBeDeleted
// taint) and forget a deleted node.
func TestNodeEntriesFollowNodeVersions(t *testing.T) {
	w := apiservertest.NewWorld(1)
	a := New(w.Engine, w.Admin, labelCloud{}, Options{})
	a.StartInformers(WatchLatency, a.onNode, a.onPod)
	for _, name := range []string{"a", "b"} {
		_, err := w.Admin.Create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"group": "g"}},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}})
		require.NoError(t, err)
	}
	check := func(step string) {
		t.Helper()
		w.Engine.RunUntil(w.Engine.Elapsed() + WatchLatency)
		got := map[string]*nodeEntry{}
		for g, es := range a.groupNodes() {
			for _, e := range es {
				require.Equal(t, g, e.group)
				got[e.node.Name] = e
			}
		}
		for _, o := range w.Store.List("Node", "") {
			n := o.(*corev1.Node)
			fresh := &nodeEntry{node: n, group: n.Labels["group"], ready: podutil.NodeReady(n),
				scaleDownDisabled: n.Annotations[AnnotationScaleDownDisabled] == "true"}
			for _, tn := range n.Spec.Taints {
				fresh.toBeDeleted = fresh.toBeDeleted || tn.Key == TaintToBeDeleted
			}
			if fresh.group == "" {
				require.NotContains(t, got, n.Name, step)
				continue
			}
			require.Equal(t, fresh, got[n.Name], step)
		}
		require.LessOrEqual(t, len(a.groupOf), w.Store.Len("Node"), "%s: no entry outlives its node", step)
	}
	check("created")
	for _, tc := range []struct {
		step   string
		change func(n *corev1.Node)
	}{
		{"not ready", func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }},
		{"scale-down disabled", func(n *corev1.Node) {
			n.Annotations = map[string]string{AnnotationScaleDownDisabled: "true"}
		}},
		{"to be deleted", func(n *corev1.Node) {
			n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: TaintToBeDeleted, Effect: corev1.TaintEffectNoSchedule})
		}},
		{"ready again", func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionTrue }},
		{"enabled", func(n *corev1.Node) { n.Annotations[AnnotationScaleDownDisabled] = "false" }},
		{"untainted", func(n *corev1.Node) { n.Spec.Taints = nil }},
		{"other group", func(n *corev1.Node) { n.Labels["group"] = "h" }},
		{"no group", func(n *corev1.Node) { delete(n.Labels, "group") }},
	} {
		o, ok := w.Store.Get("Node", "", "a")
		require.True(t, ok)
		n := o.(*corev1.Node).DeepCopy()
		tc.change(n)
		_, err := w.Admin.Update(n)
		require.NoError(t, err)
		check(tc.step)
	}
	require.NoError(t, w.Admin.Delete("Node", "", "b", apiserver.DeleteOptions{}))
	check("deleted")
	_, ok := a.groupOf["b"]
	require.False(t, ok)
}
