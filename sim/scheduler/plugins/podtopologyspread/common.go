// Package podtopologyspread spreads pods that match a label selector
// evenly over topology domains (nodes, zones): hard constraints
// (DoNotSchedule) filter nodes whose skew would exceed maxSkew, soft ones
// (ScheduleAnyway) and the cluster's default constraints score nodes.
//
// Counting matching pods uses the scheduler cache's label index (pods with
// one label of the selector), so the cost per cycle is proportional to the
// matching pods, not to every pod in the cluster.
package podtopologyspread

import (
	"errors"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeaffinity"
)

// Name is the plugin name.
const Name = "PodTopologySpread"

// Upstream's failure reasons.
const (
	ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
	ErrReasonNodeLabelNotMatch   = ErrReasonConstraintsNotMatch + " (missing required label)"
)

// SystemDefaultConstraints are kube-scheduler's default spreading for pods
// without constraints of their own: by hostname with maxSkew 3 and by zone
// with maxSkew 5, both ScheduleAnyway.
var SystemDefaultConstraints = []corev1.TopologySpreadConstraint{
	{TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, MaxSkew: 3},
	{TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway, MaxSkew: 5},
}

// constraint is a parsed TopologySpreadConstraint.
type constraint struct {
	MaxSkew       int32
	TopologyKey   string
	Selector      labels.Selector
	MinDomains    int32
	honorAffinity bool
	honorTaints   bool
	// hint is one equality requirement of Selector: only pods carrying
	// this label can match, so counting starts from the label index.
	hint    labelPair
	hasHint bool
	// sameAsPrev: the selector is the previous constraint's, so its pod
	// counts can be reused.
	sameAsPrev bool
}

type labelPair struct{ key, value string }

// DefaultSelector finds the selector of the Services, ReplicaSets and
// StatefulSets that select a pod (merged), which the default constraints
// spread over. ok is false when nothing selects the pod.
type DefaultSelector interface {
	DefaultSelector(pod *corev1.Pod) (sel labels.Selector, ok bool)
}

func (c *constraint) matchNodeInclusion(pod *corev1.Pod, node *corev1.Node, aff *nodeaffinity.RequiredNodeAffinity) bool {
	if c.honorAffinity && !aff.Match(node) {
		return false
	}
	if c.honorTaints {
		if _, bad := framework.FindUntoleratedTaint(node.Spec.Taints, pod.Spec.Tolerations, hardTaint); bad {
			return false
		}
	}
	return true
}

func hardTaint(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

// parseConstraints parses the pod's constraints with the given action.
func parseConstraints(pod *corev1.Pod, action corev1.UnsatisfiableConstraintAction) ([]constraint, error) {
	var out []constraint
	for i := range pod.Spec.TopologySpreadConstraints {
		c := &pod.Spec.TopologySpreadConstraints[i]
		if c.WhenUnsatisfiable != action {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			return nil, err
		}
		for _, key := range c.MatchLabelKeys {
			if v, ok := pod.Labels[key]; ok {
				r, err := labels.NewRequirement(key, selection.In, []string{v})
				if err != nil {
					return nil, err
				}
				sel = sel.Add(*r)
			}
		}
		pc := constraint{
			MaxSkew: c.MaxSkew, TopologyKey: c.TopologyKey, Selector: sel, MinDomains: 1,
			honorAffinity: c.NodeAffinityPolicy == nil || *c.NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor,
			honorTaints:   c.NodeTaintsPolicy != nil && *c.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor,
		}
		if c.MinDomains != nil {
			pc.MinDomains = *c.MinDomains
		}
		pc.hint, pc.hasHint = equalityHint(sel)
		out = append(out, pc)
	}
	return out, nil
}

// defaultConstraints builds the system default constraints with action
// for a pod without its own constraints, appended to dst[:0] (PreScore
// passes its previous cycle's slice, which nothing reads any more).
func defaultConstraints(dst []constraint, pod *corev1.Pod, ds DefaultSelector, action corev1.UnsatisfiableConstraintAction) []constraint {
	out := dst[:0]
	var sel labels.Selector
	var hint labelPair
	var hasHint bool
	for _, c := range SystemDefaultConstraints {
		if c.WhenUnsatisfiable != action {
			continue
		}
		if sel == nil {
			if ds == nil {
				return out
			}
			s, ok := ds.DefaultSelector(pod)
			if !ok || s.Empty() {
				return out
			}
			sel = s
			hint, hasHint = equalityHint(sel) // one selector: one hint for every constraint
		}
		pc := constraint{MaxSkew: c.MaxSkew, TopologyKey: c.TopologyKey, Selector: sel, MinDomains: 1, honorAffinity: true, sameAsPrev: len(out) > 0}
		pc.hint, pc.hasHint = hint, hasHint
		out = append(out, pc)
	}
	return out
}

func equalityHint(sel labels.Selector) (labelPair, bool) {
	k, v, ok := framework.EqualityHint(sel)
	return labelPair{k, v}, ok
}

func nodeHasKeys(node *corev1.Node, cs []constraint) bool {
	for i := range cs {
		if _, ok := node.Labels[cs[i].TopologyKey]; !ok {
			return false
		}
	}
	return true
}

// podCounter counts, per node index, the assigned pods a constraint's
// selector matches. Its slices are reused across cycles.
type podCounter struct {
	counts  []int32
	touched []int
	// of is what counts and touched hold: the counts of the first of.n
	// pods of a list, under the lister's PodsEpoch of.epoch.
	of countedList
}

// countedList names the pods a podCounter counted: the first n of the
// list of namespace ns (of the pods with the hint label when hasHint),
// matched against sel, on numNodes nodes, at PodsEpoch epoch. Pods of a
// template are mostly scheduled one after another, and each cycle's
// count is the last one's plus the pod bound since: while the epoch
// stays, the list has only grown at its end, so the counts of its first
// n pods stand and only the pods after them are read (each a cache miss
// or two: the pods of a Deployment of 100 cost 0.15 s a 5k run counted
// again every cycle).
type countedList struct {
	valid    bool
	epoch    uint64
	ns       string
	hint     labelPair
	hasHint  bool
	sel      labels.Selector
	numNodes int
	n        int
}

// continues reports whether o names the same list, selector and nodes
// at the same epoch: a count of it can go on from o.n.
func (o *countedList) continues(epoch uint64, c *constraint, ns string, numNodes int) bool {
	return o.valid && o.epoch == epoch && o.ns == ns && o.hasHint == c.hasHint && o.hint == c.hint &&
		o.numNodes == numNodes && sameSelector(o.sel, c.Selector)
}

// sameSelector reports whether a and b are one selector: the same
// pointer, or the same slice (labels' internalSelector; selectors are
// never modified in place, so the same elements are the same
// requirements). Equal selectors built apart are not the same.
func sameSelector(a, b labels.Selector) bool {
	if a == nil || b == nil {
		return false
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() {
		return false
	}
	switch va.Kind() {
	case reflect.Slice:
		return va.Len() == vb.Len() && va.Pointer() == vb.Pointer()
	case reflect.Pointer:
		return va.Pointer() == vb.Pointer()
	}
	return false
}

// count fills counts for the pods of namespace ns matching c (pods being
// deleted do not count) and touched with the node indexes counted, in the
// index's order (which follows adds and removals: callers only sum over
// touched, so its order cannot reach a result). The result is valid until
// the next call. A count of the list the last call counted, at the same
// epoch, goes on from where that one stopped (countedList): the same
// counts and touched as counting it all again.
func (pc *podCounter) count(lister framework.SharedLister, c *constraint, ns string, numNodes int) {
	var pods []*framework.PodInfo
	if c.hasHint {
		pods = lister.PodsWithLabel(ns, c.hint.key, c.hint.value)
	} else {
		pods = lister.PodsInNamespace(ns)
	}
	epoch := lister.PodsEpoch()
	from := 0
	if pc.of.continues(epoch, c, ns, numNodes) && pc.of.n <= len(pods) {
		from = pc.of.n
	} else {
		pc.reset(numNodes)
	}
	pc.of = countedList{valid: true, epoch: epoch, ns: ns, hint: c.hint, hasHint: c.hasHint, sel: c.Selector, numNodes: numNodes, n: len(pods)}
	pc.add(c, pods[from:], numNodes)
}

// reset zeroes the counts, sized for numNodes.
func (pc *podCounter) reset(numNodes int) {
	for _, i := range pc.touched {
		if i < len(pc.counts) {
			pc.counts[i] = 0
		}
	}
	pc.touched = pc.touched[:0]
	if len(pc.counts) < numNodes {
		pc.counts = slices.Grow(pc.counts[:0], numNodes)[:numNodes]
		clear(pc.counts)
	}
}

// add counts the pods matching c among pods into counts and touched.
func (pc *podCounter) add(c *constraint, pods []*framework.PodInfo, numNodes int) {
	// Pods created from one template share its labels map (see
	// controllerutil.SharedPodFromTemplate), and the pods of a label set
	// mostly come from one template, so the selector's verdict on the
	// last map is remembered. It cannot go stale: stored objects, their
	// label maps included, are never written in place, so the same map
	// has the same labels, and the memo lives for this call only.
	var lastLabels map[string]string
	lastMatch := false
	for _, pi := range pods {
		if pi.Node == nil || pi.Node.Index < 0 || pi.Node.Index >= numNodes || pi.Pod.DeletionTimestamp != nil {
			continue
		}
		lbls := pi.Pod.Labels
		if lastLabels == nil || !sameMap(lbls, lastLabels) {
			lastLabels, lastMatch = lbls, c.Selector.Matches(labels.Set(lbls))
		}
		if !lastMatch {
			continue
		}
		idx := pi.Node.Index
		if pc.counts[idx] == 0 {
			pc.touched = append(pc.touched, idx)
		}
		pc.counts[idx]++
	}
}

// sameMap reports whether a and b are the same map (not merely equal).
// A nil map is the same as no other, so a pod without labels is matched
// on its own.
func sameMap(a, b map[string]string) bool {
	return a != nil && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

var errNotPreScored = errors.New("podtopologyspread: node was not among the nodes given to PreScore")
