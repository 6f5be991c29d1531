package scheduler

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
)

// world is an API server with the "default" namespace and no scheduler:
// tests add nodes and pods, then start one.
type world struct{ *apiservertest.World }

func newWorld(seed uint64) *world { return &world{apiservertest.NewWorld(seed, "default")} }

func makeNode(name, zone, cpu, mem string, pods int64) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		corev1.LabelHostname: name,
	}}}
	if zone != "" {
		n.Labels[corev1.LabelTopologyZone] = zone
	}
	n.Status.Allocatable = corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cpu),
		corev1.ResourceMemory: resource.MustParse(mem),
		corev1.ResourcePods:   *resource.NewQuantity(pods, resource.DecimalSI),
	}
	n.Status.Capacity = n.Status.Allocatable
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	return n
}

func (w *world) addNode(t testing.TB, n *corev1.Node) {
	_, err := w.Admin.Create(n)
	require.NoError(t, err)
}

func makePod(name, cpu, mem string, lbls map[string]string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: lbls}}
	c := corev1.Container{Name: "app", Image: "nginx:1.25"}
	if cpu != "" || mem != "" {
		c.Resources.Requests = corev1.ResourceList{}
		if cpu != "" {
			c.Resources.Requests[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if mem != "" {
			c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse(mem)
		}
	}
	p.Spec.Containers = []corev1.Container{c}
	return p
}

func (w *world) addPod(t testing.TB, p *corev1.Pod) {
	_, err := w.Admin.Create(p)
	require.NoError(t, err)
}

func (w *world) pod(t testing.TB, name string) *corev1.Pod {
	o, ok := w.Store.Get("Pod", "default", name)
	require.True(t, ok, "pod %s", name)
	return o.(*corev1.Pod)
}

func (w *world) events(reason string) []*corev1.Event {
	var out []*corev1.Event
	for _, o := range w.Store.List("Event", "") {
		if ev := o.(*corev1.Event); ev.Reason == reason {
			out = append(out, ev)
		}
	}
	return out
}

func nodeName(i int) string { return fmt.Sprintf("node-%04d", i) }

func apiserverForce() apiserver.DeleteOptions {
	zero := int64(0)
	return apiserver.DeleteOptions{GracePeriodSeconds: &zero}
}
