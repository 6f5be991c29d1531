// Package fake is a tiny cluster for the workload controllers' tests: an
// engine, store and API server with the default namespace, ready nodes, a
// round-robin "scheduler" and a "kubelet" that makes bound pods Running
// and Ready after a delay and finishes graceful deletions.
package fake

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// World is the test cluster.
type World struct {
	*apiservertest.World

	// ReadyAfter is how long after binding a pod becomes Running+Ready.
	ReadyAfter time.Duration
	// StopAfter is how long a terminating pod takes to go away.
	StopAfter time.Duration
	// NotReady, if set, keeps matching pods from ever becoming ready.
	NotReady func(*corev1.Pod) bool

	nodes []string
	next  int
}

// New returns a world with namespace "default" and no nodes.
func New(seed uint64) *World {
	return &World{World: apiservertest.NewWorld(seed, "default"), ReadyAfter: time.Second, StopAfter: 2 * time.Second}
}

// AddNode creates a ready node with the given labels and taints.
func (w *World) AddNode(name string, labels map[string]string, taints ...corev1.Taint) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.NodeSpec{Taints: taints},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"),
				corev1.ResourceMemory: resource.MustParse("16Gi"), corev1.ResourcePods: resource.MustParse("110")},
		},
	}
	out, err := w.Admin.Create(n)
	if err != nil {
		panic(err)
	}
	w.nodes = append(w.nodes, name)
	return out.(*corev1.Node)
}

// RunScheduler binds new pods round-robin over the nodes (a pod with a
// required node affinity on metadata.name goes to that node).
func (w *World) RunScheduler() {
	w.Store.Watch("Pod", time.Millisecond, func(ev store.Event) {
		if ev.Type == store.Deleted {
			return
		}
		p := ev.Object.(*corev1.Pod)
		if p.Spec.NodeName != "" || p.DeletionTimestamp != nil || len(w.nodes) == 0 {
			return
		}
		node := pinnedNode(p)
		if node == "" {
			node = w.nodes[w.next%len(w.nodes)]
			w.next++
		}
		_ = w.Admin.Bind(p.Namespace, p.Name, node)
	})
}

func pinnedNode(p *corev1.Pod) string {
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, f := range t.MatchFields {
			if f.Key == "metadata.name" && len(f.Values) == 1 {
				return f.Values[0]
			}
		}
	}
	return ""
}

// RunKubelet makes bound pods Running and Ready after ReadyAfter and
// removes terminating pods after StopAfter.
func (w *World) RunKubelet() {
	kl := w.Server.Client("kubelet")
	w.Store.Watch("Pod", time.Millisecond, func(ev store.Event) {
		if ev.Type == store.Deleted {
			return
		}
		p := ev.Object.(*corev1.Pod)
		switch {
		case p.DeletionTimestamp != nil && (ev.Old == nil || ev.Old.GetDeletionTimestamp() == nil):
			w.Engine.After(w.StopAfter, "fake-kubelet/stop", func() {
				zero := int64(0)
				_ = kl.Delete("Pod", p.Namespace, p.Name, apiserver.DeleteOptions{GracePeriodSeconds: &zero})
			})
		case p.Spec.NodeName != "" && (p.Status.Phase == "" || p.Status.Phase == corev1.PodPending) && (ev.Old == nil || ev.Old.(*corev1.Pod).Spec.NodeName == ""):
			w.Engine.After(w.ReadyAfter, "fake-kubelet/start", func() { w.start(kl, p.Namespace, p.Name) })
		}
	})
}

func (w *World) start(kl *apiserver.Client, ns, name string) {
	o, ok := w.Store.Get("Pod", ns, name)
	if !ok || o.GetDeletionTimestamp() != nil {
		return
	}
	p := o.(*corev1.Pod).DeepCopy()
	now := metav1.NewTime(w.Engine.Now())
	p.Status.Phase = corev1.PodRunning
	p.Status.StartTime = &now
	ready := corev1.ConditionTrue
	if w.NotReady != nil && w.NotReady(p) {
		ready = corev1.ConditionFalse
	}
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: ready, LastTransitionTime: now})
	if _, err := kl.UpdateStatus(p); err != nil {
		panic(fmt.Sprint("fake kubelet: ", err))
	}
}

// Pods returns the pods in the default namespace.
func (w *World) Pods() []*corev1.Pod {
	var out []*corev1.Pod
	for _, o := range w.Store.List("Pod", "default") {
		out = append(out, o.(*corev1.Pod))
	}
	return out
}

// CountPods counts the default namespace's pods that are active and
// (separately) available.
func (w *World) CountPods(match func(*corev1.Pod) bool) (active, available int) {
	now := metav1.NewTime(w.Engine.Now())
	for _, p := range w.Pods() {
		if match != nil && !match(p) {
			continue
		}
		if podutil.IsActive(p) {
			active++
			if podutil.IsAvailable(p, 0, now) {
				available++
			}
		}
	}
	return
}

// Events returns "Reason: message" of the events about the named object.
func (w *World) Events(kind, name string) []string {
	var evs []*corev1.Event
	for _, o := range w.Store.List("Event", "default") {
		ev := o.(*corev1.Event)
		if ev.InvolvedObject.Kind == kind && ev.InvolvedObject.Name == name {
			evs = append(evs, ev)
		}
	}
	// Creation order: first timestamp, then resourceVersion.
	slices.SortStableFunc(evs, func(a, b *corev1.Event) int {
		if c := a.FirstTimestamp.Compare(b.FirstTimestamp.Time); c != 0 {
			return c
		}
		ra, _ := strconv.Atoi(a.ResourceVersion)
		rb, _ := strconv.Atoi(b.ResourceVersion)
		return ra - rb
	})
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Reason + ": " + ev.Message
	}
	return out
}

// Run advances the engine by d.
func (w *World) Run(d time.Duration) { w.Engine.RunUntil(w.Engine.Elapsed() + d) }

// Get returns the object of kind called name in the default namespace, as
// T; the test fails if there is none.
func Get[T store.Object](t testing.TB, st *store.Store, kind, name string) T {
	t.Helper()
	o, ok := st.Get(kind, "default", name)
	require.True(t, ok, "no %s default/%s", kind, name)
	return o.(T)
}

// Template is a pod template with labels and one container, "c", running
// image: what the workload tests' objects run.
func Template(labels map[string]string, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}}}
}
