package cost

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/store"
)

// TestWorkloadThroughChains: pods sharing one controller reference read
// their owners through the slots the first walk found; after each change
// of the owners (a status write, a ReplicaSet handed to another
// Deployment or orphaned, an owner deleted and created again, a
// Deployment given an owner of its own) the walk names what a walk by
// name names.
func TestWorkloadThroughChains(t *testing.T) {
	e := sim.NewEngine(1)
	st := store.New(e)
	m := New(e, st, cloud.NewEC2(e, "us-east-1"))
	yes := true
	ctl := func(kind, name string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{Kind: kind, Name: name, UID: types.UID(kind + "/" + name), Controller: &yes}}
	}
	put := func(o store.Object) {
		if _, ok := st.Get(kindOf(o), o.GetNamespace(), o.GetName()); ok {
			_, err := st.Update(o)
			require.NoError(t, err)
			return
		}
		_, err := st.Create(o)
		require.NoError(t, err)
	}
	del := func(kind, name string) {
		_, err := st.Delete(kind, "default", name)
		require.NoError(t, err)
	}
	rs := func(owner string) *appsv1.ReplicaSet {
		r := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-1"}}
		if owner != "" {
			r.OwnerReferences = ctl("Deployment", owner)
		}
		return r
	}
	dep := func(name string, owners []metav1.OwnerReference) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, OwnerReferences: owners}}
	}
	refs := ctl("ReplicaSet", "web-1") // one array, as a batch's pods share it
	pod := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, OwnerReferences: refs}}
	}
	for i, step := range []struct {
		name   string
		change func()
		want   Workload
	}{
		{"a ReplicaSet of a Deployment", func() { put(dep("web", nil)); put(rs("web")) }, Workload{"Deployment", "default", "web"}},
		{"a status write", func() { r := rs("web"); r.Status.Replicas = 3; put(r) }, Workload{"Deployment", "default", "web"}},
		{"handed to another Deployment", func() { put(dep("api", nil)); put(rs("api")) }, Workload{"Deployment", "default", "api"}},
		{"the first given an owner", func() { put(dep("web", ctl("Rollout", "canary"))) }, Workload{"Deployment", "default", "api"}},
		{"the second gone", func() { del("Deployment", "api") }, Workload{"Deployment", "default", "api"}},
		{"orphaned", func() { put(rs("")) }, Workload{"ReplicaSet", "default", "web-1"}},
		{"the ReplicaSet gone", func() { del("ReplicaSet", "web-1") }, Workload{"ReplicaSet", "default", "web-1"}},
		{"created again under the first", func() { put(rs("web")) }, Workload{"Rollout", "default", "canary"}},
	} {
		step.change()
		for _, name := range []string{"p1", "p2"} {
			p := pod(name)
			require.Equal(t, step.want, m.workloadOf(p), "%s: %s", step.name, name)
			require.Equal(t, walkByName(st, p), m.workloadOf(p), "%s: %s", step.name, name)
		}
		require.Len(t, m.chains, 1, "step %d: the pods share one chain", i)
	}
}

// walkByName is workloadOf without chains: each owner looked up by name.
func walkByName(st *store.Store, pod *corev1.Pod) Workload {
	var obj store.Object = pod
	w := Workload{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name}
	for range maxDepth {
		refs := obj.GetOwnerReferences()
		if len(refs) == 0 {
			break
		}
		w = Workload{Kind: refs[0].Kind, Namespace: pod.Namespace, Name: refs[0].Name}
		o, ok := st.Get(refs[0].Kind, pod.Namespace, refs[0].Name)
		if !ok {
			break
		}
		obj = o
	}
	return w
}

func kindOf(o store.Object) string {
	info, _ := store.KindOf(o)
	return info.Kind
}
