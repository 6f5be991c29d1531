package framework

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// EqualityHint returns the requirement of sel (smallest key) that pins a
// single label value: only pods carrying that label can match, so a
// search can start from the cache's label index.
func EqualityHint(sel labels.Selector) (key, value string, ok bool) {
	if sel == nil {
		return "", "", false
	}
	reqs, selectable := sel.Requirements()
	if !selectable {
		return "", "", false
	}
	for _, r := range reqs {
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
		default:
			continue
		}
		v, single := singleValue(&r)
		if !single {
			continue
		}
		if !ok || r.Key() < key {
			key, value, ok = r.Key(), v, true
		}
	}
	return key, value, ok
}

// singleValue returns r's value when r has exactly one distinct value
// (r.Values().Len() == 1), without building Values' set: a cycle asks
// for the hint of its pod's selector every time.
func singleValue(r *labels.Requirement) (string, bool) {
	vals := r.ValuesUnsorted()
	if len(vals) == 0 {
		return "", false
	}
	for _, v := range vals[1:] {
		if v != vals[0] {
			return "", false
		}
	}
	return vals[0], true
}

// CandidatePods lists the assigned pods of namespace ns that may match
// sel: those with its equality hint label, or the whole namespace.
func CandidatePods(l SharedLister, ns string, sel labels.Selector) []*PodInfo {
	if k, v, ok := EqualityHint(sel); ok {
		return l.PodsWithLabel(ns, k, v)
	}
	return l.PodsInNamespace(ns)
}
