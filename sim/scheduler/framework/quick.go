package framework

import corev1 "k8s.io/api/core/v1"

// QuickFilter is an optional extension of a FilterPlugin: a sufficient
// condition, decided once per cycle, under which its Filter succeeds on
// a node. It lets the scheduler pass the common node (present,
// schedulable, untainted, with room) with a few field compares instead
// of a call into every Filter plugin; any node the rule does not pass is
// filtered by the plugins as before, so a rule can only save work, never
// change a status.
type QuickFilter interface {
	// QuickRule returns the rule for this cycle (after the plugin's
	// PreFilter ran), false when the plugin has none for this pod: then
	// every node goes through the plugins.
	QuickRule(state *CycleState, pod *corev1.Pod) (QuickRule, bool)
}

// QuickRule is a conjunction of node checks; a plugin sets the ones
// under which its Filter succeeds, and the framework merges the rules of
// a cycle's Filter plugins.
type QuickRule struct {
	// Schedulable: the node object is present and not cordoned.
	Schedulable bool
	// Untainted: the node has no taints.
	Untainted bool
	// Fits: one more pod, and CPU and Memory (the pod's requests, which
	// request nothing else), fit what is left of the node's allocatable.
	Fits        bool
	CPU, Memory int64
}

// merge adds o's checks to r.
func (r *QuickRule) merge(o QuickRule) {
	r.Schedulable = r.Schedulable || o.Schedulable
	r.Untainted = r.Untainted || o.Untainted
	if o.Fits { // the larger request: what fits it fits the smaller one
		r.Fits, r.CPU, r.Memory = true, max(r.CPU, o.CPU), max(r.Memory, o.Memory)
	}
}

// Passes reports whether the node passes every check of the rule.
func (r *QuickRule) Passes(n *NodeInfo) bool {
	if r.Schedulable && (n.node == nil || n.Unschedulable) {
		return false
	}
	if r.Untainted && len(n.Taints) != 0 {
		return false
	}
	if r.Fits {
		alloc, used := &n.Allocatable, &n.Requested
		if used.Pods+1 > alloc.Pods ||
			r.CPU > 0 && r.CPU > alloc.MilliCPU-used.MilliCPU ||
			r.Memory > 0 && r.Memory > alloc.Memory-used.Memory {
			return false
		}
	}
	return true
}

// PassesRow is Passes read off the node's row: the same checks on the
// same values (NodeRow mirrors every field Passes reads).
func (r *QuickRule) PassesRow(row *NodeRow) bool {
	if r.Schedulable && row.Flags&(RowPresent|RowCordoned) != RowPresent {
		return false
	}
	if r.Untainted && row.Flags&RowTainted != 0 {
		return false
	}
	if r.Fits {
		if row.Flags&RowPodRoom == 0 ||
			r.CPU > 0 && r.CPU > row.AllocCPU-row.ReqCPU ||
			r.Memory > 0 && r.Memory > row.AllocMem-row.ReqMem {
			return false
		}
	}
	return true
}

// QuickFilterRule merges the QuickRules of the Filter plugins that run
// this cycle (after RunPreFilterPlugins): a node it passes is feasible,
// RunFilterPlugins would return success for it. False when some running
// Filter plugin has no rule (then no node may skip the plugins).
func (f *Framework) QuickFilterRule(state *CycleState, pod *corev1.Pod) (QuickRule, bool) {
	var rule QuickRule
	for i, p := range f.filter {
		if state.skipFilter&(1<<i) != 0 {
			continue
		}
		q, ok := p.(QuickFilter)
		if !ok {
			return QuickRule{}, false
		}
		r, ok := q.QuickRule(state, pod)
		if !ok {
			return QuickRule{}, false
		}
		rule.merge(r)
	}
	return rule, true
}
