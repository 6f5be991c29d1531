package controllerutil

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/store"
)

// TestWatchedClaimMemoAgreesWithClaim: a ClaimMemo told of every pod
// write (Watch), which reads only the pods written since an owner's last
// Claim, keeps exactly what a walk of the owner's pods keeps, in the same
// order, each with the value of its current version, however pods change
// between its Claims: created owned, orphaned or owned but not
// controlled, relabelled out of and back into the selector, annotated,
// handed to another owner, deleted, created again under the same name,
// several times over between two Claims or more than the memo records.
// It releases what a walk releases and adopts what a walk adopts (the
// walk after it finds nothing to change), and goes back to walking once
// the watch stops.
func TestWatchedClaimMemoAgreesWithClaim(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkMemoAgainstClaim(t, seed) })
	}
}

func checkMemoAgainstClaim(t *testing.T, seed uint64) {
	w := fake.New(1)
	rng := rand.New(rand.NewPCG(seed, 1))
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	owners := map[string]*appsv1.ReplicaSet{}
	for _, name := range []string{"web", "api"} {
		o, err := w.Admin.Create(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: appsv1.ReplicaSetSpec{Selector: sel, Template: fake.Template(sel.MatchLabels, "nginx")}})
		require.NoError(t, err)
		owners[name] = o.(*appsv1.ReplicaSet)
	}
	rs := owners["web"]
	s, err := metav1.LabelSelectorAsSelector(sel)
	require.NoError(t, err)
	client := w.Server.Client("replicaset-controller")
	var memo ClaimMemo[string]
	stop := memo.Watch(w.Store, "Pod")
	version := func(o store.Object) string { return store.KeyOf(o) + "@" + o.GetResourceVersion() }
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	get := func(name string) (*corev1.Pod, bool) {
		o, ok := w.Store.Get("Pod", "default", name)
		if !ok {
			return nil, false
		}
		return o.(*corev1.Pod).DeepCopy(), true
	}
	ref := func(owner string, controller bool) metav1.OwnerReference {
		r := NewControllerRef(owners[owner], "ReplicaSet")
		r.Controller = &controller
		return r
	}
	ops := []func(name string){
		func(name string) { // create: owned, owned but not controlled, an orphan, or another's
			var refs []metav1.OwnerReference
			switch rng.IntN(4) {
			case 0:
				refs = []metav1.OwnerReference{ref("web", true)}
			case 1:
				refs = []metav1.OwnerReference{ref("web", false)}
			case 2:
				refs = []metav1.OwnerReference{ref("api", true), ref("web", false)}
			}
			_, _ = w.Admin.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default",
				Labels: map[string]string{"app": "web"}, OwnerReferences: refs},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}})
		},
		func(name string) { // relabel out of the selector, or back into it
			if p, ok := get(name); ok {
				p.Labels = map[string]string{"app": []string{"web", "other"}[rng.IntN(2)]}
				_, err := w.Admin.Update(p)
				require.NoError(t, err)
			}
		},
		func(name string) { // a new version with nothing the claim reads changed
			if p, ok := get(name); ok {
				p.Annotations = map[string]string{"n": fmt.Sprint(rng.IntN(1000))}
				_, err := w.Admin.Update(p)
				require.NoError(t, err)
			}
		},
		func(name string) { // handed to the other owner
			if p, ok := get(name); ok {
				p.OwnerReferences = []metav1.OwnerReference{ref("api", true)}
				_, err := w.Admin.Update(p)
				require.NoError(t, err)
			}
		},
		func(name string) {
			_ = w.Admin.Delete("Pod", "default", name, apiserver.DeleteOptions{})
		},
	}
	claims := func(what string) {
		t.Helper()
		got, err := memo.Claim(client, "Pod", rs, "ReplicaSet", s, sel.MatchLabels, version)
		require.NoError(t, err, what)
		keys := []string{}
		for _, c := range got {
			cur, ok := w.Store.Get("Pod", c.Object.GetNamespace(), c.Object.GetName())
			require.True(t, ok, "%s: %s is stored", what, store.KeyOf(c.Object))
			require.Same(t, cur, c.Object, "%s: the current version of %s", what, store.KeyOf(c.Object))
			require.Equal(t, version(cur), c.Value, what)
			keys = append(keys, store.KeyOf(c.Object))
		}
		rev := w.Store.Rev()
		want, err := Claim(client, "Pod", rs, "ReplicaSet", s, sel.MatchLabels)
		require.NoError(t, err)
		require.Equal(t, objectKeys(want), keys, what)
		require.Equal(t, rev, w.Store.Rev(), "%s: the walk after the memo's claim writes nothing", what)
	}
	for step := range 300 {
		for range rng.IntN(4) + []int{0, 40}[rng.IntN(10)/9] { // now and then more writes than the memo records
			ops[rng.IntN(len(ops))](names[rng.IntN(len(names))])
		}
		claims(fmt.Sprintf("step %d", step))
	}
	stop()
	ops[0]("z")
	claims("after the watch stopped")
}

// TestClaimMemoLateWriteWalks: a write observed after a newer one (a
// watcher writing inside another write's fan-out) is not applied out of
// order: the owner's memo drops its writes, so the next Claim walks; a
// write in order is recorded.
func TestClaimMemoLateWriteWalks(t *testing.T) {
	owner := types.UID("rs-uid")
	pod := func(rv string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", ResourceVersion: rv,
			OwnerReferences: []metav1.OwnerReference{{UID: owner, Controller: ptr.To(true)}}}}
	}
	v1, v2, v3 := pod("1"), pod("2"), pod("3")
	for _, c := range []struct {
		name   string
		events []store.Event
		exact  bool
	}{
		{"in order", []store.Event{{Type: store.Modified, Old: v1, Object: v2, Rev: 2}, {Type: store.Modified, Old: v2, Object: v3, Rev: 3}}, true},
		{"late", []store.Event{{Type: store.Modified, Old: v2, Object: v3, Rev: 3}, {Type: store.Modified, Old: v1, Object: v2, Rev: 2}}, false},
	} {
		m := &ClaimMemo[int]{owners: map[types.UID]*claimMemo[int]{owner: {exact: true}}, live: true}
		for _, ev := range c.events {
			ev.Kind = "Pod"
			m.observe(ev)
		}
		cm := m.owners[owner]
		require.Equal(t, c.exact, cm.exact, c.name)
		if c.exact {
			require.Len(t, cm.writes, len(c.events), c.name)
		} else {
			require.Empty(t, cm.writes, c.name)
		}
	}
}

// TestClaimMemoSettled: a Claim that found no orphan to adopt lets the
// next one skip the search only while no write has left a pod without a
// controller since: a write of an owned pod keeps it settled, an orphan
// (matching the selector or not) makes the next Claim search again, and
// that search adopts a matching one.
func TestClaimMemoSettled(t *testing.T) {
	for _, c := range []struct {
		name    string
		labels  map[string]string
		refs    bool // the new pod is controlled by the owner
		settled bool // after the write, before the next Claim
		kept    int  // by the next Claim
	}{
		{"owned pod", map[string]string{"app": "web"}, true, true, 2},
		{"matching orphan", map[string]string{"app": "web"}, false, false, 2},
		{"orphan elsewhere", map[string]string{"app": "db"}, false, false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := fake.New(1)
			sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
			o, err := w.Admin.Create(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
				Spec: appsv1.ReplicaSetSpec{Selector: sel, Template: fake.Template(sel.MatchLabels, "nginx")}})
			require.NoError(t, err)
			rs := o.(*appsv1.ReplicaSet)
			s, err := metav1.LabelSelectorAsSelector(sel)
			require.NoError(t, err)
			client := w.Server.Client("replicaset-controller")
			var memo ClaimMemo[int]
			defer memo.Watch(w.Store, "Pod")()
			create := func(name string, labels map[string]string, owned bool) {
				p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
				if owned {
					p.OwnerReferences = []metav1.OwnerReference{NewControllerRef(rs, "ReplicaSet")}
				}
				_, err := w.Admin.Create(p)
				require.NoError(t, err)
			}
			claim := func() []Claimed[int] {
				got, err := memo.Claim(client, "Pod", rs, "ReplicaSet", s, sel.MatchLabels, func(store.Object) int { return 0 })
				require.NoError(t, err)
				return got
			}
			create("a", sel.MatchLabels, true)
			claim() // walks
			claim() // from the writes
			require.True(t, memo.owners[rs.UID].settled, "nothing to adopt")
			create("b", c.labels, c.refs)
			require.Equal(t, c.settled, memo.owners[rs.UID].settled && memo.owners[rs.UID].orphansAt == memo.orphans)
			require.Len(t, claim(), c.kept)
			require.True(t, memo.owners[rs.UID].settled, "settled again")
		})
	}
}
