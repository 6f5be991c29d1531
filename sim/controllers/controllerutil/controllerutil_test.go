package controllerutil

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/store"
)

var now = sim.Epoch.Add(10 * time.Hour)

type podOpt func(*corev1.Pod)

func pod(name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name),
		CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		Spec: corev1.PodSpec{NodeName: "n1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func unscheduled(p *corev1.Pod)       { p.Spec.NodeName = "" }
func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func node(n string) podOpt            { return func(p *corev1.Pod) { p.Spec.NodeName = n } }
func readySince(d time.Duration) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue,
			LastTransitionTime: metav1.NewTime(now.Add(-d))}}
	}
}
func cost(c string) podOpt {
	return func(p *corev1.Pod) { p.Annotations = map[string]string{PodDeletionCostAnnotation: c} }
}
func restarts(n int32) podOpt {
	return func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{{RestartCount: n}} }
}
func created(d time.Duration) podOpt {
	return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(now.Add(-d)) }
}

func TestScaleDownRanking(t *testing.T) {
	for _, tc := range []struct {
		name        string
		first, last *corev1.Pod
		related     []*corev1.Pod
	}{
		{"unscheduled before scheduled", pod("a", unscheduled, phase(corev1.PodPending)), pod("b", readySince(time.Hour)), nil},
		{"pending before unknown", pod("a", phase(corev1.PodPending)), pod("b", phase(corev1.PodUnknown)), nil},
		{"unknown before running", pod("a", phase(corev1.PodUnknown)), pod("b"), nil},
		{"not ready before ready", pod("a"), pod("b", readySince(time.Hour)), nil},
		{"lower deletion cost first", pod("z", readySince(time.Hour), cost("-5")), pod("a", readySince(time.Hour), cost("10")), nil},
		{"invalid cost counts as 0", pod("z", readySince(time.Hour), cost("-1")), pod("a", readySince(time.Hour), cost("x")), nil},
		{"crowded node first", pod("z", readySince(time.Hour), node("n2")), pod("a", readySince(time.Hour), node("n1")),
			[]*corev1.Pod{pod("r1", node("n2")), pod("r2", node("n2")), pod("r3", node("n1"))}},
		{"ready more recently first", pod("z", readySince(time.Minute)), pod("a", readySince(time.Hour)), nil},
		{"same ready bucket: UID", pod("a", readySince(time.Minute)), pod("b", readySince(time.Minute+time.Second)), nil},
		{"more restarts first", pod("z", restarts(3)), pod("a", restarts(1)), nil},
		{"newer first", pod("z", created(time.Minute)), pod("a", created(time.Hour)), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, in := range [][]*corev1.Pod{{tc.first, tc.last}, {tc.last, tc.first}} {
				got := PodsToDelete(in, tc.related, 1, now)
				require.Equal(t, tc.first.Name, got[0].Name)
			}
		})
	}
}

func TestPodsToDeleteAllWhenNGreater(t *testing.T) {
	ps := []*corev1.Pod{pod("a"), pod("b")}
	require.Len(t, PodsToDelete(ps, nil, 5, now), 2)
}

func TestSlowStartBatch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		count     int
		failAt    int // call index that fails first (-1 none)
		wantCalls int
		wantOK    int
	}{
		{"all succeed", 10, -1, 10, 10},
		{"first fails", 10, 0, 1, 0},
		{"fails in batch of 4", 10, 4, 7, 4}, // batches 1,2,4: calls 4-6 of the third batch fail
		{"zero", 0, -1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			ok, err := SlowStartBatch(tc.count, 1, func() error {
				calls++
				if tc.failAt >= 0 && calls-1 >= tc.failAt {
					return errors.New("boom")
				}
				return nil
			})
			require.Equal(t, tc.wantCalls, calls)
			require.Equal(t, tc.wantOK, ok)
			require.Equal(t, tc.failAt >= 0, err != nil)
		})
	}
}

func TestExpectations(t *testing.T) {
	e := sim.NewEngine(1)
	x := NewExpectations(e)
	require.True(t, x.Satisfied("k"))
	x.Expect("k", 2, []string{"ns/a"})
	require.False(t, x.Satisfied("k"))
	x.CreationObserved("k")
	x.CreationObserved("k")
	require.False(t, x.Satisfied("k"))
	x.DeletionObserved("k", "ns/other")
	require.False(t, x.Satisfied("k"))
	x.DeletionObserved("k", "ns/a")
	x.DeletionObserved("k", "ns/a")
	require.True(t, x.Satisfied("k"))

	x.ExpectCreations("k", 1)
	require.False(t, x.Satisfied("k"))
	e.RunUntil(ExpectationsTimeout + time.Second)
	require.True(t, x.Satisfied("k"), "expired")
}

func TestComputeHash(t *testing.T) {
	tmpl := &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1"}}}}
	h1 := ComputeHash(tmpl, nil)
	require.Equal(t, h1, ComputeHash(tmpl.DeepCopy(), nil), "stable")
	one := int32(1)
	require.NotEqual(t, h1, ComputeHash(tmpl, &one), "collision count changes the hash")
	tmpl2 := tmpl.DeepCopy()
	tmpl2.Spec.Containers[0].Image = "nginx:2"
	require.NotEqual(t, h1, ComputeHash(tmpl2, nil))
	require.Regexp(t, `^[bcdfghjklmnpqrstvwxz2456789]+$`, h1)
}

func TestPodsPrefix(t *testing.T) {
	require.Equal(t, "web-", PodsPrefix("web"))
}

// TestBaseStart: Settle reconciles the existing objects at once; Start opens the declared watches, queues the reconciled
// kind's existing objects once, runs OnStart after the watches, and a
// second Start neither doubles a watch nor queues again; Stop ends the
// watches.
func TestBaseStart(t *testing.T) {
	w := fake.New(1)
	e, admin := w.Engine, w.Admin
	_, err := admin.Create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}})
	require.NoError(t, err)
	var synced, seen, steps []string
	b := NewBase(e, w.Server.Client("c"), "c", Config{}, func(key string) error { synced = append(synced, key); return nil })
	b.Reconciles("Namespace", func(ev store.Event) { b.Queue.Add(ev.Object.GetName()) })
	b.Handles("ConfigMap", func(ev store.Event) { seen = append(seen, store.KeyOf(ev.Object)) })
	b.OnStart(func() { steps = append(steps, "started") })
	require.Empty(t, b.watches, "nothing is watched before Start")
	b.Settle()
	require.Equal(t, []string{"a", "default"}, synced, "Settle reconciles what exists, outside the queue")
	synced = nil

	b.Start()
	b.Start()
	require.Len(t, b.watches, 2)
	require.Equal(t, []string{"started"}, steps)
	e.RunUntil(time.Second)
	require.Equal(t, []string{"a", "default"}, synced)

	_, err = admin.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "x"}})
	require.NoError(t, err)
	e.RunUntil(2 * time.Second)
	require.Equal(t, []string{"a/x"}, seen, "one watch per declaration, even after two Starts")

	b.Stop()
	_, err = admin.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "y"}})
	require.NoError(t, err)
	e.RunUntil(3 * time.Second)
	require.Equal(t, []string{"a/x"}, seen)
}

// TestSelectorMemo: the memo parses an owner's selector once per version
// of spec.selector, parses a changed one again, and reports an invalid
// selector's error as LabelSelectorAsSelector does.
func TestSelectorMemo(t *testing.T) {
	var m SelectorMemo
	web := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	first, err := m.Selector("rs1", web)
	require.NoError(t, err)
	again, err := m.Selector("rs1", web)
	require.NoError(t, err)
	require.Equal(t, first, again)
	require.True(t, again.Matches(labels.Set{"app": "web"}))

	api := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}
	changed, err := m.Selector("rs1", api)
	require.NoError(t, err)
	require.False(t, changed.Matches(labels.Set{"app": "web"}), "a new spec.selector is parsed again")
	require.True(t, changed.Matches(labels.Set{"app": "api"}))

	bad := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}}
	_, err = m.Selector("rs2", bad)
	require.Error(t, err)
	_, err = m.Selector("rs2", bad)
	require.Error(t, err, "an invalid selector stays an error")

	none, err := m.Selector("rs3", nil)
	require.NoError(t, err)
	require.False(t, none.Matches(labels.Set{"app": "web"}), "a nil selector selects nothing")

	m.Forget("rs1")
	require.NotContains(t, m.owners, types.UID("rs1"))
}

func objectKeys(objs []store.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = store.KeyOf(o)
	}
	return out
}

// A remembered Claim keeps, releases and adopts exactly what Claim does
// as pods change under it: a relabelled pod (a new version) is released,
// an orphan adopted, an unchanged pod kept without being read again. The
// value of each kept object is derived from that very version: once per
// version, again for a new one.
func TestClaimMemoClaimsAsClaim(t *testing.T) {
	w := fake.New(1)
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	o, err := w.Admin.Create(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.ReplicaSetSpec{Selector: sel, Template: fake.Template(sel.MatchLabels, "nginx")}})
	require.NoError(t, err)
	rs := o.(*appsv1.ReplicaSet)
	ref := NewControllerRef(rs, "ReplicaSet")
	for _, n := range []string{"a", "b", "c", "e"} {
		_, err := w.Admin.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: "default",
			Labels: map[string]string{"app": "web"}, OwnerReferences: []metav1.OwnerReference{ref}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}})
		require.NoError(t, err)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	require.NoError(t, err)
	client := w.Server.Client("replicaset-controller")
	var memo ClaimMemo[string]
	derived := 0
	version := func(o store.Object) string { derived++; return store.KeyOf(o) + "@" + o.GetResourceVersion() }
	memoClaim := func() []string {
		got, err := memo.Claim(client, "Pod", rs, "ReplicaSet", s, sel.MatchLabels, version)
		require.NoError(t, err)
		var keys []string
		for _, c := range got {
			require.Equal(t, store.KeyOf(c.Object)+"@"+c.Object.GetResourceVersion(), c.Value, "the value of this version")
			keys = append(keys, store.KeyOf(c.Object))
		}
		return keys
	}
	claim := func() []string {
		got := memoClaim()
		want, err := Claim(client, "Pod", rs, "ReplicaSet", s, sel.MatchLabels)
		require.NoError(t, err)
		require.Equal(t, objectKeys(want), got)
		return got
	}
	require.Equal(t, []string{"default/a", "default/b", "default/c", "default/e"}, claim())
	require.Equal(t, 4, derived)
	require.Equal(t, []string{"default/a", "default/b", "default/c", "default/e"}, claim())
	require.Equal(t, 4, derived, "unchanged versions are not read again")

	// b is relabelled: the memo must not keep its old version.
	b, _ := w.Store.Get("Pod", "default", "b")
	nb := b.(*corev1.Pod).DeepCopy()
	nb.Labels = map[string]string{"app": "other"}
	_, err = w.Admin.Update(nb)
	require.NoError(t, err)
	require.Equal(t, []string{"default/a", "default/c", "default/e"}, memoClaim())
	b, _ = w.Store.Get("Pod", "default", "b")
	require.Empty(t, b.GetOwnerReferences(), "released")
	require.Equal(t, 4, derived)

	// c changes but stays ours: its new version gets a new value; e is
	// deleted.
	c, _ := w.Store.Get("Pod", "default", "c")
	nc := c.(*corev1.Pod).DeepCopy()
	nc.Annotations = map[string]string{"x": "y"}
	_, err = w.Admin.Update(nc)
	require.NoError(t, err)
	require.NoError(t, w.Admin.Delete("Pod", "default", "e", apiserver.DeleteOptions{}))
	require.Equal(t, []string{"default/a", "default/c"}, claim())
	require.Equal(t, 5, derived)

	// An orphan with the labels is adopted, and sorted among the others.
	_, err = w.Admin.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "aa", Namespace: "default",
		Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}})
	require.NoError(t, err)
	require.Equal(t, []string{"default/a", "default/aa", "default/c"}, memoClaim())
	require.Equal(t, 6, derived)
	require.Equal(t, []string{"default/a", "default/aa", "default/c"}, claim())
	require.Equal(t, 6, derived)
}

// TestDeletePods: a pod already gone counts as observed at once and is no
// error; a pod deleted stays expected until its watch event is observed.
func TestDeletePods(t *testing.T) {
	w := fake.New(1)
	a := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "a"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
	_, err := w.Admin.Create(a)
	require.NoError(t, err)
	gone := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "gone"}}
	owner := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}

	b := NewBase(w.Engine, w.Server.Client("c"), "c", Config{}, nil)
	x := NewExpectations(w.Engine)
	x.ExpectDeletions("k", []string{"default/a", "default/gone"})
	require.NoError(t, b.DeletePods(x, "k", owner, []*corev1.Pod{a, gone}))
	_, ok := w.Store.Get("Pod", "default", "a")
	require.False(t, ok, "a is deleted")
	require.False(t, x.Satisfied("k"), "a's deletion is still to be observed")
	x.DeletionObserved("k", "default/a")
	require.True(t, x.Satisfied("k"), "gone's deletion was observed at once")
}

// TestNewControllerRefAPIVersion: a controller reference carries its
// owner kind's own apiVersion (a Job's pods name batch/v1, an RC's v1),
// not apps/v1 for every kind.
func TestNewControllerRefAPIVersion(t *testing.T) {
	owner := &metav1.ObjectMeta{Name: "x", UID: "u"}
	for kind, want := range map[string]string{"ReplicaSet": "apps/v1", "ReplicationController": "v1", "Job": "batch/v1",
		"CronJob": "batch/v1", "Pod": "v1", "StatefulSet": "apps/v1"} {
		ref := NewControllerRef(owner, kind)
		require.Equal(t, want, ref.APIVersion, kind)
		require.Equal(t, kind, ref.Kind)
		require.True(t, *ref.Controller && *ref.BlockOwnerDeletion, kind)
	}
}

// TestComputeHashIgnoresWhoFormattedAQuantityFirst: a template whose
// emptyDir sizeLimit is written in a non-canonical form hashes the same
// before and after something formats the stored quantity (which caches
// its string), as it does once etcd encoded it.
func TestComputeHashIgnoresWhoFormattedAQuantityFirst(t *testing.T) {
	limit := resource.MustParse("0.5Gi")
	tmpl := &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Volumes: []corev1.Volume{{
		Name:         "scratch",
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: &limit}},
	}}}}
	before := ComputeHash(tmpl, nil)
	require.Equal(t, "512Mi", tmpl.Spec.Volumes[0].EmptyDir.SizeLimit.String()) // caches the string
	require.Equal(t, before, ComputeHash(tmpl, nil))
	encoded := tmpl.DeepCopy()
	_, err := encoded.Marshal()
	require.NoError(t, err)
	require.Equal(t, before, ComputeHash(encoded, nil))
}

// TestKeyMemoAgreesWithControllerKey: a KeyMemo answers as ControllerKey
// for objects sharing one references array, through the owner's deletion
// and its re-creation under the same name (another UID), for another
// namespace holding the same array, and for references naming no
// controller or another kind.
func TestKeyMemoAgreesWithControllerKey(t *testing.T) {
	w := fake.New(1)
	_, err := w.Admin.Create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}})
	require.NoError(t, err)
	newRS := func() *appsv1.ReplicaSet {
		sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
		o, err := w.Admin.Create(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
			Spec: appsv1.ReplicaSetSpec{Selector: sel, Template: fake.Template(sel.MatchLabels, "nginx")}})
		require.NoError(t, err)
		return o.(*appsv1.ReplicaSet)
	}
	rs := newRS()
	refs := []metav1.OwnerReference{NewControllerRef(rs, "ReplicaSet")}
	notController := []metav1.OwnerReference{NewControllerRef(rs, "ReplicaSet")}
	notController[0].Controller = nil
	var memo KeyMemo
	steps := []struct {
		name   string
		before func()
		ns     string
		refs   []metav1.OwnerReference
		kind   string
		found  bool
	}{
		{"owned", nil, "default", refs, "ReplicaSet", true},
		{"owned again", nil, "default", refs, "ReplicaSet", true},
		{"other kind", nil, "default", refs, "Deployment", false},
		{"not a controller", nil, "default", notController, "ReplicaSet", false},
		{"other namespace", nil, "other", refs, "ReplicaSet", false},
		{"back in its namespace", nil, "default", refs, "ReplicaSet", true},
		{"owner deleted", func() {
			require.NoError(t, w.Admin.Delete("ReplicaSet", "default", "web", apiserver.DeleteOptions{}))
		}, "default", refs, "ReplicaSet", false},
		{"a namesake created", func() { newRS() }, "default", refs, "ReplicaSet", false},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: s.ns, OwnerReferences: s.refs}}
		wantKey, wantOK := ControllerKey(w.Store, s.kind, p)
		key, ok := memo.ControllerKey(w.Store, s.kind, p)
		require.Equal(t, s.found, wantOK, s.name)
		require.Equal(t, wantOK, ok, s.name)
		require.Equal(t, wantKey, key, s.name)
	}
}
