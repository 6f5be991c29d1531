// Package nodeaffinity enforces a pod's nodeSelector and required node
// affinity, and scores nodes by the weights of the preferred node affinity
// terms they match.
package nodeaffinity

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	helpers "k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Name is the plugin name.
const Name = "NodeAffinity"

// ErrReasonPod is upstream's reason when the pod's own selector/affinity
// does not match.
const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector"

const (
	preFilterKey framework.StateKey = "PreFilter" + Name
	preScoreKey  framework.StateKey = "PreScore" + Name
)

var statusMismatch = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonPod).WithPlugin(Name)

// NodeAffinity is the plugin.
type NodeAffinity struct{}

// New returns the plugin.
func New() *NodeAffinity { return &NodeAffinity{} }

// Name implements framework.Plugin.
func (*NodeAffinity) Name() string { return Name }

// ErrReasonConflict is upstream's PreFilter rejection when every
// required term names (metadata.name In) a disjoint set of nodes.
const ErrReasonConflict = "pod affinity terms conflict"

type preFilterState struct {
	required RequiredNodeAffinity
	nodes    sets.Set[string] // nil = any node
}

// PreFilter parses the pod's hard constraints once; none means Skip.
// When every required term pins metadata.name (DaemonSet pods do), the
// pinned names narrow the nodes worth filtering (PreFilterResult), and
// terms whose names cannot all hold reject the pod: upstream's rules.
func (*NodeAffinity) PreFilter(state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	r := GetRequiredNodeAffinity(pod)
	if r.IsEmpty() {
		return framework.SkipStatus
	}
	s := &preFilterState{required: r}
	state.Write(preFilterKey, s)
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil
	}
	var names sets.Set[string]
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		var term sets.Set[string]
		for _, f := range t.MatchFields {
			if f.Key != metav1.ObjectNameField || f.Operator != corev1.NodeSelectorOpIn {
				continue
			}
			if v := sets.New(f.Values...); term == nil {
				term = v
			} else {
				term = term.Intersection(v)
			}
		}
		if term == nil { // this term allows any node name: so do the ORed terms
			return nil
		}
		names = names.Union(term)
	}
	if names != nil && len(names) == 0 {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonConflict)
	}
	s.nodes = names
	return nil
}

// PreFilterResult returns the node names PreFilter narrowed the pod to,
// nil for any node.
func (*NodeAffinity) PreFilterResult(state *framework.CycleState) sets.Set[string] {
	if v, err := state.Read(preFilterKey); err == nil {
		return v.(*preFilterState).nodes
	}
	return nil
}

// Filter rejects nodes that fail the nodeSelector or every required term.
func (*NodeAffinity) Filter(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	var r *RequiredNodeAffinity
	if v, err := state.Read(preFilterKey); err == nil {
		r = &v.(*preFilterState).required
	} else {
		rr := GetRequiredNodeAffinity(pod)
		r = &rr
	}
	if !r.Match(ni.Node()) {
		return statusMismatch
	}
	return nil
}

// EventsToRegister implements framework.EnqueueExtensions: a node's labels changed.
func (*NodeAffinity) EventsToRegister() map[string][]framework.ClusterEvent {
	return map[string][]framework.ClusterEvent{Name: {framework.NodeLabelChange}}
}

type weightedTerm struct {
	term   NodeSelectorTerm
	weight int64
}

// PreScore parses the preferred terms; none means Skip. A term that is
// not valid (a malformed key or value) is an error, with the message of
// upstream's parser (k8s.io/component-helpers nodeaffinity).
func (*NodeAffinity) PreScore(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || len(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		return framework.SkipStatus
	}
	prefs := a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	if _, err := helpers.NewPreferredSchedulingTerms(prefs); err != nil {
		return framework.AsStatus(err)
	}
	state.Write(preScoreKey, parsePreferred(prefs))
	return nil
}

func parsePreferred(prefs []corev1.PreferredSchedulingTerm) []weightedTerm {
	out := make([]weightedTerm, 0, len(prefs))
	for i := range prefs {
		if prefs[i].Weight == 0 {
			continue
		}
		out = append(out, weightedTerm{term: ParseTerm(&prefs[i].Preference), weight: int64(prefs[i].Weight)})
	}
	return out
}

// Score sums the weights of the preferred terms the node matches.
func (*NodeAffinity) Score(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	var terms []weightedTerm
	if v, err := state.Read(preScoreKey); err == nil {
		terms = v.([]weightedTerm)
	} else if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		terms = parsePreferred(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	var sum int64
	for i := range terms {
		if terms[i].term.Match(ni.Node()) {
			sum += terms[i].weight
		}
	}
	return sum, nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *NodeAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps sums to 100*sum/maxSum.
func (*NodeAffinity) NormalizeScore(_ *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	framework.DefaultNormalizeScore(framework.MaxNodeScore, false, scores)
	return nil
}
