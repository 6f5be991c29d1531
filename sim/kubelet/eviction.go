package kubelet

import (
	"cmp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/kubelet/images"
)

// The eviction manager's settings on EKS (the AMI's evictionHard, the
// kubelet's defaults for the rest). Only memory is observed: the
// simulator does not model disk use, so nodefs.available<10% and
// nodefs.inodesFree<5% never trip.
const (
	// evictionHardMemory is evictionHard memory.available.
	evictionHardMemory = cloud.EvictionHardMemoryMiB << 20
	// pressureTransitionPeriod is --eviction-pressure-transition-period:
	// a pressure condition stays True this long after the threshold was
	// last seen crossed.
	pressureTransitionPeriod = 5 * time.Minute
	// evictionGracePeriod is the grace a pod evicted for a hard
	// threshold gets (upstream's immediateEvictionGracePeriodSeconds).
	evictionGracePeriod = time.Second
)

// Eviction texts of the upstream kubelet.
const (
	reasonEvicted      = "Evicted"
	memoryPressureNote = "The node had condition: [MemoryPressure]. "
)

// evictionState is the eviction manager's memory of its node.
type evictionState struct {
	memoryMetAt time.Duration // when memory.available was last seen below the threshold
	memoryMet   bool          // it ever was
	pressure    bool          // the MemoryPressure condition is True
}

// workingSetBytes is the container's memory while it runs (as the
// metrics see it: images.WorkingSetBytes), computed once.
func (c *container) workingSetBytes() int64 {
	if c.workingSet == 0 {
		c.workingSet = max(images.WorkingSetBytes(c.spec.Name, c.spec.Resources.Requests[corev1.ResourceMemory], c.p.pod.Annotations), 1)
	}
	return c.workingSet
}

// podWorkingSet is the memory its running app containers use, and its
// memory request (the sum of its app containers').
func (p *podState) podWorkingSet() (usage, request int64) {
	for _, c := range p.ctrs {
		if req, ok := c.spec.Resources.Requests[corev1.ResourceMemory]; ok {
			request += req.Value()
		}
	}
	return p.podUsage(), request
}

// podUsage is the memory its running app containers use: what the
// eviction manager sums over every pod every 10 s, so it reads no
// resource list (the request lookups were a quarter of a steady-state
// run's CPU).
func (p *podState) podUsage() (usage int64) {
	for _, c := range p.ctrs {
		if c.state == cRunning {
			usage += c.workingSetBytes()
		}
	}
	return usage
}

// memoryAvailable is the memory.available signal: the node's capacity
// less its working set, which is the pods' plus what the system daemons
// use (their kube-reserved share), so allocatable plus the threshold
// less the pods' use.
func (k *Kubelet) memoryAvailable() int64 {
	used := int64(0)
	for _, p := range k.pods { // a sum: order-independent
		if p.sandbox && !p.finished && !p.evicted {
			used += p.podUsage()
		}
	}
	return max(k.allocatable.Memory+evictionHardMemory-used, 0)
}

// synchronizeEviction is one pass of the eviction manager (every 10 s,
// its monitoring period, on the node status loop): observe
// memory.available, keep MemoryPressure True until the transition
// period has passed since the threshold was last crossed, and while it
// is crossed evict one pod.
func (k *Kubelet) synchronizeEviction() {
	now := k.now()
	available := k.memoryAvailable()
	met := available < evictionHardMemory
	e := &k.eviction
	if met {
		e.memoryMetAt, e.memoryMet = now, true
	}
	pressure := e.memoryMet && now-e.memoryMetAt < pressureTransitionPeriod
	if pressure != e.pressure {
		e.pressure = pressure
		n := &k.node
		n.since[0], n.changed = metav1.NewTime(k.engine.Now()), true
		reason := "NodeHasSufficientMemory"
		if pressure {
			reason = "NodeHasInsufficientMemory"
		}
		k.event(n.tmpl, corev1.EventTypeNormal, reason, "Node "+k.name+" status is now: "+reason)
	}
	if met {
		k.evictOne(available)
	}
}

// evictOne evicts the first evictable pod in upstream's memory ranking:
// pods using more than they request first, then lower priority, then
// larger use above request. Critical pods are never evicted.
func (k *Kubelet) evictOne(available int64) {
	type candidate struct {
		p              *podState
		usage, request int64
		priority       int32
		exceeds        bool
		key            string
	}
	var cands []candidate
	for _, p := range k.pods {
		if !p.sandbox || p.finished || p.evicted || p.terminating {
			continue
		}
		u, r := p.podWorkingSet()
		prio := int32(0)
		if p.pod.Spec.Priority != nil {
			prio = *p.pod.Spec.Priority
		}
		cands = append(cands, candidate{p: p, usage: u, request: r, priority: prio, exceeds: u > r, key: p.key})
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		if a.exceeds != b.exceeds {
			if a.exceeds {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(a.priority, b.priority); c != 0 {
			return c
		}
		if c := cmp.Compare(b.usage-b.request, a.usage-a.request); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	for _, c := range cands {
		if isCritical(c.p.pod) {
			continue
		}
		c.p.evict(evictionMessage(c.p, available))
		return
	}
}

// isCritical: a static or mirror pod, or one of system-critical priority.
func isCritical(pod *corev1.Pod) bool {
	if pod.Annotations[corev1.MirrorPodAnnotationKey] != "" {
		return true
	}
	return pod.Spec.Priority != nil && *pod.Spec.Priority >= apiserver.SystemClusterCritical
}

// evictionMessage is upstream's: the starved resource, the threshold and
// what was available, then every container using more than it requests.
func evictionMessage(p *podState, available int64) string {
	var b strings.Builder
	b.WriteString("The node was low on resource: memory. ")
	b.WriteString("Threshold quantity: " + resource.NewQuantity(evictionHardMemory, resource.BinarySI).String() +
		", available: " + resource.NewQuantity(available, resource.BinarySI).String() + ". ")
	for _, c := range p.ctrs {
		if c.state != cRunning {
			continue
		}
		req := c.spec.Resources.Requests[corev1.ResourceMemory]
		usage := resource.NewQuantity(c.workingSetBytes(), resource.BinarySI)
		if usage.Cmp(req) > 0 {
			b.WriteString("Container " + c.spec.Name + " was using " + usage.String() + ", request is " + req.String() +
				", has larger consumption of memory. ")
		}
	}
	return b.String()
}

// evict kills the pod's containers with the eviction grace period and
// marks it Failed with reason Evicted (and a DisruptionTarget
// condition); the pod object stays for its owner to replace.
func (p *podState) evict(msg string) {
	k := p.k
	k.event(p.pod, corev1.EventTypeWarning, reasonEvicted, msg)
	p.evicted, p.reason, p.message = true, reasonEvicted, msg
	e := k.engine
	p.cancelTimers()
	for _, c := range p.all() {
		c.restartPending = false
		switch c.state {
		case cRunning:
			c.stop(evictionGracePeriod)
		case cWaiting:
			c.state, c.exitCode, c.reason = cTerminated, 137, "ContainerStatusUnknown"
			c.message = "The container could not be located when the pod was terminated"
			c.finishedAt = metav1.NewTime(e.Now())
		}
	}
	k.markDirty(p)
	p.maybeFinishEviction()
}

// maybeFinishEviction makes an evicted pod terminal once none of its
// containers runs.
func (p *podState) maybeFinishEviction() {
	if !p.anyRunning() && !p.finished {
		p.finish(corev1.PodFailed)
	}
}

// admitUnderPressure is the eviction manager's admission: under memory
// pressure only pods that are critical, not BestEffort, or tolerate the
// memory-pressure taint are admitted.
func (k *Kubelet) admitUnderPressure(pod *corev1.Pod) bool {
	if !k.eviction.pressure || isCritical(pod) || qosClass(&pod.Spec) != corev1.PodQOSBestEffort {
		return true
	}
	// The taint has no value: Exists, or Equal to "", tolerates it.
	return slices.ContainsFunc(pod.Spec.Tolerations, func(t corev1.Toleration) bool {
		return (t.Effect == "" || t.Effect == corev1.TaintEffectNoSchedule) &&
			(t.Key == corev1.TaintNodeMemoryPressure || t.Key == "" && t.Operator == corev1.TolerationOpExists) &&
			(t.Operator == corev1.TolerationOpExists || t.Value == "")
	})
}

// disruptionTarget is the condition an evicted pod carries.
func disruptionTarget(msg string, at metav1.Time) corev1.PodCondition {
	return corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
		Reason: corev1.PodReasonTerminationByKubelet, Message: msg, LastTransitionTime: at}
}
