//go:build linux

package etcd

import (
	"crypto/sha256"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// BenchmarkHashContent is the content hash of Status over 20,000 pods and
// as many packed Events, the shape of the end of a run. caller-ms/op is
// the CPU time of the calling goroutine (the simulation's, which the
// report phase waits on), measured on its locked OS thread.
func BenchmarkHashContent(b *testing.B) {
	var cells []cell
	for i := range 20000 {
		name := "web-" + strconv.Itoa(i)
		cpu := resource.MustParse("250m")
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, ResourceVersion: strconv.Itoa(i + 1),
				Labels: map[string]string{"app": "web", "pod-template-hash": "5d8f7c9b6"}},
			Spec: corev1.PodSpec{NodeName: "node-" + strconv.Itoa(i%300), Containers: []corev1.Container{{
				Name: "app", Image: "registry.example/web:1.2.3",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: cpu}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1", Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionTrue}, {Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}},
		}
		ev := &store.Encoding{Bytes: make([]byte, 400)}
		cells = append(cells, cell{"Pod", "default/" + name, p}, cell{"Event", "default/" + name + ".1", ev})
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	start := threadCPU()
	for range b.N {
		if err := hashContent(sha256.New(), slices.Values(cells)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(threadCPU()-start)/float64(time.Millisecond)/float64(b.N), "caller-ms/op")
}

// threadCPU is the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
