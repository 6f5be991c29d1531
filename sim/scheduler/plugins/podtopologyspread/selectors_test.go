package podtopologyspread

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// sequenceSelector is upstream helper.DefaultSelector's sequence over the
// store, step by step: the selecting Services' merged set as a selector,
// then each selecting ReplicaSet's and StatefulSet's requirements added
// with Selector.Add, every object of the namespace in key order.
func sequenceSelector(st *store.Store, pod *corev1.Pod) (labels.Selector, bool) {
	podLabels := labels.Set(pod.Labels)
	set := labels.Set{}
	found := false
	for _, o := range st.List("Service", pod.Namespace) {
		svc := o.(*corev1.Service)
		if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
			set = labels.Merge(set, svc.Spec.Selector)
			found = true
		}
	}
	sel := labels.SelectorFromSet(set)
	for _, kind := range []string{"ReplicaSet", "StatefulSet"} {
		for _, o := range st.List(kind, pod.Namespace) {
			var ls *metav1.LabelSelector
			switch x := o.(type) {
			case *appsv1.ReplicaSet:
				ls = x.Spec.Selector
			case *appsv1.StatefulSet:
				ls = x.Spec.Selector
			}
			other, err := metav1.LabelSelectorAsSelector(ls)
			if err != nil || other.Empty() || !other.Matches(podLabels) {
				continue
			}
			reqs, _ := other.Requirements()
			sel = sel.Add(reqs...)
			found = true
		}
	}
	return sel, found
}

// TestStoreSelectorsAsUpstreamSequence: the selector DefaultSelector
// returns (its single-owner shortcut included) is the one upstream's
// sequence of SelectorFromSet and Add builds, requirement for
// requirement, for pods selected by nothing, by one ReplicaSet (equality
// or expressions), by a Service and a ReplicaSet, by two ReplicaSets, by
// a StatefulSet, and in another namespace; and it stays so after the
// owners change.
func TestStoreSelectorsAsUpstreamSequence(t *testing.T) {
	st := store.New(sim.NewEngine(1))
	sel := NewStoreSelectors(st)
	rs := func(ns, name string, ls *metav1.LabelSelector) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(ns + "/" + name)}, Spec: appsv1.ReplicaSetSpec{Selector: ls}}
	}
	match := func(kv ...string) *metav1.LabelSelector {
		ls := &metav1.LabelSelector{MatchLabels: map[string]string{}}
		for i := 0; i < len(kv); i += 2 {
			ls.MatchLabels[kv[i]] = kv[i+1]
		}
		return ls
	}
	objs := []store.Object{
		rs("default", "web-1", match("app", "web", "pod-template-hash", "1")),
		rs("default", "web-2", match("app", "web", "pod-template-hash", "2")),
		rs("default", "any-web", match("app", "web")), // a second owner of every web pod
		rs("default", "expr", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"back", "front"}},
			{Key: "app", Operator: metav1.LabelSelectorOpExists}}}),
		rs("other", "web-1", match("app", "web", "pod-template-hash", "1")),
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default", UID: "ss-db"},
			Spec: appsv1.StatefulSetSpec{Selector: match("app", "db")}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: "default"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "cache"}}},
		rs("default", "cache-1", match("app", "cache", "pod-template-hash", "9")),
	}
	for _, o := range objs {
		_, err := st.Create(o)
		require.NoError(t, err)
	}
	pods := []map[string]string{
		nil,
		{"app": "lonely"},
		{"app": "web", "pod-template-hash": "1"}, // web-1 and any-web
		{"app": "x", "tier": "back"},             // expr only
		{"app": "db"},                            // the StatefulSet
		{"app": "cache", "pod-template-hash": "9"}, // Service and ReplicaSet
		{"app": "cache"},                         // Service only
		{"app": "web", "pod-template-hash": "3"}, // any-web only
	}
	check := func(stage string) {
		for _, ns := range []string{"default", "other"} {
			for i, lbls := range pods {
				pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("p", i), Namespace: ns, Labels: lbls}}
				want, wantOK := sequenceSelector(st, pod)
				got, ok := sel.DefaultSelector(pod)
				require.Equal(t, wantOK, ok, "%s %s %v", stage, ns, lbls)
				if ok {
					require.Equal(t, want, got, "%s %s %v", stage, ns, lbls)
					require.Equal(t, want.String(), got.String())
				}
			}
		}
	}
	check("created")
	_, err := st.Delete("ReplicaSet", "default", "any-web")
	require.NoError(t, err)
	upd := objs[0].(*appsv1.ReplicaSet).DeepCopy()
	upd.Spec.Selector = match("app", "web", "pod-template-hash", "3")
	_, err = st.Update(upd)
	require.NoError(t, err)
	check("after a delete and a selector change")
}

// TestWatchedSelectorsFollowWrites: a finder that watches (and so answers
// a pod with the labels map of the last pod from memory) gives upstream's
// selector after every kind of write to a selecting object, each step
// asked twice per pod so that the second answer comes from the memo; a
// status write leaves the memo in place, and after stop the finder asks
// the store again.
func TestWatchedSelectorsFollowWrites(t *testing.T) {
	st := store.New(sim.NewEngine(1))
	sel := NewStoreSelectors(st)
	stop := sel.Watch()
	web := map[string]string{"app": "web", "pod-template-hash": "1"}
	cache := map[string]string{"app": "cache"}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default", UID: "rs-web-1"},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: "default"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "cache"}}}
	ss := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default", UID: "ss-db"},
		Spec: appsv1.StatefulSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "cache"}}}}
	write := func(f func() (store.Object, error)) func() {
		return func() { _, err := f(); require.NoError(t, err) }
	}
	update := func(kind string, o store.Object, change func(store.Object)) func() {
		return func() {
			cur, ok := st.Get(kind, o.GetNamespace(), o.GetName())
			require.True(t, ok)
			n := cur.DeepCopyObject().(store.Object)
			change(n)
			_, err := st.Update(n)
			require.NoError(t, err)
		}
	}
	steps := []struct {
		name     string
		do       func()
		bumpsGen bool
	}{
		{"nothing yet", func() {}, false},
		{"ReplicaSet created", write(func() (store.Object, error) { return st.Create(rs) }), true},
		{"ReplicaSet status written", update("ReplicaSet", rs, func(o store.Object) { o.(*appsv1.ReplicaSet).Status.Replicas = 3 }), false},
		{"ReplicaSet selector narrowed", update("ReplicaSet", rs, func(o store.Object) {
			o.(*appsv1.ReplicaSet).Spec.Selector.MatchLabels["pod-template-hash"] = "2"
		}), true},
		{"Service created", write(func() (store.Object, error) { return st.Create(svc) }), true},
		{"Service selector changed", update("Service", svc, func(o store.Object) { o.(*corev1.Service).Spec.Selector = map[string]string{"app": "web"} }), true},
		{"Service relabelled only", update("Service", svc, func(o store.Object) { o.SetLabels(map[string]string{"x": "y"}) }), false},
		{"StatefulSet created", write(func() (store.Object, error) { return st.Create(ss) }), true},
		{"StatefulSet deleted", write(func() (store.Object, error) { return st.Delete("StatefulSet", "default", "db") }), true},
		{"ReplicaSet deleted", write(func() (store.Object, error) { return st.Delete("ReplicaSet", "default", "web-1") }), true},
	}
	ask := func(stage string, lbls map[string]string) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default", Labels: lbls}}
		want, wantOK := sequenceSelector(st, pod)
		got, ok := sel.DefaultSelector(pod)
		require.Equal(t, wantOK, ok, "%s %v", stage, lbls)
		if ok {
			require.Equal(t, want.String(), got.String(), "%s %v", stage, lbls)
		}
	}
	for _, step := range steps {
		gen := sel.gen
		step.do()
		require.Equal(t, step.bumpsGen, sel.gen != gen, step.name)
		for _, lbls := range []map[string]string{web, web, cache, cache, web} {
			ask(step.name, lbls)
		}
	}
	// Stopped, the finder no longer hears of writes: it must ask the store.
	stop()
	ask("stopped", cache)
	other := rs.DeepCopy()
	other.Name, other.UID, other.Spec.Selector.MatchLabels = "cache-1", "rs-cache-1", map[string]string{"app": "cache"}
	_, err := st.Create(other)
	require.NoError(t, err)
	ask("stopped, then a ReplicaSet created", cache)
}
