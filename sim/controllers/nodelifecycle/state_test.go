package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/store"
)

// requireFresh checks the facts a nodeState keeps of its node against the
// same facts computed from the node itself.
func requireFresh(t *testing.T, st *nodeState, n *corev1.Node) {
	t.Helper()
	require.Same(t, n, st.node)
	require.Equal(t, ZoneKey(n), st.zone)
	_, excluded := n.Labels[labelExcludeDisruption]
	require.Equal(t, excluded, st.excluded)
	require.Equal(t, readyCondition(n), st.ready)
}

// TestNodeStateFollowsNewVersions: the facts a monitor pass reads from a
// nodeState agree with the node after every change that matters to them
// (zone labels, the exclude-disruption label, the Ready condition coming,
// changing and going), because each new version of the node refreshes
// them.
func TestNodeStateFollowsNewVersions(t *testing.T) {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{
		corev1.LabelTopologyRegion: "us-east-1", corev1.LabelTopologyZone: "us-east-1a"}}}
	st := &nodeState{}
	st.observe(n)
	requireFresh(t, st, n)
	require.Nil(t, st.ready)

	steps := []func(*corev1.Node){
		func(n *corev1.Node) { n.Labels[corev1.LabelTopologyZone] = "us-east-1b" },
		func(n *corev1.Node) { n.Labels[labelExcludeDisruption] = "" },
		func(n *corev1.Node) {
			n.Status.Conditions = []corev1.NodeCondition{
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse},
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
		},
		func(n *corev1.Node) { n.Status.Conditions[1].Status = corev1.ConditionUnknown },
		func(n *corev1.Node) { delete(n.Labels, labelExcludeDisruption) },
		func(n *corev1.Node) { n.Status.Conditions = n.Status.Conditions[:1] },
		func(n *corev1.Node) { n.Labels = nil },
	}
	for i, change := range steps {
		before := *st
		next := st.node.DeepCopy()
		change(next)
		st.observe(next)
		requireFresh(t, st, next)
		require.NotEqual(t, before, *st, "step %d changed a fact", i)
		// Observing the same version again keeps the facts.
		st.observe(next)
		requireFresh(t, st, next)
	}
}

// TestObserveLeaseSkipsOnlyTheSameLease: the probe time moves when the
// store holds a new Lease with a later renew time, and stays for the same
// Lease object, for a new one renewed no later, and after the health was
// reset (which forgets the Lease it compared with).
func TestObserveLeaseSkipsOnlyTheSameLease(t *testing.T) {
	w := apiservertest.NewWorld(1, corev1.NamespaceNodeLease)
	c := New(w.Engine, w.Admin, Config{})
	renew := func(d int) *coordinationv1.Lease {
		at := metav1.NewMicroTime(sim.Epoch.Add(time.Duration(d) * time.Second))
		name := "n"
		return &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: corev1.NamespaceNodeLease},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: &name, RenewTime: &at}}
	}
	_, err := w.Admin.Create(renew(10))
	require.NoError(t, err)
	h := &nodeHealth{}
	var ref store.Ref
	c.observeLease("n", &ref, h, 5)
	require.EqualValues(t, 5, h.probe, "first Lease seen")

	c.observeLease("n", &ref, h, 6)
	require.EqualValues(t, 5, h.probe, "same Lease object")

	o, _ := w.Store.Get("Lease", corev1.NamespaceNodeLease, "n")
	l := renew(10)
	l.ResourceVersion = o.GetResourceVersion()
	l.Spec.HolderIdentity = nil
	_, err = w.Admin.Update(l)
	require.NoError(t, err)
	c.observeLease("n", &ref, h, 7)
	require.EqualValues(t, 5, h.probe, "a new Lease object renewed no later")

	o, _ = w.Store.Get("Lease", corev1.NamespaceNodeLease, "n")
	l = renew(20)
	l.ResourceVersion = o.GetResourceVersion()
	_, err = w.Admin.Update(l)
	require.NoError(t, err)
	c.observeLease("n", &ref, h, 8)
	require.EqualValues(t, 8, h.probe, "renewed later")
	c.observeLease("n", &ref, h, 9)
	require.EqualValues(t, 8, h.probe)

	*h = nodeHealth{probe: 1}
	c.observeLease("n", &ref, h, 10)
	require.EqualValues(t, 10, h.probe, "a reset health takes the Lease as new")
}

// BenchmarkMonitorPass5000 is one monitor pass over 5,000 healthy nodes,
// half of which renewed their Lease since the previous pass (the steady
// state: kubelets renew every 10 s, the monitor passes every 5 s), with
// quiet visits and with full visits only.
func BenchmarkMonitorPass5000(b *testing.B) {
	b.Run("quiet", func(b *testing.B) { benchmarkMonitorPass(b, false) })
	b.Run("full", func(b *testing.B) { benchmarkMonitorPass(b, true) })
}

func benchmarkMonitorPass(b *testing.B, full bool) {
	noQuietVisits = full
	defer func() { noQuietVisits = false }()
	w := apiservertest.NewWorld(1, corev1.NamespaceNodeLease)
	c := New(w.Engine, w.Admin, Config{})
	now := metav1.NewTime(w.Engine.Now())
	leases := make([]*coordinationv1.Lease, 5000)
	for i := range leases {
		name := fmt.Sprintf("n-%04d", i)
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			corev1.LabelTopologyZone: fmt.Sprintf("z%d", i%3), corev1.LabelTopologyRegion: "us-east-1"}},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
				LastHeartbeatTime: now, LastTransitionTime: now}}}}
		_, err := w.Admin.Create(n)
		require.NoError(b, err)
		renew := metav1.NewMicroTime(w.Engine.Now())
		o, err := w.Admin.Create(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: corev1.NamespaceNodeLease},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: &name, RenewTime: &renew}})
		require.NoError(b, err)
		leases[i] = o.(*coordinationv1.Lease)
	}
	c.monitorNodeHealth()
	c.monitorNodeHealth()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w.Engine.RunUntil(w.Engine.Elapsed() + 5*time.Second)
		renew := metav1.NewMicroTime(w.Engine.Now())
		for j := i % 2; j < len(leases); j += 2 {
			l := leases[j].DeepCopy()
			l.Spec.RenewTime = &renew
			o, err := w.Admin.Update(l)
			require.NoError(b, err)
			leases[j] = o.(*coordinationv1.Lease)
		}
		b.StartTimer()
		c.monitorNodeHealth()
	}
}
