package podtopologyspread

import (
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/store"
)

// selectorIndex is the store index StoreSelectors adds to Services,
// ReplicaSets and StatefulSets: one "key=value" their selector requires
// (the smallest key), or "*" when it requires no single value. A pod can
// only be selected by objects indexed under one of its own labels or "*".
const selectorIndex = "scheduler/selector"

const anyValue = "*"

// StoreSelectors implements DefaultSelector over the object store, as
// upstream's helper.DefaultSelector does over its listers: the merged
// selectors of every Service, ReplicaSet and StatefulSet in the pod's
// namespace that selects it.
type StoreSelectors struct {
	st     *store.Store
	parsed map[types.UID]parsedSelector
}

type parsedSelector struct {
	obj store.Object
	sel labels.Selector
}

// NewStoreSelectors registers its index on st and returns the finder.
func NewStoreSelectors(st *store.Store) *StoreSelectors {
	st.AddIndex("Service", selectorIndex, serviceIndexValues)
	st.AddIndex("ReplicaSet", selectorIndex, func(o store.Object) []string {
		return labelSelectorIndexValues(o.(*appsv1.ReplicaSet).Spec.Selector)
	})
	st.AddIndex("StatefulSet", selectorIndex, func(o store.Object) []string {
		return labelSelectorIndexValues(o.(*appsv1.StatefulSet).Spec.Selector)
	})
	return &StoreSelectors{st: st, parsed: map[types.UID]parsedSelector{}}
}

func serviceIndexValues(o store.Object) []string {
	sel := o.(*corev1.Service).Spec.Selector
	if len(sel) == 0 {
		return nil // selects nothing
	}
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	k := slices.Min(keys)
	return []string{k + "=" + sel[k]}
}

func labelSelectorIndexValues(ls *metav1.LabelSelector) []string {
	if ls == nil || (len(ls.MatchLabels) == 0 && len(ls.MatchExpressions) == 0) {
		return nil // an empty selector selects nothing here, as upstream
	}
	if len(ls.MatchLabels) > 0 {
		keys := make([]string, 0, len(ls.MatchLabels))
		for k := range ls.MatchLabels {
			keys = append(keys, k)
		}
		k := slices.Min(keys)
		return []string{k + "=" + ls.MatchLabels[k]}
	}
	return []string{anyValue}
}

// DefaultSelector merges the selectors of the pod's selecting objects.
func (s *StoreSelectors) DefaultSelector(pod *corev1.Pod) (labels.Selector, bool) {
	if len(pod.Labels) == 0 {
		return nil, false
	}
	podLabels := labels.Set(pod.Labels)
	set := labels.Set{}
	found := false
	for _, o := range s.candidates("Service", pod) {
		svc := o.(*corev1.Service)
		if labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
			set = labels.Merge(set, svc.Spec.Selector)
			found = true
		}
	}
	sel := labels.SelectorFromSet(set)
	for _, kind := range [...]string{"ReplicaSet", "StatefulSet"} {
		for _, o := range s.candidates(kind, pod) {
			other := s.parse(o)
			if other == nil || other.Empty() || !other.Matches(podLabels) {
				continue
			}
			if reqs, ok := other.Requirements(); ok {
				sel = sel.Add(reqs...)
				found = true
			}
		}
	}
	return sel, found
}

// candidates lists the objects of kind in the pod's namespace indexed
// under one of its labels or "*", sorted by key and without duplicates.
func (s *StoreSelectors) candidates(kind string, pod *corev1.Pod) []store.Object {
	keys := make([]string, 0, len(pod.Labels))
	for k := range pod.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []store.Object
	add := func(objs []store.Object) {
		for _, o := range objs {
			if o.GetNamespace() == pod.Namespace {
				out = append(out, o)
			}
		}
	}
	for _, k := range keys {
		if s.st.CountIndex(kind, selectorIndex, k+"="+pod.Labels[k]) > 0 {
			add(s.st.ByIndex(kind, selectorIndex, k+"="+pod.Labels[k]))
		}
	}
	if s.st.CountIndex(kind, selectorIndex, anyValue) > 0 {
		add(s.st.ByIndex(kind, selectorIndex, anyValue))
	}
	return out
}

func (s *StoreSelectors) parse(o store.Object) labels.Selector {
	if p, ok := s.parsed[o.GetUID()]; ok && p.obj == o {
		return p.sel
	}
	var ls *metav1.LabelSelector
	switch x := o.(type) {
	case *appsv1.ReplicaSet:
		ls = x.Spec.Selector
	case *appsv1.StatefulSet:
		ls = x.Spec.Selector
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		sel = nil
	}
	s.parsed[o.GetUID()] = parsedSelector{obj: o, sel: sel}
	return sel
}
