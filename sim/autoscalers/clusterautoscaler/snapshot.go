package clusterautoscaler

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/autoscalers/simulator"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/store"
)

// addTemplate adds a copy of a group's template node to the snapshot,
// named like upstream's template nodes, with a pod of every DaemonSet
// that would run there.
func (a *Autoscaler) addTemplate(u *simulator.Undo, g NodeGroup, i int) *framework.NodeInfo {
	n := g.Template.DeepCopy()
	n.Name = "template-node-for-" + g.Name + "-" + strconv.Itoa(i)
	n.Labels[corev1.LabelHostname] = n.Name
	a.Snap.AddTemporaryNode(u, n)
	a.Snap.AddDaemonPods(u, n.Name)
	return a.Snap.Get(n.Name)
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
		if ni := a.Snap.Get(hint); ni != nil && (skip == nil || !skip(ni)) && a.Snap.Check(pod, ni).IsSuccess() {
			a.hints[key] = hint
			return hint
		}
	}
	target := a.Snap.FindPlace(pod, skip)
	if target != "" {
		a.hints[key] = target
	}
	return target
}
