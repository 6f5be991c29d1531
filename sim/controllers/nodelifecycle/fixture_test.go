package nodelifecycle_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
)

// fixture is a cluster without kubelets: the test plays them, renewing
// Leases and posting node and pod status through its own client.
type fixture struct {
	*apiservertest.World
	t      *testing.T
	silent map[string]bool // nodes whose fake kubelet stopped
}

func newFixture(t *testing.T) *fixture {
	return &fixture{World: apiservertest.NewWorld(7, "default", corev1.NamespaceNodeLease), t: t, silent: map[string]bool{}}
}

func (f *fixture) now() metav1.Time { return metav1.NewTime(f.Engine.Now()) }

// addNode creates a Ready node in zone with a Lease, and a fake kubelet
// that renews the Lease every 10 s while the node is not silent.
func (f *fixture) addNode(name, zone string) {
	now := f.now()
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			corev1.LabelTopologyZone: zone, corev1.LabelTopologyRegion: "us-east-1", corev1.LabelHostname: name}},
		Status: corev1.NodeStatus{Conditions: healthyConditions(now)},
	}
	_, err := f.Admin.Create(n)
	require.NoError(f.t, err)
	renew := metav1.NewMicroTime(f.Engine.Now())
	_, err = f.Admin.Create(&coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: corev1.NamespaceNodeLease},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &name, RenewTime: &renew},
	})
	require.NoError(f.t, err)
	f.Engine.After(10*time.Second, "kubelet/lease", func() { f.renewLoop(name) })
}

func healthyConditions(now metav1.Time) []corev1.NodeCondition {
	conds := []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status"}}
	for _, t := range []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		conds = append(conds, corev1.NodeCondition{Type: t, Status: corev1.ConditionFalse})
	}
	for i := range conds {
		conds[i].LastHeartbeatTime, conds[i].LastTransitionTime = now, now
	}
	return conds
}

func (f *fixture) renewLoop(name string) {
	if _, ok := f.Store.Get("Node", "", name); !ok {
		return
	}
	if !f.silent[name] {
		o, ok := f.Store.Get("Lease", corev1.NamespaceNodeLease, name)
		require.True(f.t, ok)
		l := o.(*coordinationv1.Lease).DeepCopy()
		renew := metav1.NewMicroTime(f.Engine.Now())
		l.Spec.RenewTime = &renew
		_, err := f.Admin.Update(l)
		require.NoError(f.t, err)
	}
	f.Engine.After(10*time.Second, "kubelet/lease", func() { f.renewLoop(name) })
}

// revive makes a silent node's kubelet come back: Ready=True is posted and
// the Lease renewals resume.
func (f *fixture) revive(name string) {
	f.silent[name] = false
	n := f.node(name).DeepCopy()
	n.Status.Conditions = healthyConditions(f.now())
	_, err := f.Admin.UpdateStatus(n)
	require.NoError(f.t, err)
}

func (f *fixture) node(name string) *corev1.Node {
	o, ok := f.Store.Get("Node", "", name)
	require.True(f.t, ok, "node %s", name)
	return o.(*corev1.Node)
}

func (f *fixture) pod(name string) *corev1.Pod {
	o, ok := f.Store.Get("Pod", "default", name)
	if !ok {
		return nil
	}
	return o.(*corev1.Pod)
}

// addPod creates a running, ready pod bound to node.
func (f *fixture) addPod(name, node string, tolerations ...corev1.Toleration) {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: node, Tolerations: tolerations,
			Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}},
	}
	out, err := f.Admin.Create(p)
	require.NoError(f.t, err)
	cp := out.(*corev1.Pod).DeepCopy()
	now := f.now()
	cp.Status.Phase = corev1.PodRunning
	cp.Status.PodIP = "10.0.0.1"
	cp.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	_, err = f.Admin.UpdateStatus(cp)
	require.NoError(f.t, err)
}

func (f *fixture) runUntil(limit time.Duration, cond func() bool) bool {
	return f.Engine.RunWhile(limit, func() bool { return !cond() })
}

func readyStatus(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

func findTaint(n *corev1.Node, key string, effect corev1.TaintEffect) *corev1.Taint {
	for i := range n.Spec.Taints {
		if n.Spec.Taints[i].Key == key && n.Spec.Taints[i].Effect == effect {
			return &n.Spec.Taints[i]
		}
	}
	return nil
}

func podReady(p *corev1.Pod) corev1.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status
		}
	}
	return ""
}

// events returns the messages of events with reason in namespace.
func (f *fixture) events(ns, reason string) []string {
	var out []string
	for _, o := range f.Store.List("Event", ns) {
		ev := o.(*corev1.Event)
		if ev.Reason == reason {
			out = append(out, ev.Message)
		}
	}
	return out
}

func secs(d time.Duration) float64 { return d.Seconds() }

func elapsed(t metav1.Time) time.Duration { return t.Sub(sim.Epoch) }

func apiserverDeleteOptions() apiserver.DeleteOptions { return apiserver.DeleteOptions{} }
