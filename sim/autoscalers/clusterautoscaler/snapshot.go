package clusterautoscaler

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/store"
)

// undo records snapshot changes made by a simulation, to revert them.
type undo struct {
	nodes []*corev1.Node
	added []*corev1.Pod // hypothetical pods placed on nodes
	moved []*corev1.Pod // original versions of pods moved to other nodes
}

// revert takes every change back, newest first.
func (a *Autoscaler) revert(u *undo) {
	for i := len(u.moved) - 1; i >= 0; i-- {
		a.snap.UpdatePod(u.moved[i])
	}
	for i := len(u.added) - 1; i >= 0; i-- {
		a.snap.RemovePod(u.added[i])
	}
	for i := len(u.nodes) - 1; i >= 0; i-- {
		a.snap.RemoveNode(u.nodes[i])
	}
	*u = undo{}
}

// addTemplate adds a copy of a group's template node to the snapshot,
// named like upstream's template nodes, with a pod of every DaemonSet
// that would run there (upstream's template NodeInfo does the same, so a
// new node's room is what is left after its DaemonSet pods).
func (a *Autoscaler) addTemplate(u *undo, g NodeGroup, i int) *framework.NodeInfo {
	n := g.Template.DeepCopy()
	n.Name = "template-node-for-" + g.Name + "-" + strconv.Itoa(i)
	n.Labels[corev1.LabelHostname] = n.Name
	a.snap.AddNode(n)
	u.nodes = append(u.nodes, n)
	ni := a.snap.Get(n.Name)
	for _, o := range a.st.List("DaemonSet", "") {
		ds := o.(*appsv1.DaemonSet)
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ds.Namespace, Name: ds.Name + "-" + n.Name, UID: types.UID(ds.Name + "-" + n.Name),
				Labels: ds.Spec.Template.Labels, OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, appsv1.SchemeGroupVersion.WithKind("DaemonSet"))}},
			Spec: *ds.Spec.Template.Spec.DeepCopy(),
		}
		p.Spec.Tolerations = append(p.Spec.Tolerations, daemonSetTolerations...)
		if a.check(p, ni).IsSuccess() {
			a.place(u, p, n.Name)
		}
	}
	return ni
}

// daemonSetTolerations are the tolerations the DaemonSet controller adds
// to every daemon pod (node not-ready, unreachable, pressure conditions,
// unschedulable).
var daemonSetTolerations = []corev1.Toleration{
	{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
}

// check runs the scheduler's PreFilter and Filter plugins for pod on ni.
func (a *Autoscaler) check(pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	a.state.Reset()
	if st := a.fwk.RunPreFilterPlugins(a.state, pod); !st.IsSuccess() {
		return st
	}
	return a.fwk.RunFilterPlugins(a.state, pod, ni)
}

// place puts a pending pod on node in the snapshot.
func (a *Autoscaler) place(u *undo, pod *corev1.Pod, node string) {
	cp := *pod
	cp.Spec.NodeName = node
	a.snap.AddPod(&cp)
	u.added = append(u.added, &cp)
}

// move puts an assigned pod on another node in the snapshot.
func (a *Autoscaler) move(u *undo, pod *corev1.Pod, node string) {
	cp := *pod
	cp.Spec.NodeName = node
	a.snap.UpdatePod(&cp)
	u.moved = append(u.moved, pod)
}

// findPlaceHinted is upstream's hinting simulator: a pod first tries the
// node it fitted on in this or the previous loop's simulations, then
// every node in order; where it lands becomes its hint. Without it every
// removal simulation walks the whole cluster for every pod (quadratic in
// the node count per loop).
func (a *Autoscaler) findPlaceHinted(pod *corev1.Pod, skip func(*framework.NodeInfo) bool) string {
	key := store.KeyOf(pod)
	hint, ok := a.hints[key]
	if !ok {
		hint, ok = a.oldHints[key]
	}
	if ok {
		if ni := a.snap.Get(hint); ni != nil && (skip == nil || !skip(ni)) && a.check(pod, ni).IsSuccess() {
			a.hints[key] = hint
			return hint
		}
	}
	target := a.findPlace(pod, skip)
	if target != "" {
		a.hints[key] = target
	}
	return target
}

// findPlace returns the first node of the snapshot (in its order) where
// pod fits, skipping nodes for which skip says so; "" if none. PreFilter
// runs once for the pod, Filter per node, as in a scheduling cycle.
func (a *Autoscaler) findPlace(pod *corev1.Pod, skip func(*framework.NodeInfo) bool) string {
	a.state.Reset()
	if st := a.fwk.RunPreFilterPlugins(a.state, pod); !st.IsSuccess() {
		return ""
	}
	for _, ni := range a.snap.NodeInfos() {
		if skip != nil && skip(ni) {
			continue
		}
		if a.fwk.RunFilterPlugins(a.state, pod, ni).IsSuccess() {
			return ni.Name()
		}
	}
	return ""
}
