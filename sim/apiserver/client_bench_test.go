package apiserver_test

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/store"
)

// BenchmarkPodStatusWrite is the kubelet's status write as a run makes
// it, hundreds of thousands of times: 10,000 bound pods of a Deployment's
// shape (labels, an owner, requests), watched as in a cluster (a
// controller's watch with a latency, a kubelet's spec.nodeName watch),
// each op one UpdateStatus of a pod from a reused request carrying only
// the name and the new status, a hundred writes an instant.
func BenchmarkPodStatusWrite(b *testing.B) {
	const pods, perInstant = 10_000, 100
	w := apiservertest.NewWorld(1, "default")
	kubelet := w.Server.Client("kubelet/node-1")
	labels := map[string]string{"app": "web", "pod-template-hash": "7d9f8c6b5"}
	for i := range 100 {
		if _, err := w.Admin.Create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i)}}); err != nil {
			b.Fatal(err)
		}
	}
	names := make([]string, pods)
	for i := range names {
		names[i] = fmt.Sprintf("web-7d9f8c6b5-%06d", i)
		p := newPod(names[i])
		p.Labels = labels
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d9f8c6b5", UID: "rs-uid", Controller: new(bool)}}
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}
		if _, err := w.Admin.Create(p); err != nil {
			b.Fatal(err)
		}
		if err := w.Admin.Bind("default", names[i], fmt.Sprintf("node-%d", i%100)); err != nil {
			b.Fatal(err)
		}
	}
	delivered := 0
	w.Store.Watch("Pod", 5*time.Millisecond, func(store.Event) { delivered++ })
	w.Store.WatchIndex("Pod", store.NodeNameIndex, "node-1", 0, func(store.Event) { delivered++ })
	w.Engine.RunUntil(time.Second)
	req := &corev1.Pod{}
	phases := []corev1.PodPhase{corev1.PodRunning, corev1.PodPending}
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i += perInstant {
		w.Engine.RunUntil(w.Engine.Elapsed() + time.Millisecond)
		for j := i; j < min(i+perInstant, b.N); j++ {
			*req = corev1.Pod{}
			req.Name, req.Namespace = names[j%pods], "default"
			req.Status.Phase = phases[(j/pods)%2]
			if _, err := kubelet.UpdateStatus(req); err != nil {
				b.Fatal(err)
			}
		}
	}
	w.Engine.RunUntil(w.Engine.Elapsed() + time.Second)
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	if delivered == 0 {
		b.Fatal("nothing delivered")
	}
}
