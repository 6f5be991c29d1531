package nodeaffinity

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// RequiredNodeAffinity is a pod's hard node constraints: its nodeSelector
// AND any one of its required node affinity terms.
type RequiredNodeAffinity struct {
	selector labels.Selector // from spec.nodeSelector; nil = none
	terms    []NodeSelectorTerm
	hasTerms bool
}

// GetRequiredNodeAffinity parses the pod's nodeSelector and required node
// affinity. Invalid terms match no node.
func GetRequiredNodeAffinity(pod *corev1.Pod) RequiredNodeAffinity {
	var r RequiredNodeAffinity
	if len(pod.Spec.NodeSelector) > 0 {
		r.selector = labels.SelectorFromSet(pod.Spec.NodeSelector)
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		r.hasTerms = true
		r.terms = ParseTerms(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms)
	}
	return r
}

// IsEmpty reports whether the pod constrains nodes at all.
func (r *RequiredNodeAffinity) IsEmpty() bool { return r.selector == nil && !r.hasTerms }

// Match reports whether node satisfies the pod's hard node constraints.
func (r *RequiredNodeAffinity) Match(node *corev1.Node) bool {
	if r.selector != nil && !r.selector.Matches(labels.Set(node.Labels)) {
		return false
	}
	if !r.hasTerms {
		return true
	}
	for i := range r.terms {
		if r.terms[i].Match(node) {
			return true
		}
	}
	return false
}

// NodeSelectorTerm is a parsed corev1.NodeSelectorTerm: all its label
// expressions and field requirements must hold.
type NodeSelectorTerm struct {
	labels  labels.Selector
	fields  []fieldRequirement
	invalid bool
}

type fieldRequirement struct {
	op     corev1.NodeSelectorOperator
	values []string
}

// ParseTerms parses node selector terms (ORed by the caller).
func ParseTerms(terms []corev1.NodeSelectorTerm) []NodeSelectorTerm {
	out := make([]NodeSelectorTerm, len(terms))
	for i := range terms {
		out[i] = ParseTerm(&terms[i])
	}
	return out
}

// ParseTerm parses one term. A term with no requirement matches nothing,
// as upstream.
func ParseTerm(t *corev1.NodeSelectorTerm) NodeSelectorTerm {
	var out NodeSelectorTerm
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		out.invalid = true
		return out
	}
	if len(t.MatchExpressions) > 0 {
		sel := labels.NewSelector()
		for _, e := range t.MatchExpressions {
			req, err := requirement(e)
			if err != nil {
				out.invalid = true
				return out
			}
			sel = sel.Add(*req)
		}
		out.labels = sel
	}
	for _, f := range t.MatchFields {
		if f.Key != "metadata.name" || (f.Operator != corev1.NodeSelectorOpIn && f.Operator != corev1.NodeSelectorOpNotIn) || len(f.Values) != 1 {
			out.invalid = true
			return out
		}
		out.fields = append(out.fields, fieldRequirement{op: f.Operator, values: f.Values})
	}
	return out
}

// selectionOps are the label-selector operators of node selector
// operators.
var selectionOps = map[corev1.NodeSelectorOperator]selection.Operator{
	corev1.NodeSelectorOpIn:           selection.In,
	corev1.NodeSelectorOpNotIn:        selection.NotIn,
	corev1.NodeSelectorOpExists:       selection.Exists,
	corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
	corev1.NodeSelectorOpGt:           selection.GreaterThan,
	corev1.NodeSelectorOpLt:           selection.LessThan,
}

func requirement(e corev1.NodeSelectorRequirement) (*labels.Requirement, error) {
	op, ok := selectionOps[e.Operator]
	if !ok {
		return nil, strconv.ErrSyntax
	}
	return labels.NewRequirement(e.Key, op, e.Values)
}

// Match reports whether node satisfies every requirement of the term.
func (t *NodeSelectorTerm) Match(node *corev1.Node) bool {
	if t.invalid {
		return false
	}
	if t.labels != nil && !t.labels.Matches(labels.Set(node.Labels)) {
		return false
	}
	for _, f := range t.fields {
		in := f.values[0] == node.Name
		if (f.op == corev1.NodeSelectorOpIn) != in {
			return false
		}
	}
	return true
}
