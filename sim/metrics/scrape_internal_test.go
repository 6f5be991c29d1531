package metrics

import (
	"fmt"
	"strconv"
	"strings"
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
	require.Equal(t, "ReplicaSet/web-a", s.entryOf("default", "web-1").owner)

	_, err = st.Delete("Pod", "default", "web-1")
	require.NoError(t, err)
	_, err = st.Create(pod("u2", "web-b")) // the same name, another pod
	require.NoError(t, err)
	e.RunUntil(2 * time.Minute)
	require.Equal(t, "ReplicaSet/web-b", s.entryOf("default", "web-1").owner)

	_, err = st.Delete("Pod", "default", "web-1")
	require.NoError(t, err)
	e.RunUntil(3 * time.Minute)
	require.Empty(t, s.list)
}

// TestWatchLosesNoPodToARestore: a store restored under the server
// (every object a new version in a new slot, no event) leaves the watch
// no entry to follow a pod's next write with: the server then reads
// every pod again, and its samples stay those of a server that always
// does. Pods there before the server started are found by name at their
// first write.
func TestWatchLosesNoPodToARestore(t *testing.T) {
	e := sim.NewEngine(1)
	st := store.New(e)
	for i := range 3 {
		_, err := st.Create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n" + strconv.Itoa(i)},
			Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16")}}})
		require.NoError(t, err)
	}
	pod := func(i int) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "p" + strconv.Itoa(i), UID: types.UID("u" + strconv.Itoa(i))},
			Spec: corev1.PodSpec{NodeName: "n" + strconv.Itoa(i%3), Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(strconv.Itoa(100*(i+1)) + "m")}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(e.Now())}}}}}}
	}
	_, err := st.Create(pod(0)) // before the servers start
	require.NoError(t, err)
	lazy, eager := New(e, st, Config{}), New(e, st, Config{Eager: true})
	var rows [2][]string
	for i, s := range []*Server{lazy, eager} {
		s.OnScrape(func() {
			row := fmt.Sprint(e.Elapsed(), " used ", s.UsedCPUMilli())
			for _, k := range s.PodKeys() {
				ns, name, _ := strings.Cut(k, "/")
				p, _ := s.Pod(ns, name)
				row += fmt.Sprintf(" %s=%d", k, p.CPUMilli)
			}
			rows[i] = append(rows[i], row)
		})
		s.Start()
	}
	write := func(name string, change func(p *corev1.Pod)) {
		t.Helper()
		o, ok := st.Get("Pod", "default", name)
		require.True(t, ok)
		p := o.(*corev1.Pod).DeepCopy()
		change(p)
		_, err := st.Update(p)
		require.NoError(t, err)
	}
	limit := func(m string) func(p *corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(m)}
		}
	}
	for i := 1; i < 4; i++ {
		_, err := st.Create(pod(i))
		require.NoError(t, err)
	}
	e.RunUntil(time.Minute)
	write("p0", limit("5m")) // found by name
	e.RunUntil(2 * time.Minute)

	var objs []store.Object
	for _, kind := range []string{"Node", "Pod"} {
		for _, o := range st.List(kind, "") {
			objs = append(objs, o.DeepCopyObject().(store.Object))
		}
	}
	st.Restore(st.Rev(), objs)
	write("p2", limit("7m"))
	_, err = st.Delete("Pod", "default", "p3")
	require.NoError(t, err)
	e.RunUntil(3 * time.Minute)
	write("p1", limit("3m"))
	e.RunUntil(4 * time.Minute)

	require.Equal(t, rows[1], rows[0])
	last := rows[0][len(rows[0])-1]
	for _, want := range []string{"default/p0=5 ", "default/p1=3 ", "default/p2=7"} {
		require.Contains(t, last+" ", want)
	}
	require.NotContains(t, last, "p3")
}
