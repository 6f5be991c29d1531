package metrics

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// BenchmarkScrapeAfterStatusWrites: 500 nodes run 15,000 pods; between
// two scrapes every pod's status is written twice (the ramp of a large
// rollout, where every scrape recomputes). One op is the scrape; the
// writes are not timed, nor is the server's watch, which runs inside
// them.
func BenchmarkScrapeAfterStatusWrites(b *testing.B) {
	const nodes, pods = 500, 15000
	e := sim.NewEngine(1)
	st := store.New(e)
	for i := range nodes {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n" + strconv.Itoa(i)},
			Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16")}}}
		if _, err := st.Create(n); err != nil {
			b.Fatal(err)
		}
	}
	started := metav1.NewTime(e.Now())
	req := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}
	var all []*corev1.Pod
	for i := range pods {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "p" + strconv.Itoa(i), UID: types.UID("u" + strconv.Itoa(i))},
			Spec: corev1.PodSpec{NodeName: "n" + strconv.Itoa(i%nodes), Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: req}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}}}}}
		o, err := st.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, o.(*corev1.Pod))
	}
	s := New(e, st, Config{})
	s.Start()
	e.RunUntil(time.Minute)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for range 2 {
			for i, p := range all {
				cp := *p
				cp.ResourceVersion = ""
				o, err := st.Update(&cp)
				if err != nil {
					b.Fatal(err)
				}
				all[i] = o.(*corev1.Pod)
			}
		}
		b.StartTimer()
		s.scrape()
	}
}

// TestOwnersGoWithTheirPods: the workload the server remembers for a pod
// is dropped when the pod goes, and when another pod takes its name.
func TestOwnersGoWithTheirPods(t *testing.T) {
	e := sim.NewEngine(1)
	st := store.New(e)
	started := metav1.NewTime(e.Now())
	pod := func(uid, rs string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-1", UID: types.UID(uid),
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs, Controller: ptr.To(true)}}},
			Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "app"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}}}}}
	}
	_, err := st.Create(pod("u1", "web-a"))
	require.NoError(t, err)
	s := New(e, st, Config{})
	s.Start()
	e.RunUntil(time.Minute)
	require.Equal(t, "ReplicaSet/web-a", s.owner["default/web-1"])

	_, err = st.Delete("Pod", "default", "web-1")
	require.NoError(t, err)
	_, err = st.Create(pod("u2", "web-b")) // the same name, another pod
	require.NoError(t, err)
	e.RunUntil(2 * time.Minute)
	require.Equal(t, "ReplicaSet/web-b", s.owner["default/web-1"])

	_, err = st.Delete("Pod", "default", "web-1")
	require.NoError(t, err)
	e.RunUntil(3 * time.Minute)
	require.Empty(t, s.owner)
}
