package kubelet

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// BenchmarkPodStatusWrite is the kubelet's pod status write (flushPod)
// as a run makes it, twice per pod: 200 running pods of a Deployment's
// shape (bound by the scheduler: PodScheduled and the kubelet's four
// conditions, one container), each op one write of a pod whose
// container's readiness flipped, the watch's echoes delivered every
// hundred writes. Besides B/op and allocs/op it reports the CPU time of
// all threads per op (cpu-ns/op), the collector's included: the machine
// is shared, and wall time would measure the neighbours.
func BenchmarkPodStatusWrite(b *testing.B) {
	spec := bigNode()
	h := newNodeHarness(b, 1, spec, true, false)
	for j := range 200 {
		h.runPod("web-"+strconv.Itoa(j), func(p *corev1.Pod) {
			p.Labels = map[string]string{"app": "web", "pod-template-hash": "7d9f8c6b5"}
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}
		})
	}
	h.run(time.Minute)
	pods := h.k.sortedPods()
	for _, p := range pods {
		if p.computePhase() != corev1.PodRunning {
			b.Fatalf("%s is %s", p.key, p.computePhase())
		}
	}
	b.ReportAllocs()
	cpu0 := benchCPU()
	b.ResetTimer()
	for i := range b.N {
		if i%100 == 0 {
			h.run(10 * time.Millisecond)
		}
		p := pods[i%len(pods)]
		c := p.ctrs[0]
		c.ready = !c.ready
		before := h.pod(p.pod.Name)
		h.k.flushPod(p)
		if h.pod(p.pod.Name) == before {
			b.Fatal("nothing written")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(benchCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// benchCPU is the process's CPU time, all threads.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
