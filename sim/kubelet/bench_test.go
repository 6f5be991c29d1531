package kubelet

import (
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/store"
)

// BenchmarkKubelet200Pods: one kubelet takes 200 pods from binding to
// Running and Ready, then keeps heartbeating for 10 virtual minutes.
func BenchmarkKubelet200Pods(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := sim.NewEngine(uint64(i))
		st := store.New(e)
		srv := apiserver.New(e, st)
		c := srv.Client("test")
		for _, ns := range []string{"default", NodeLeaseNamespace} {
			if err := apiservertest.Namespace(c, ns); err != nil {
				b.Fatal(err)
			}
		}
		capacity := corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi"),
			corev1.ResourcePods: resource.MustParse("250"),
		}
		k := New(e, srv.Client("kubelet/big"), cloud.NodeSpec{Name: "big", Zone: "us-east-1a", Capacity: capacity, Allocatable: capacity}, Config{})
		k.Start(true)
		for j := 0; j < 200; j++ {
			name := "web-" + strconv.Itoa(j)
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}},
			}
			if _, err := c.Create(pod); err != nil {
				b.Fatal(err)
			}
			if err := c.Bind("default", name, "big"); err != nil {
				b.Fatal(err)
			}
		}
		e.RunUntil(10 * time.Minute)
		running := 0
		for _, o := range st.List("Pod", "default") {
			if o.(*corev1.Pod).Status.Phase == corev1.PodRunning {
				running++
			}
		}
		if running != 200 {
			b.Fatalf("%d pods running", running)
		}
	}
}
