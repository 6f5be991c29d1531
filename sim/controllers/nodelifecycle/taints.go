package nodelifecycle

import (
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Taint templates of the controller.
var (
	UnreachableTaint = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	NotReadyTaint    = corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}
)

// conditionTaints maps node conditions to the NoSchedule taints
// TaintNodesByCondition keeps in sync with them.
var conditionTaints = map[corev1.NodeConditionType]map[corev1.ConditionStatus]string{
	corev1.NodeReady: {
		corev1.ConditionFalse:   corev1.TaintNodeNotReady,
		corev1.ConditionUnknown: corev1.TaintNodeUnreachable,
	},
	corev1.NodeMemoryPressure:     {corev1.ConditionTrue: corev1.TaintNodeMemoryPressure},
	corev1.NodeDiskPressure:       {corev1.ConditionTrue: corev1.TaintNodeDiskPressure},
	corev1.NodeNetworkUnavailable: {corev1.ConditionTrue: corev1.TaintNodeNetworkUnavailable},
	corev1.NodePIDPressure:        {corev1.ConditionTrue: corev1.TaintNodePIDPressure},
}

// conditionTaintKeys are the taint keys the NoSchedule pass owns.
var conditionTaintKeys = map[string]bool{
	corev1.TaintNodeNotReady: true, corev1.TaintNodeUnreachable: true,
	corev1.TaintNodeMemoryPressure: true, corev1.TaintNodeDiskPressure: true,
	corev1.TaintNodeNetworkUnavailable: true, corev1.TaintNodePIDPressure: true,
	corev1.TaintNodeUnschedulable: true,
}

func hasTaint(taints []corev1.Taint, t *corev1.Taint) bool {
	for i := range taints {
		if taints[i].MatchTaint(t) {
			return true
		}
	}
	return false
}

// processTaintBaseEviction acts on the Ready status observed before this
// pass, like upstream: a node that just went Unknown is queued for its
// NoExecute taint on the next pass, and a not-ready/unreachable taint is
// swapped at once when the kind of unhealthiness changes.
//
// zone is n's zone key.
func (c *Controller) processTaintBaseEviction(n *corev1.Node, zone string, observed corev1.ConditionStatus) {
	switch observed {
	case corev1.ConditionFalse:
		if hasTaint(n.Spec.Taints, &UnreachableTaint) {
			c.swapTaints(n.Name, []corev1.Taint{NotReadyTaint}, []corev1.Taint{UnreachableTaint})
		} else {
			c.markNodeForTainting(n, zone, corev1.ConditionFalse)
		}
	case corev1.ConditionUnknown:
		if hasTaint(n.Spec.Taints, &NotReadyTaint) {
			c.swapTaints(n.Name, []corev1.Taint{UnreachableTaint}, []corev1.Taint{NotReadyTaint})
		} else {
			c.markNodeForTainting(n, zone, corev1.ConditionUnknown)
		}
	case corev1.ConditionTrue:
		c.markNodeAsReachable(n, zone)
	}
}

// markNodeForTainting queues the node in its zone's rate-limited tainter
// (a no-op while it is already queued or was tainted and not since
// cleared).
func (c *Controller) markNodeForTainting(n *corev1.Node, zone string, status corev1.ConditionStatus) bool {
	q := c.zoneQueue(zone)
	if status == corev1.ConditionFalse && !hasTaint(n.Spec.Taints, &NotReadyTaint) {
		q.remove(n.Name)
	}
	if status == corev1.ConditionUnknown && !hasTaint(n.Spec.Taints, &UnreachableTaint) {
		q.remove(n.Name)
	}
	ok := q.add(n.Name, string(n.UID), c.Engine.Elapsed())
	if ok {
		c.schedulePass()
	}
	return ok
}

// markNodeAsReachable removes both NoExecute taints and forgets the node
// in its tainter. Healthy nodes pass through here every monitor period,
// so the common case writes nothing.
func (c *Controller) markNodeAsReachable(n *corev1.Node, zone string) bool {
	if hasTaint(n.Spec.Taints, &UnreachableTaint) || hasTaint(n.Spec.Taints, &NotReadyTaint) {
		c.swapTaints(n.Name, nil, []corev1.Taint{UnreachableTaint, NotReadyTaint})
	}
	return c.zoneQueue(zone).remove(n.Name)
}

// swapTaints adds taints (stamped with timeAdded = now) and removes
// others in one node update. Taints already present are kept as they are.
func (c *Controller) swapTaints(name string, add, remove []corev1.Taint) bool {
	o, ok := c.Store.Get("Node", "", name)
	if !ok {
		return false
	}
	n := o.(*corev1.Node)
	now := metav1.NewTime(c.Engine.Now())
	taints := make([]corev1.Taint, 0, len(n.Spec.Taints)+len(add))
	changed := false
	for _, t := range n.Spec.Taints {
		if hasTaint(remove, &t) && !hasTaint(add, &t) {
			changed = true
			continue
		}
		taints = append(taints, t)
	}
	for _, t := range add {
		if !hasTaint(taints, &t) {
			t.TimeAdded = &now
			taints = append(taints, t)
			changed = true
		}
	}
	if !changed {
		return true
	}
	cp := n.DeepCopy()
	if len(taints) == 0 {
		taints = nil
	}
	cp.Spec.Taints = taints
	_, err := c.Client.Update(cp)
	return err == nil
}

// doNoScheduleTaintingPass keeps the node's condition taints
// (TaintNodesByCondition) and the unschedulable taint in line with its
// conditions and spec.unschedulable.
func (c *Controller) doNoScheduleTaintingPass(name string) error {
	o, ok := c.Store.Get("Node", "", name)
	if !ok {
		return nil
	}
	n := o.(*corev1.Node)
	var want []corev1.Taint
	for _, cond := range n.Status.Conditions {
		if key, ok := conditionTaints[cond.Type][cond.Status]; ok {
			want = append(want, corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule})
		}
	}
	if n.Spec.Unschedulable {
		want = append(want, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}
	var have []corev1.Taint
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule && conditionTaintKeys[t.Key] {
			have = append(have, t)
		}
	}
	var add, del []corev1.Taint
	for _, t := range want {
		if !hasTaint(have, &t) {
			add = append(add, t)
		}
	}
	for _, t := range have {
		if !hasTaint(want, &t) {
			del = append(del, t)
		}
	}
	if len(add) == 0 && len(del) == 0 {
		return nil
	}
	c.swapTaints(name, add, del)
	return nil
}

// schedulePass arranges a NoExecute tainting pass on the next tick of the
// eviction pass period. Upstream ticks every 100 ms forever; ticking only
// while a queue holds a node gives the same result for fewer events.
func (c *Controller) schedulePass() {
	if c.passTimer != nil {
		return
	}
	p := c.cfg.EvictionPassPeriod
	now := c.Engine.Elapsed()
	at := (now/p + 1) * p
	c.passTimer = c.Engine.At(at, "node-lifecycle/taint-pass", c.doNoExecuteTaintingPass)
}

// doNoExecuteTaintingPass works every zone's tainter under its limiter.
func (c *Controller) doNoExecuteTaintingPass() {
	c.passTimer = nil
	now := c.Engine.Elapsed()
	pending := false
	for _, zk := range slices.Sorted(maps.Keys(c.tainter)) {
		q := c.tainter[zk]
		q.try(now, c.taintNode)
		if q.len() > 0 {
			pending = true
		}
	}
	if pending {
		c.schedulePass()
	}
}

// taintNode applies the NoExecute taint matching the node's current Ready
// status (not-ready and unreachable are mutually exclusive).
func (c *Controller) taintNode(v *timedValue) (bool, time.Duration) {
	o, ok := c.Store.Get("Node", "", v.value)
	if !ok {
		return true, 0
	}
	cond := readyCondition(o.(*corev1.Node))
	if cond == nil {
		return false, 50 * time.Millisecond
	}
	var add, opposite corev1.Taint
	switch cond.Status {
	case corev1.ConditionFalse:
		add, opposite = NotReadyTaint, UnreachableTaint
	case corev1.ConditionUnknown:
		add, opposite = UnreachableTaint, NotReadyTaint
	default:
		return true, 0
	}
	return c.swapTaints(v.value, []corev1.Taint{add}, []corev1.Taint{opposite}), 0
}
