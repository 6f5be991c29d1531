package podtopologyspread

import (
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
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
	// scratch of DefaultSelector, reused (one cycle runs at a time)
	keys    []string
	matched []labels.Selector
	// gen counts the writes that may change an answer (Watch), while
	// watching > 0; last is then the last answer.
	gen      uint64
	watching int
	last     lastSelector
}

// lastSelector is DefaultSelector's last answer: the selector of the
// pods of namespace ns with the labels map labels, while gen (the count
// of selector changes, see Watch) has not moved. Pods made from one
// template share its labels map (controllerutil.SharedPodFromTemplate)
// and are mostly scheduled one after the other, so the next pod's answer
// is usually this one.
type lastSelector struct {
	valid  bool
	ns     string
	labels map[string]string
	gen    uint64
	sel    labels.Selector
	ok     bool
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
//
// It builds exactly the selector upstream's sequence builds (the
// Services' merged set as a selector, plus each ReplicaSet's and
// StatefulSet's requirements through Selector.Add), but allocates only
// for what it returns: the candidates are visited in the store's index
// sets, and when a single ReplicaSet or StatefulSet selects the pod (the
// common case) its parsed selector is returned as it is: Add on an empty
// selector copies the requirements and sorts them by key, and they are
// sorted already (LabelSelectorAsSelector sorted them the same way;
// sort.Sort is an insertion sort, which moves nothing in a sorted list,
// up to 12 elements).
//
// The answer for the last pod's labels map is remembered until a
// selecting object is written (lastSelector): a labels map is never
// written in place, so the same map has the same labels.
func (s *StoreSelectors) DefaultSelector(pod *corev1.Pod) (labels.Selector, bool) {
	if len(pod.Labels) == 0 {
		return nil, false
	}
	if s.watching == 0 {
		return s.defaultSelector(pod)
	}
	if l := &s.last; l.valid && l.gen == s.gen && l.ns == pod.Namespace && sameMap(l.labels, pod.Labels) {
		return l.sel, l.ok
	}
	sel, ok := s.defaultSelector(pod)
	s.last = lastSelector{valid: true, ns: pod.Namespace, labels: pod.Labels, gen: s.gen, sel: sel, ok: ok}
	return sel, ok
}

// Watch lets DefaultSelector remember its last answer until stop: it
// watches the Services, ReplicaSets and StatefulSets, with no latency
// (inside each write, before anything can read the store again), and
// counts in gen each one created or deleted or whose selector changed.
// A status write (a ReplicaSet's, with every few pods it makes) changes
// no answer and is refused by the watch's filter.
func (s *StoreSelectors) Watch() (stop func()) {
	bump := func(store.Event) { s.gen++ }
	stops := []func(){
		s.st.WatchFiltered("Service", 0, serviceSelectorChanged, bump),
		s.st.WatchFiltered("ReplicaSet", 0, labelSelectorChanged, bump),
		s.st.WatchFiltered("StatefulSet", 0, labelSelectorChanged, bump),
	}
	s.watching++
	return func() {
		for _, stop := range stops {
			stop()
		}
		s.watching--
		s.last = lastSelector{}
	}
}

// serviceSelectorChanged: a Service created or deleted, or its selector
// changed.
func serviceSelectorChanged(ev store.Event) bool {
	if ev.Type != store.Modified || ev.Old == nil {
		return true
	}
	return !maps.Equal(ev.Old.(*corev1.Service).Spec.Selector, ev.Object.(*corev1.Service).Spec.Selector)
}

// labelSelectorChanged: a ReplicaSet or StatefulSet created or deleted,
// or its selector changed.
func labelSelectorChanged(ev store.Event) bool {
	if ev.Type != store.Modified || ev.Old == nil {
		return true
	}
	return !apiequality.Semantic.DeepEqual(specSelector(ev.Old), specSelector(ev.Object))
}

// specSelector is a ReplicaSet's or StatefulSet's selector.
func specSelector(o store.Object) *metav1.LabelSelector {
	switch x := o.(type) {
	case *appsv1.ReplicaSet:
		return x.Spec.Selector
	case *appsv1.StatefulSet:
		return x.Spec.Selector
	}
	return nil
}

// defaultSelector is DefaultSelector without the memo.
func (s *StoreSelectors) defaultSelector(pod *corev1.Pod) (labels.Selector, bool) {
	podLabels := labels.Set(pod.Labels)
	s.sortedKeys(pod)
	var set labels.Set
	found := false
	s.eachCandidate("Service", pod, func(o store.Object) {
		svc := o.(*corev1.Service)
		if selects(svc.Spec.Selector, podLabels) {
			set = labels.Merge(set, svc.Spec.Selector)
			found = true
		}
	})
	s.matched = s.matched[:0]
	for _, kind := range [...]string{"ReplicaSet", "StatefulSet"} {
		s.eachCandidate(kind, pod, func(o store.Object) {
			other := s.parse(o)
			if other == nil || other.Empty() || !other.Matches(podLabels) {
				return
			}
			if _, ok := other.Requirements(); ok {
				s.matched = append(s.matched, other)
				found = true
			}
		})
	}
	if !found {
		return nil, false
	}
	if len(set) == 0 && len(s.matched) == 1 {
		if reqs, _ := s.matched[0].Requirements(); len(reqs) <= maxInsertionSort {
			return s.matched[0], true
		}
	}
	sel := labels.SelectorFromSet(set)
	for _, other := range s.matched {
		reqs, _ := other.Requirements()
		sel = sel.Add(reqs...)
	}
	return sel, true
}

// maxInsertionSort is the longest slice sort.Sort insertion-sorts.
const maxInsertionSort = 12

// selects reports whether a Service selector (equality on every key)
// selects the labels: labels.SelectorFromSet(sel).Matches(lbls) without
// building the selector.
func selects(sel map[string]string, lbls labels.Set) bool {
	for k, v := range sel {
		if got, ok := lbls[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// sortedKeys fills s.keys with the pod's label keys, sorted.
func (s *StoreSelectors) sortedKeys(pod *corev1.Pod) {
	s.keys = s.keys[:0]
	for k := range pod.Labels {
		s.keys = append(s.keys, k)
	}
	slices.Sort(s.keys)
}

// eachCandidate visits the objects of kind in the pod's namespace indexed
// under "key=value" of one of its labels (in s.keys' order, sortedKeys)
// or "*", by key within each value. An object is indexed under one value
// only, so none is visited twice. The "key=value" strings do not escape,
// so short ones are built on the stack. A kind without any object is not
// searched (a cluster without Services or StatefulSets spared two thirds
// of the index lookups, 9 per pod with two labels).
func (s *StoreSelectors) eachCandidate(kind string, pod *corev1.Pod, fn func(store.Object)) {
	if s.st.Len(kind) == 0 {
		return
	}
	visit := func(o store.Object) {
		if o.GetNamespace() == pod.Namespace {
			fn(o)
		}
	}
	for _, k := range s.keys {
		s.st.EachByIndex(kind, selectorIndex, k+"="+pod.Labels[k], visit)
	}
	s.st.EachByIndex(kind, selectorIndex, anyValue, visit)
}

func (s *StoreSelectors) parse(o store.Object) labels.Selector {
	if p, ok := s.parsed[o.GetUID()]; ok && p.obj == o {
		return p.sel
	}
	sel, err := metav1.LabelSelectorAsSelector(specSelector(o))
	if err != nil {
		sel = nil
	}
	s.parsed[o.GetUID()] = parsedSelector{obj: o, sel: sel}
	return sel
}
