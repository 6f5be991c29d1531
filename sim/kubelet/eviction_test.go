package kubelet

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/kubelet/images"
)

// highPriority creates the PriorityClass "high" (100) of the pods the
// eviction tests rank above the others.
func (h *harness) highPriority() {
	_, err := h.Admin.Create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 100})
	require.NoError(h.t, err)
}

func (h *harness) node() *corev1.Node {
	o, ok := h.Store.Get("Node", "", h.k.name)
	require.True(h.t, ok)
	return o.(*corev1.Node)
}

// memoryPod requests request of memory (none: "") and uses use (the
// sim.kubesim.io/memory annotation; none: ""), of PriorityClass class
// ("": none).
func memoryPod(request, use, class string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		if request != "" {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(request)}
		}
		if use != "" {
			p.Annotations = map[string]string{images.AnnotationMemory: use}
		}
		p.Spec.PriorityClassName = class
	}
}

// An m5.large has 6959Mi allocatable: pods using more than that leave
// memory.available under 100Mi. The eviction manager then evicts one pod
// per pass in upstream's order (over its request first, then lower
// priority, then larger excess), never a critical one; the pod is Failed
// with reason Evicted and upstream's message, the node reports
// MemoryPressure until five minutes after the threshold was last
// crossed, and meanwhile admits no BestEffort pod.
func TestMemoryPressureEviction(t *testing.T) {
	h := newHarness(t, true)
	h.highPriority()
	h.runPod("steady", memoryPod("200Mi", "", ""))                      // within its request
	h.runPod("low", memoryPod("100Mi", "3000Mi", ""))                   // 2900Mi over, low priority
	h.runPod("high", memoryPod("100Mi", "4000Mi", "high"))              // 3900Mi over, higher priority
	h.runPod("critical", memoryPod("", "10Mi", "system-node-critical")) // never evicted
	h.run(3 * time.Second)
	require.Equal(t, corev1.PodRunning, h.pod("low").Status.Phase)
	require.Equal(t, corev1.ConditionFalse, cond(h.node(), corev1.NodeMemoryPressure).Status)
	evictedAt := h.Engine.Elapsed()

	h.run(15 * time.Second) // a pass of the eviction manager (every 10 s)
	low := h.pod("low")
	require.Equal(t, corev1.PodFailed, low.Status.Phase)
	require.Equal(t, "Evicted", low.Status.Reason)
	msg := "The node was low on resource: memory. Threshold quantity: 100Mi, available: 0. " +
		"Container web was using 3000Mi, request is 100Mi, has larger consumption of memory. "
	require.Equal(t, msg, low.Status.Message)
	var dt corev1.PodCondition
	for _, c := range low.Status.Conditions {
		if c.Type == corev1.DisruptionTarget {
			dt = c
		}
	}
	require.Equal(t, corev1.ConditionTrue, dt.Status)
	require.Equal(t, "TerminationByKubelet", dt.Reason)
	require.Equal(t, msg, dt.Message)
	require.NotNil(t, low.Status.ContainerStatuses[0].State.Terminated, "its container was killed")
	h.requireEvent("low", "Warning Evicted: "+msg)
	for _, name := range []string{"steady", "high", "critical"} {
		require.Equal(t, corev1.PodRunning, h.pod(name).Status.Phase, name)
	}

	n := h.node()
	mp := cond(n, corev1.NodeMemoryPressure)
	require.Equal(t, corev1.ConditionTrue, mp.Status)
	require.Equal(t, "KubeletHasInsufficientMemory", mp.Reason)
	require.Equal(t, "kubelet has insufficient memory available", mp.Message)
	h.requireEvent("node-1", "Normal NodeHasInsufficientMemory: Node node-1 status is now: NodeHasInsufficientMemory")

	// Under pressure a BestEffort pod is refused; a Burstable one runs.
	h.runPod("besteffort", nil)
	h.runPod("burstable", memoryPod("50Mi", "", ""))
	h.run(5 * time.Second)
	be := h.pod("besteffort")
	require.Equal(t, corev1.PodFailed, be.Status.Phase)
	require.Equal(t, "Evicted", be.Status.Reason)
	require.Equal(t, "Pod was rejected: The node had condition: [MemoryPressure]. ", be.Status.Message)
	h.requireEvent("besteffort", "Warning Evicted: The node had condition: [MemoryPressure]. ")
	require.Equal(t, corev1.PodRunning, h.pod("burstable").Status.Phase)

	// The threshold is no longer crossed: the condition clears once the
	// transition period has passed since it last was.
	h.run(4 * time.Minute)
	require.Equal(t, corev1.ConditionTrue, cond(h.node(), corev1.NodeMemoryPressure).Status)
	h.run(evictedAt + 5*time.Minute + 30*time.Second - h.Engine.Elapsed())
	mp = cond(h.node(), corev1.NodeMemoryPressure)
	require.Equal(t, corev1.ConditionFalse, mp.Status)
	require.Equal(t, "KubeletHasSufficientMemory", mp.Reason)
	h.requireEvent("node-1", "Normal NodeHasSufficientMemory: Node node-1 status is now: NodeHasSufficientMemory")
	require.Equal(t, corev1.PodRunning, h.pod("high").Status.Phase, "one eviction was enough")
}

// checkRunningWS fails unless k.runningWS is what memoryAvailable summed
// over every pod before it kept a running total: the working sets of the
// running app containers of the pods with a sandbox, neither finished nor
// evicted, the ones not computed yet excepted (their pods must then wait
// in k.usagePending, for memoryAvailable to compute them).
func checkRunningWS(t *testing.T, k *Kubelet) {
	t.Helper()
	var want int64
	for _, p := range k.pods {
		if !p.sandbox || p.finished || p.evicted {
			continue
		}
		for _, c := range p.ctrs {
			switch {
			case c.state != cRunning:
			case c.workingSet == 0:
				require.True(t, p.usagePending, "pod %s: container %s runs, its working set is not computed, and its pod waits for nothing", p.key, c.spec.Name)
			default:
				want += c.workingSet
			}
		}
	}
	require.Equal(t, want, k.runningWS, "at %v", k.now())
}

// fullMemoryAvailable is memoryAvailable as a sum over every pod.
func fullMemoryAvailable(k *Kubelet) int64 {
	used := k.tmpfsUsed
	for _, p := range k.pods {
		if p.sandbox && !p.finished && !p.evicted {
			used += p.podUsage()
		}
	}
	return max(k.allocatable.Memory+evictionHardMemory-used, 0)
}

// The running total of the working set agrees with the sum over every pod
// through each kind of change: containers starting, crashing and
// restarting, init containers and a sidecar, a Job's pod finishing, an
// ephemeral container, a container killed from outside, a graceful
// delete, the machine failing (its pods deleted meanwhile) and
// recovering, and a memory-pressure eviction. (checkRunningWS also runs
// after every event of the package's other tests.)
func TestRunningWorkingSetTotal(t *testing.T) {
	h := newHarness(t, true)
	check := func(what string) {
		t.Helper()
		checkRunningWS(t, h.k)
		require.Equal(t, fullMemoryAvailable(h.k), h.k.memoryAvailable(), what)
		require.Empty(t, h.k.usagePending, what)
	}
	h.runPod("web", memoryPod("100Mi", "", ""))
	h.runPod("crash", func(p *corev1.Pod) {
		p.Spec.Containers[0].Image = "busybox"
		p.Spec.Containers[0].Command = []string{"sh", "-c", "sleep 3; exit 1"}
	})
	always := corev1.ContainerRestartPolicyAlways
	h.runPod("sidecar", func(p *corev1.Pod) {
		p.Annotations = map[string]string{images.AnnotationMemory: "300Mi"}
		p.Spec.InitContainers = []corev1.Container{
			{Name: "setup", Image: "busybox", Command: []string{"sleep", "2"}},
			{Name: "proxy", Image: "nginx:1.27", RestartPolicy: &always},
		}
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "app", Image: "busybox", Command: []string{"sleep", "3600"}})
	})
	h.runPod("job", func(p *corev1.Pod) {
		p.Spec.RestartPolicy = corev1.RestartPolicyNever
		p.Spec.Containers[0].Image = "busybox"
		p.Spec.Containers[0].Command = []string{"sh", "-c", "sleep 8"}
	})
	h.run(2 * time.Second)
	check("starting")
	h.run(20 * time.Second)
	check("running, crashing, finished")
	require.Equal(t, corev1.PodSucceeded, h.pod("job").Status.Phase)
	require.Positive(t, h.k.runningWS)

	pod := h.pod("web")
	pod.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox", Command: []string{"sleep", "5"}}}}
	_, err := h.Admin.Update(pod)
	require.NoError(t, err)
	h.run(3 * time.Second)
	check("ephemeral")

	require.NoError(t, h.k.ContainerExit(pod.UID, "web", 2))
	checkRunningWS(t, h.k)
	h.run(3 * time.Second)
	check("killed and restarted")

	require.NoError(t, h.Admin.Delete("Pod", "default", "crash", apiserver.DeleteOptions{}))
	h.run(40 * time.Second)
	check("deleted")
	require.Nil(t, h.pod("crash"))

	h.k.Fail()
	checkRunningWS(t, h.k)
	require.Zero(t, h.k.runningWS, "no pod runs on a dead machine")
	zero := int64(0)
	require.NoError(t, h.Admin.Delete("Pod", "default", "sidecar", apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
	h.run(time.Minute)
	h.k.Recover()
	h.run(time.Minute)
	check("recovered")
	require.Equal(t, corev1.PodRunning, h.pod("web").Status.Phase)

	h.runPod("hog", memoryPod("100Mi", "7000Mi", ""))
	h.run(30 * time.Second)
	check("evicted")
	require.Equal(t, "Evicted", h.pod("hog").Status.Reason)
}

// BenchmarkMemoryAvailable is the eviction manager's memory.available on
// a node running 200 pods, as each status tick reads it.
func BenchmarkMemoryAvailable(b *testing.B) {
	spec := bigNode()
	h := newNodeHarness(b, 1, spec, true, false)
	for j := range 200 {
		h.runPod("web-"+strconv.Itoa(j), nil)
	}
	h.run(time.Minute)
	b.ResetTimer()
	var sum int64
	for range b.N {
		sum += h.k.memoryAvailable()
	}
	require.Positive(b, sum)
}
