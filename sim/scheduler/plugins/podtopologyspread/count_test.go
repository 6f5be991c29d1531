package podtopologyspread

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim/scheduler/cache"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

// TestCountGoesOnExactly: a counter that counted a list before gives,
// after each change to the cache, the counts and touched order of a
// counter counting everything afresh; it goes on from where it stopped
// only when pods were merely added (continued), and counts again after
// a removal, a deletion mark, renumbered nodes or another selector.
func TestCountGoesOnExactly(t *testing.T) {
	web := labels.SelectorFromSet(labels.Set{"app": "web"})
	webAgain := labels.SelectorFromSet(labels.Set{"app": "web"}) // equal, built apart
	c := cache.New()
	for _, n := range []string{"a", "b", "c"} {
		c.AddNode(st.Node(n, "4", "8Gi", 110).Obj())
	}
	labelsOf := map[string]string{"app": "web"} // one template's map
	pod := func(name, node string) *corev1.Pod {
		p := st.Pod(name).Node(node).Obj()
		p.Labels = labelsOf
		return p
	}
	c.AddPod(pod("w1", "a"))
	c.AddPod(pod("w2", "b"))
	c.AddPod(st.Pod("db").Label("app", "db").Node("c").Obj())

	steps := []struct {
		name      string
		change    func()
		sel       labels.Selector
		continued bool
	}{
		{"nothing changed", func() {}, web, true},
		{"pods added", func() { c.AddPod(pod("w3", "a")); c.AddPod(pod("w4", "c")) }, web, true},
		{"a pod of another label added", func() { c.AddPod(st.Pod("db2").Label("app", "db").Node("a").Obj()) }, web, true},
		{"a pod removed", func() { c.RemovePod(pod("w2", "b")) }, web, false},
		{"a pod marked for deletion", func() {
			p := pod("w3", "a")
			p.DeletionTimestamp = &metav1.Time{}
			c.UpdatePod(p)
		}, web, false},
		{"a node added", func() { c.AddNode(st.Node("d", "4", "8Gi", 110).Obj()); c.AddPod(pod("w5", "d")) }, web, false},
		{"a node removed", func() { c.RemoveNode(st.Node("a", "4", "8Gi", 110).Obj()) }, web, false},
		{"an equal selector built apart", func() { c.AddPod(pod("w6", "b")) }, webAgain, false},
		{"the same one again, a pod added", func() { c.AddPod(pod("w7", "c")) }, webAgain, true},
	}
	var pc podCounter
	pc.count(c, &constraint{Selector: web, hint: labelPair{"app", "web"}, hasHint: true}, "default", len(c.NodeInfos()))
	for _, s := range steps {
		s.change()
		cs := &constraint{Selector: s.sel, hint: labelPair{"app", "web"}, hasHint: true}
		n := len(c.NodeInfos())
		continued := pc.of.continues(c.PodsEpoch(), cs, "default", n)
		pc.count(c, cs, "default", n)
		var fresh podCounter
		fresh.count(c, cs, "default", n)
		require.Equal(t, s.continued, continued, s.name)
		require.Equal(t, fresh.touched, pc.touched, s.name)
		require.Equal(t, fresh.counts[:n], pc.counts[:n], s.name)
		require.NotEmpty(t, pc.touched, s.name)
	}
}
