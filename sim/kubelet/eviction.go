package kubelet

import (
	"cmp"
	"math"
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
// kubelet's defaults for the rest). memory.available and
// nodefs.available are observed (disk.go models the root volume's use);
// inodes are not modelled, so nodefs.inodesFree<5% never trips.
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
	reasonEvicted = "Evicted"
)

// evictionState is the eviction manager's memory of its node.
type evictionState struct {
	memory threshold // memory.available: MemoryPressure
	disk   threshold // nodefs.available: DiskPressure

	imageGCAt     time.Duration // the image manager's last garbage collection
	imageGCFailed bool          // it could not free enough
}

// threshold is what the eviction manager remembers of one signal's.
type threshold struct {
	metAt    time.Duration // when the signal was last seen past the threshold
	met      bool          // it ever was
	pressure bool          // its node condition is True
}

// observe records whether the threshold is crossed now, and keeps its node
// condition (index i of the status: 0 memory, 1 disk) True until the
// transition period has passed since it last was, with the kubelet's
// node event (on, off) when it flips.
func (k *Kubelet) observe(t *threshold, crossed bool, i int, on, off string) {
	now := k.now()
	if crossed {
		t.metAt, t.met = now, true
	}
	pressure := t.met && now-t.metAt < pressureTransitionPeriod
	if pressure == t.pressure {
		return
	}
	t.pressure = pressure
	n := &k.node
	n.since[i], n.changed = metav1.NewTime(k.engine.Now()), true
	reason := off
	if pressure {
		reason = on
	}
	k.event(n.tmpl, corev1.EventTypeNormal, reason, "Node "+k.name+" status is now: "+reason)
}

// conditionsNote is upstream's "The node had condition: [...]. " of the
// pressure conditions now True.
func (e *evictionState) conditionsNote() string {
	var c []string
	if e.memory.pressure {
		c = append(c, string(corev1.NodeMemoryPressure))
	}
	if e.disk.pressure {
		c = append(c, string(corev1.NodeDiskPressure))
	}
	return "The node had condition: [" + strings.Join(c, " ") + "]. "
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
	usage = p.podUsage()
	if p.disk != nil {
		usage += p.disk.tmpfs // memory-medium emptyDirs
	}
	return usage, request
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
//
// The pods' use is the running total k.runningWS (see recountUsage), not
// a sum over every pod on each pass (which was most of a steady-state
// status tick). Only the pods whose running containers' working sets were
// not yet computed are visited: they are computed here, on the same pass
// the full sum first computed them, so the values are the same.
func (k *Kubelet) memoryAvailable() int64 {
	for _, p := range k.usagePending {
		p.usagePending = false
		p.settleUsage(true)
	}
	clear(k.usagePending)
	k.usagePending = k.usagePending[:0]
	return max(k.allocatable.Memory+evictionHardMemory-(k.tmpfsUsed+k.runningWS), 0)
}

// setState moves the container to state s. It is the one setter of
// container states: an app container starting or stopping to run changes
// its pod's share of the node's working set (recountUsage).
func (c *container) setState(s cstate) {
	c.state = s
	if !c.init && !c.ephemeral {
		c.p.recountUsage()
	}
}

// recountUsage brings the pod's share of k.runningWS up to date. It is
// called after every change of what podUsage and memoryAvailable's filter
// read: a container state (setState), and the pod's sandbox, finished,
// evicted and deleted flags (createSandbox, finish, machineDied,
// evictWith, forget). It is cheap (the pod's own containers) and exact:
// k.runningWS is then the sum the eviction manager would compute over
// every pod, less the working sets not computed yet, whose pods wait in
// k.usagePending (TestRunningWorkingSetTotal checks both after every
// event of the package's tests).
func (p *podState) recountUsage() { p.settleUsage(false) }

// settleUsage is recountUsage; compute also computes the working sets
// not computed yet (memoryAvailable's pass), else their pods are queued
// for that pass.
func (p *podState) settleUsage(compute bool) {
	var usage int64
	pending := false
	if p.sandbox && !p.finished && !p.evicted && !p.deleted {
		for _, c := range p.ctrs {
			switch {
			case c.state != cRunning:
			case c.workingSet == 0 && !compute:
				pending = true
			default:
				usage += c.workingSetBytes()
			}
		}
	}
	k := p.k
	k.runningWS += usage - p.usage
	p.usage = usage
	if pending && !p.usagePending {
		p.usagePending = true
		k.usagePending = append(k.usagePending, p)
	}
}

// synchronizeEviction is one pass of the eviction manager (every 10 s,
// its monitoring period, on the node status loop): observe
// memory.available and nodefs.available, keep each pressure condition
// True until the transition period has passed since its threshold was
// last crossed, evict the pods over a local storage limit, and otherwise,
// while a threshold is crossed, reclaim: memory first, then the disk
// (unused images before pods), evicting at most one pod.
func (k *Kubelet) synchronizeEviction() {
	available := k.memoryAvailable()
	met := available < evictionHardMemory
	e := &k.eviction
	k.observe(&e.memory, met, 0, "NodeHasInsufficientMemory", "NodeHasSufficientMemory")
	k.imageGC()
	diskAvailable, diskThreshold := k.diskCapacity-k.diskUsed, nodefsThreshold(k.diskCapacity)
	diskMet := k.diskCapacity > 0 && diskAvailable < diskThreshold
	k.observe(&e.disk, diskMet, 1, "NodeHasDiskPressure", "NodeHasNoDiskPressure")
	if k.localStorageEviction() {
		return
	}
	switch {
	case met:
		k.evictOne(memorySignal, available)
	case diskMet:
		k.event(k.node.tmpl, corev1.EventTypeWarning, "EvictionThresholdMet", "Attempting to reclaim "+string(corev1.ResourceEphemeralStorage))
		// Node-level resources first: dead containers are already gone
		// with their pods, so unused images.
		k.freeImages(math.MaxInt64)
		if diskAvailable = k.diskCapacity - k.diskUsed; diskAvailable >= diskThreshold {
			return
		}
		k.evictOne(diskSignal, diskAvailable)
	}
}

// signal is an eviction signal: the resource it starves, its threshold
// and how a pod's use and request of it are measured.
type signal struct {
	resource  corev1.ResourceName
	threshold func(k *Kubelet) int64
	podUsage  func(p *podState) (usage, request int64)
	ctrUsage  func(c *container) int64
}

var (
	memorySignal = &signal{
		resource:  corev1.ResourceMemory,
		threshold: func(*Kubelet) int64 { return evictionHardMemory },
		podUsage:  (*podState).podWorkingSet,
		ctrUsage: func(c *container) int64 {
			if c.state != cRunning {
				return -1
			}
			return c.workingSetBytes()
		},
	}
	diskSignal = &signal{
		resource:  corev1.ResourceEphemeralStorage,
		threshold: func(k *Kubelet) int64 { return nodefsThreshold(k.diskCapacity) },
		podUsage:  (*podState).podDiskUsage,
		ctrUsage: func(c *container) int64 {
			if c.state == cWaiting && c.id == "" {
				return -1
			}
			return c.containerDisk()
		},
	}
)

// evictOne evicts the first evictable pod in upstream's ranking for the
// signal: pods using more than they request first, then lower priority,
// then larger use above request. Critical pods are never evicted.
func (k *Kubelet) evictOne(sig *signal, available int64) {
	var cands []candidate
	for _, p := range k.pods {
		if !p.sandbox || p.finished || p.evicted || p.terminating {
			continue
		}
		u, r := sig.podUsage(p)
		prio := int32(0)
		if p.pod.Spec.Priority != nil {
			prio = *p.pod.Spec.Priority
		}
		cands = append(cands, candidate{p: p, usage: u, request: r, priority: prio, key: p.key})
	}
	rank(cands)
	for _, c := range cands {
		if isCritical(c.p.pod) {
			continue
		}
		c.p.evictWith(evictionMessage(k, sig, c.p, available), true)
		return
	}
}

// candidate is a pod as the eviction manager ranks it.
type candidate struct {
	p              *podState
	usage, request int64
	priority       int32
	key            string
}

// rank orders the candidates as upstream's rank functions for memory
// and ephemeral-storage do (orderedBy(exceedsRequests, priority, usage
// above request)), then by key for a stable order.
func rank(cands []candidate) {
	slices.SortFunc(cands, func(a, b candidate) int {
		if ea, eb := a.usage > a.request, b.usage > b.request; ea != eb {
			if ea {
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
func evictionMessage(k *Kubelet, sig *signal, p *podState, available int64) string {
	var b strings.Builder
	b.WriteString("The node was low on resource: " + string(sig.resource) + ". ")
	b.WriteString("Threshold quantity: " + resource.NewQuantity(sig.threshold(k), resource.BinarySI).String() +
		", available: " + resource.NewQuantity(available, resource.BinarySI).String() + ". ")
	for _, c := range p.ctrs {
		u := sig.ctrUsage(c)
		if u < 0 {
			continue
		}
		req := c.spec.Resources.Requests[sig.resource]
		usage := resource.NewQuantity(u, resource.BinarySI)
		if usage.Cmp(req) > 0 {
			b.WriteString("Container " + c.spec.Name + " was using " + usage.String() + ", request is " + req.String() +
				", has larger consumption of " + string(sig.resource) + ". ")
		}
	}
	return b.String()
}

// evictWith kills the pod's containers with the eviction grace period and
// marks it Failed with reason Evicted (and, for a node-pressure
// eviction, a DisruptionTarget condition: upstream's local storage
// evictions set none); the pod object stays for its owner to replace.
func (p *podState) evictWith(msg string, disruption bool) {
	k := p.k
	k.event(p.pod, corev1.EventTypeWarning, reasonEvicted, msg)
	p.evicted, p.reason, p.message = true, reasonEvicted, msg
	p.recountUsage()
	p.noDisruption = !disruption
	e := k.engine
	p.cancelTimers()
	for _, c := range p.all() {
		c.restartPending = false
		switch c.state {
		case cRunning:
			c.stop(evictionGracePeriod)
		case cWaiting:
			c.setState(cTerminated)
			c.exitCode, c.reason = 137, "ContainerStatusUnknown"
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

// admitUnderPressure is the eviction manager's admission: under disk
// pressure only critical pods are admitted; under memory pressure alone
// also those not BestEffort or tolerating the memory-pressure taint.
func (k *Kubelet) admitUnderPressure(pod *corev1.Pod) bool {
	e := &k.eviction
	if !e.memory.pressure && !e.disk.pressure || isCritical(pod) {
		return true
	}
	if e.disk.pressure {
		return false
	}
	if qosClass(&pod.Spec) != corev1.PodQOSBestEffort {
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
