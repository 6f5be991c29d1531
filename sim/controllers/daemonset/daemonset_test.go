package daemonset

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

func newDS(name, image string) *appsv1.DaemonSet {
	l := map[string]string{"app": name}
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: fake.Template(l, image),
		},
	}
}

func getDS(t *testing.T, w *fake.World, name string) *appsv1.DaemonSet {
	return fake.Get[*appsv1.DaemonSet](t, w.Store, "DaemonSet", name)
}

// podNodes maps node -> active daemon pod names pinned or bound there.
func podNodes(w *fake.World) map[string]int {
	out := map[string]int{}
	for _, p := range w.Pods() {
		if podutil.IsActive(p) {
			out[targetNode(p)]++
		}
	}
	return out
}

func TestSyncPlacesOnePodPerEligibleNode(t *testing.T) {
	w := fake.New(1)
	w.AddNode("plain", map[string]string{"pool": "a"})
	w.AddNode("cordoned", map[string]string{"pool": "a"}, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	w.AddNode("notready", map[string]string{"pool": "a"}, corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute})
	w.AddNode("pressure", map[string]string{"pool": "a"}, corev1.Taint{Key: corev1.TaintNodeMemoryPressure, Effect: corev1.TaintEffectNoSchedule})
	w.AddNode("dedicated", map[string]string{"pool": "a"}, corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule})
	w.AddNode("netdown", map[string]string{"pool": "a"}, corev1.Taint{Key: corev1.TaintNodeNetworkUnavailable, Effect: corev1.TaintEffectNoSchedule})
	w.AddNode("otherpool", map[string]string{"pool": "b"})
	ds := newDS("agent", "agent:1")
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"pool": "a"}
	_, err := w.Admin.Create(ds)
	require.NoError(t, err)
	c := New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig())
	require.NoError(t, c.sync("default/agent"))

	require.Equal(t, map[string]int{"plain": 1, "cordoned": 1, "notready": 1, "pressure": 1}, podNodes(w))
	ds = getDS(t, w, "agent")
	revs := controllerutil.ControlledBy(w.Store, "ControllerRevision", ds)
	require.Len(t, revs, 1)
	cr := revs[0].(*appsv1.ControllerRevision)
	hash := cr.Labels[HashLabel]
	require.Equal(t, "agent-"+hash, cr.Name)
	require.Equal(t, int64(1), cr.Revision)
	for _, p := range w.Pods() {
		require.Equal(t, hash, p.Labels[HashLabel])
		require.Equal(t, "", p.Spec.NodeName, "the scheduler binds daemon pods")
		terms := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		require.Len(t, terms, 1)
		require.Equal(t, "metadata.name", terms[0].MatchFields[0].Key)
		var keys []string
		for _, tol := range p.Spec.Tolerations {
			keys = append(keys, tol.Key+":"+string(tol.Effect))
			if tol.Key == corev1.TaintNodeNotReady {
				require.Nil(t, tol.TolerationSeconds, "daemon pods tolerate not-ready forever")
			}
		}
		require.ElementsMatch(t, []string{
			"node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/unreachable:NoExecute",
			"node.kubernetes.io/disk-pressure:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule",
			"node.kubernetes.io/pid-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule",
		}, keys)
		require.Contains(t, w.Events("DaemonSet", "agent"), "SuccessfulCreate: Created pod: "+p.Name)
	}
	require.NoError(t, c.sync("default/agent"))
	require.Len(t, w.Pods(), 4, "expectations: no second round of creates")
}

func TestHostNetworkToleratesNetworkUnavailable(t *testing.T) {
	ds := newDS("cni", "cni:1")
	ds.Spec.Template.Spec.HostNetwork = true
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: corev1.TaintNodeNetworkUnavailable, Effect: corev1.TaintEffectNoSchedule}}}}
	run, cont := ShouldRun(node, ds)
	require.True(t, run)
	require.True(t, cont)
	ds.Spec.Template.Spec.HostNetwork = false
	run, cont = ShouldRun(node, ds)
	require.False(t, run)
	require.True(t, cont, "NoSchedule does not evict a running daemon")
	node.Spec.Taints = []corev1.Taint{{Key: "x", Effect: corev1.TaintEffectNoExecute}}
	run, cont = ShouldRun(node, ds)
	require.False(t, run)
	require.False(t, cont)
}

func newWorld(t *testing.T, nodes int) (*fake.World, *Controller) {
	w := fake.New(3)
	for i := 1; i <= nodes; i++ {
		w.AddNode(fmt.Sprintf("n%d", i), map[string]string{"pool": "a"})
	}
	w.RunScheduler()
	w.RunKubelet()
	c := New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig())
	c.Start()
	return w, c
}

func TestNewNodeGetsPodAndStatus(t *testing.T) {
	w, _ := newWorld(t, 2)
	_, err := w.Admin.Create(newDS("agent", "agent:1"))
	require.NoError(t, err)
	w.Run(5 * time.Second)
	w.AddNode("n3", map[string]string{"pool": "a"})
	w.Run(5 * time.Second)
	require.Equal(t, map[string]int{"n1": 1, "n2": 1, "n3": 1}, podNodes(w))
	ds := getDS(t, w, "agent")
	require.Equal(t, appsv1.DaemonSetStatus{
		DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 3, NumberAvailable: 3,
		UpdatedNumberScheduled: 3, ObservedGeneration: 1,
	}, ds.Status)

	// A node relabelled out of the selector loses its pod.
	o, _ := w.Store.Get("Node", "", "n2")
	n := o.(*corev1.Node).DeepCopy()
	ds = ds.DeepCopy()
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"pool": "a"}
	_, err = w.Admin.Update(ds)
	require.NoError(t, err)
	w.Run(10 * time.Second)
	n.Labels["pool"] = "b"
	_, err = w.Admin.Update(n)
	require.NoError(t, err)
	w.Run(10 * time.Second)
	require.Equal(t, map[string]int{"n1": 1, "n3": 1}, podNodes(w))
	require.Equal(t, int32(2), getDS(t, w, "agent").Status.DesiredNumberScheduled)
}

func TestRollingUpdateOneNodeAtATime(t *testing.T) {
	w, _ := newWorld(t, 4)
	_, err := w.Admin.Create(newDS("agent", "agent:1"))
	require.NoError(t, err)
	w.Run(5 * time.Second)
	ds := getDS(t, w, "agent").DeepCopy()
	ds.Spec.Template.Spec.Containers[0].Image = "agent:2"
	_, err = w.Admin.Update(ds)
	require.NoError(t, err)
	maxDown := 0
	w.Engine.AfterStep = func() {
		_, avail := w.CountPods(nil)
		maxDown = max(maxDown, 4-avail)
	}
	w.Run(2 * time.Minute)
	w.Engine.AfterStep = nil
	require.Equal(t, 1, maxDown, "maxUnavailable 1")
	active, avail := w.CountPods(func(p *corev1.Pod) bool { return p.Spec.Containers[0].Image == "agent:2" })
	require.Equal(t, 4, active)
	require.Equal(t, 4, avail)
	st := getDS(t, w, "agent").Status
	require.Equal(t, int32(4), st.UpdatedNumberScheduled)
	require.Equal(t, int64(2), st.ObservedGeneration)
	revs := controllerutil.ControlledBy(w.Store, "ControllerRevision", ds)
	require.Len(t, revs, 2)
}

// BenchmarkDaemonSetManyNodes adds nodes one every 12 ms (5,000 in a
// minute) under one DaemonSet: go test -bench ManyNodes -benchtime 1x.
func BenchmarkDaemonSetManyNodes(b *testing.B) {
	for i := 0; i < b.N; i++ {
		w := fake.New(1)
		w.RunScheduler()
		w.RunKubelet()
		New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig()).Start()
		_, err := w.Admin.Create(newDS("agent", "agent:1"))
		require.NoError(b, err)
		const n = 5000
		for j := 0; j < n; j++ {
			name := fmt.Sprintf("n%04d", j)
			w.Engine.After(time.Duration(j)*12*time.Millisecond, "add-node", func() { w.AddNode(name, nil) })
		}
		w.Run(2 * time.Minute)
		_, avail := w.CountPods(nil)
		require.Equal(b, n, avail)
	}
}

// TestGroupByNodeKeepsEveryPodInOrder: pods sharing a node (a duplicate
// daemon pod, one pinned and one bound) are grouped in their order, and
// appending the second does not overwrite the pod of the node next in
// the shared array; unplaced pods are left out.
func TestGroupByNodeKeepsEveryPodInOrder(t *testing.T) {
	pod := func(name, node string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: node}}
	}
	a1, b1, a2, none, c1, a3 := pod("a1", "a"), pod("b1", "b"), pod("a2", "a"), pod("none", ""), pod("c1", "c"), pod("a3", "a")
	got := groupByNode([]store.Object{a1, b1, a2, none, c1, a3})
	require.Equal(t, map[string][]*corev1.Pod{"a": {a1, a2, a3}, "b": {b1}, "c": {c1}}, got)
}

// BenchmarkGroupByNode groups 200 daemon pods, one per node, as every
// DaemonSet sync does: go test -bench GroupByNode -benchmem.
func BenchmarkGroupByNode(b *testing.B) {
	var pods []store.Object
	for i := range 200 {
		pods = append(pods, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i)}, Spec: corev1.PodSpec{NodeName: fmt.Sprintf("n%d", i)}})
	}
	for b.Loop() {
		groupByNode(pods)
	}
}
