package kubelet

import (
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Runtime latencies (containerd on EKS, warm VPC CNI IP pool).
const (
	sandboxLatency = 300 * time.Millisecond // pause container + CNI ADD
	createLatency  = 50 * time.Millisecond
	startLatency   = 100 * time.Millisecond
	plegPeriod     = time.Second // relist: how soon the kubelet notices an exit
)

// podState is the kubelet's view of one pod it runs.
//
// A node keeps one per pod for the pod's whole life, so its fields are
// ordered to leave no padding (the flags, the condition states, the IP
// slot and the init count share three words): it fits the 384-byte size
// class, and with a container beside it the 704-byte one
// (podWithOne, TestKubeletStateSizes).
type podState struct {
	k   *Kubelet
	pod *corev1.Pod // latest version seen (each of the same UID)
	key string

	req     podutil.Resources
	reason  string
	message string

	startTime   metav1.Time
	workerStart time.Duration // probe workers' tick origin
	ip          string
	inits, ctrs []*container
	ephs        []*container // ephemeral containers (kubectl debug), in spec order

	disk  *podDisk
	phase corev1.PodPhase
	timer *sim.Timer
	// ref is the pod's slot in the store: each status write reads the
	// stored pod through it (flushPod) rather than hashing its name.
	ref store.Ref

	// usage is the pod's share of k.runningWS; usagePending: it is in
	// k.usagePending (recountUsage).
	usage int64
	// condSince is when each of the kubelet's four conditions
	// (ReadyToStart, Initialized, Ready, ContainersReady) took its
	// condStatus, as virtual time (conditions).
	condSince  [4]time.Duration
	mountStart time.Duration // when the volume manager began waiting
	attached   []string      // volumes attached to the node for this pod

	initDone   int32
	slot       int16 // pod IP slot (one of podIPSlots), -1 when none
	condStatus [4]condStatus

	admitted                       bool // counted in k.used
	rejected                       bool
	sandbox                        bool
	rebooted                       bool // the machine died under it
	terminating, finished, deleted bool
	evicted                        bool // by the eviction manager (reason, message say why)
	noDisruption                   bool // evicted without a DisruptionTarget condition (a local storage limit)
	diskChanged                    bool // in k.diskDirty
	dirty                          bool
	usagePending                   bool
	mountTimedOut                  bool
}

// condStatus is a pod condition's status as the kubelet last reported
// it: one byte rather than the ConditionStatus string.
type condStatus uint8

const (
	condUnset condStatus = iota // not reported yet
	condFalse
	condTrue
)

func (k *Kubelet) onEvent(ev store.Event) {
	k.wake()
	pod := ev.Object.(*corev1.Pod)
	if ev.Type == store.Deleted {
		if p := k.podOf(pod); p != nil {
			p.forget()
		}
		return
	}
	if ev.Type == store.Modified {
		if p := k.takeWritten(pod); p != nil {
			p.sync(pod)
			return
		}
	}
	k.syncPod(pod)
}

// noteWritten remembers that a status write of p stored pod, until the
// watch brings it back (takeWritten). It overwrites the oldest entry: an
// entry lost finds its pod by name instead.
func (k *Kubelet) noteWritten(p *podState, pod *corev1.Pod) {
	i := k.writtenNext % uint8(len(k.writtenPods))
	k.writtenPods[i], k.writtenStates[i] = pod, p
	k.writtenNext++
}

// takeWritten is the podState of pod if pod is a version a status write
// of the kubelet stored, and nil otherwise; it forgets the entry (it
// would hold an old version alive). Most of what a kubelet's watch brings
// is the echo of its own status writes: each found here is a lookup by
// name saved (a string hashed, and compared against a key no longer in
// the cache).
//
// The entry cannot be stale: a stored version is never written in place
// nor reused (the entry keeps it alive), so the pod is the one p wrote;
// and a podState not forgotten is the one pods has under its name (a
// name gets a second podState only after the first is forgotten, which
// then is deleted: such an entry is not used).
func (k *Kubelet) takeWritten(pod *corev1.Pod) *podState {
	for i, w := range &k.writtenPods {
		if w == pod {
			p := k.writtenStates[i]
			k.writtenPods[i], k.writtenStates[i] = nil, nil
			if p.deleted {
				return nil
			}
			return p
		}
	}
	return nil
}

// resync reconciles the kubelet's pods with the API server's after a
// (re)connection: new pods start, vanished ones are forgotten.
func (k *Kubelet) resync() {
	seen := map[types.UID]bool{}
	for _, o := range k.store.ByIndex("Pod", store.NodeNameIndex, k.name) {
		pod := o.(*corev1.Pod)
		seen[pod.UID] = true
		k.syncPod(pod)
	}
	for _, p := range k.sortedPods() {
		if !seen[p.pod.UID] {
			p.forget()
			continue
		}
		k.markDirty(p)
	}
}

func (k *Kubelet) sortedPods() []*podState {
	keys := slices.Sorted(maps.Keys(k.pods))
	out := make([]*podState, 0, len(keys))
	for _, key := range keys {
		out = append(out, k.pods[key])
	}
	return out
}

// podOf is the podState of pod (of its UID), nil if the kubelet runs no
// such pod.
func (k *Kubelet) podOf(pod *corev1.Pod) *podState {
	k.keyBuf = append(k.keyBuf[:0], pod.Namespace...)
	if pod.Namespace != "" { // as store.Key builds it
		k.keyBuf = append(k.keyBuf, '/')
	}
	k.keyBuf = append(k.keyBuf, pod.Name...)
	if p := k.pods[string(k.keyBuf)]; p != nil && p.pod.UID == pod.UID {
		return p
	}
	return nil
}

// podByUID is the podState of the pod of that UID, nil if none (a
// walk: the API's ContainerExit is its one user).
func (k *Kubelet) podByUID(uid types.UID) *podState {
	for _, p := range k.pods {
		if p.pod.UID == uid {
			return p // one at most
		}
	}
	return nil
}

// syncPod handles one pod version from the watch (or a resync).
func (k *Kubelet) syncPod(pod *corev1.Pod) {
	p := k.podOf(pod)
	if p == nil {
		if podutil.IsTerminal(pod) {
			return
		}
		if pod.DeletionTimestamp != nil {
			k.deletePod(pod) // never ran here: nothing to stop
			return
		}
		k.addPod(pod)
		return
	}
	p.sync(pod)
}

// sync handles a new version of a pod the kubelet knows.
func (p *podState) sync(pod *corev1.Pod) {
	p.pod = pod
	switch {
	case pod.DeletionTimestamp != nil:
		p.terminate()
	case p.rebooted:
		p.restartAfterReboot()
	default:
		p.startEphemeral()
	}
}

// startEphemeral starts the ephemeral containers added to a running pod
// since the last sync (they run once and are never restarted).
func (p *podState) startEphemeral() {
	if !p.sandbox || p.finished || p.terminating || p.evicted {
		return
	}
	for i := len(p.ephs); i < len(p.pod.Spec.EphemeralContainers); i++ {
		spec := corev1.Container(p.pod.Spec.EphemeralContainers[i].EphemeralContainerCommon)
		c := newContainer(p, &spec, false)
		c.ephemeral, c.reason = true, "ContainerCreating"
		p.ephs = append(p.ephs, c)
		p.k.markDirty(p)
		c.begin()
	}
}

func (k *Kubelet) addPod(pod *corev1.Pod) {
	key := store.KeyOf(pod)
	if old := k.pods[key]; old != nil {
		old.forget() // same name, new pod (StatefulSet)
	}
	var p *podState
	var one *podWithOne
	if len(pod.Spec.InitContainers) == 0 && len(pod.Spec.Containers) == 1 {
		one = &podWithOne{}
		p = &one.p
	} else {
		p = &podState{}
	}
	p.k, p.pod, p.key, p.slot, p.phase = k, pod, key, -1, corev1.PodPending
	k.pods[key] = p
	if one != nil {
		one.c.setUp(p, &pod.Spec.Containers[0], false)
		one.ctrs[0] = &one.c
		p.ctrs = one.ctrs[:]
	} else {
		for i := range pod.Spec.InitContainers {
			p.inits = append(p.inits, newContainer(p, &pod.Spec.InitContainers[i], true))
		}
		for i := range pod.Spec.Containers {
			p.ctrs = append(p.ctrs, newContainer(p, &pod.Spec.Containers[i], false))
		}
	}
	p.startTime = metav1.NewTime(k.engine.Now())
	p.workerStart = k.now()
	if !p.admit() {
		k.markDirty(p)
		return
	}
	k.markDirty(p)
	p.mountVolumes()
}

// podWithOne is a pod of one container (and no init container), the
// most common kind, as one allocation: its podState, its container and
// the one-element list of it (podState.ctrs). One allocation of 704
// bytes, not three (the container alone was 320), and the container a
// step fires on lies beside the podState the step reads next. The heap
// puts an 8-byte header before an object of pointers over 512 bytes, so
// the struct must stay within 696 bytes to take 704 and not 768.
type podWithOne struct {
	p    podState
	c    container
	ctrs [1]*container
}

// admit checks the pod's requests against what is left of allocatable,
// like the kubelet's resource admission handler.
func (p *podState) admit() bool {
	k := p.k
	p.req = k.requests.PodRequests(p.pod)
	free := k.allocatable.Sub(k.used)
	var res string
	var req, used, capacity int64
	switch {
	case p.req.Pods > free.Pods:
		res, req, used, capacity = "pods", p.req.Pods, k.used.Pods, k.allocatable.Pods
	case p.req.MilliCPU > free.MilliCPU:
		res, req, used, capacity = "cpu", p.req.MilliCPU, k.used.MilliCPU, k.allocatable.MilliCPU
	case p.req.Memory > free.Memory:
		res, req, used, capacity = "memory", p.req.Memory, k.used.Memory, k.allocatable.Memory
	case k.ephemeralAllocatable > 0 && p.req.Scalar(corev1.ResourceEphemeralStorage) > k.ephemeralAllocatable-k.used.Scalar(corev1.ResourceEphemeralStorage):
		res, req, used, capacity = string(corev1.ResourceEphemeralStorage), p.req.Scalar(corev1.ResourceEphemeralStorage),
			k.used.Scalar(corev1.ResourceEphemeralStorage), k.ephemeralAllocatable
	case !k.admitUnderPressure(p.pod):
		p.rejected, p.finished, p.phase = true, true, corev1.PodFailed
		note := k.eviction.conditionsNote()
		p.reason, p.message = reasonEvicted, "Pod was rejected: "+note
		k.event(p.pod, corev1.EventTypeWarning, p.reason, note)
		return false
	default:
		k.used = k.used.Add(p.req)
		p.admitted = true
		return true
	}
	msg := fmt.Sprintf("Node didn't have enough resource: %s, requested: %d, used: %d, capacity: %d", res, req, used, capacity)
	p.rejected, p.finished, p.phase = true, true, corev1.PodFailed
	p.reason, p.message = "OutOf"+res, "Pod was rejected: "+msg
	k.event(p.pod, corev1.EventTypeWarning, p.reason, msg)
	return false
}

// createSandbox starts the pod sandbox (pause container + pod network),
// then the containers.
//
// The wait is a step of the pod's first container (its own timer,
// container.after): every pod start comes this way, and a timer and a
// closure of the pod's own were two allocations per start. Nothing of
// the container runs before the sandbox is up, so its timer is free:
// the step is queued exactly as a timer of the pod's would be (the next
// sequence number, the current cause), voided by a failure the same way,
// and cancelled with the pod's other timers (cancelTimers).
func (p *podState) createSandbox() {
	p.first().after(p.k.jitter(sandboxLatency, 0.5), "kubelet/sandbox", sandboxStep)
}

// first is the pod's first container: its first init container, else
// its first app container (a pod has at least one).
func (p *podState) first() *container {
	if len(p.inits) > 0 {
		return p.inits[0]
	}
	return p.ctrs[0]
}

// sandboxStep is createSandbox's step, run by the first container's
// timer.
func sandboxStep(c *container) { c.p.sandboxReady() }

// sandboxReady: the sandbox runs and the pod has its IP; the containers
// start.
func (p *podState) sandboxReady() {
	p.sandbox = true
	p.recountUsage()
	p.assignIP()
	p.startNext()
	p.startEphemeral()
}

func (p *podState) assignIP() {
	k := p.k
	if p.pod.Spec.HostNetwork {
		p.ip = k.nodeIP
		return
	}
	if p.slot < 0 {
		p.slot = k.takeSlot()
	}
	if p.slot >= 0 {
		p.ip = cloud.PodIP(k.spec.Index, int(p.slot))
	}
}

func (p *podState) releaseIP() {
	if p.slot >= 0 {
		p.k.slots[p.slot/64] &^= 1 << (p.slot % 64)
		p.slot = -1
	}
}

// podIPSlots is how many pod addresses a node has (cloud.PodIP).
const podIPSlots = 254

// takeSlot marks the lowest free pod IP slot used and returns it, -1
// when every slot is in use.
func (k *Kubelet) takeSlot() int16 {
	for w, used := range k.slots {
		if free := ^used; free != 0 {
			i := w*64 + bits.TrailingZeros64(free)
			if i >= podIPSlots {
				return -1
			}
			k.slots[w] |= 1 << (i % 64)
			return int16(i)
		}
	}
	return -1
}

// startNext starts the next init container, or all app containers once
// the init containers are done.
func (p *podState) startNext() {
	for _, c := range p.inits[:p.initDone] {
		if c.sidecar() && c.state == cWaiting && c.timer == nil && !c.pulling {
			c.begin() // a sidecar again after the machine came back
		}
	}
	if int(p.initDone) < len(p.inits) {
		p.inits[p.initDone].begin()
		return
	}
	for _, c := range p.ctrs {
		if c.state == cWaiting && c.timer == nil {
			c.begin()
		}
	}
}

// onExit decides what follows a container's exit.
func (p *podState) onExit(c *container) {
	k := p.k
	k.markDirty(p)
	if p.terminating {
		p.maybeFinishTermination()
		return
	}
	if p.evicted {
		p.maybeFinishEviction()
		return
	}
	if c.ephemeral {
		return // never restarted, no part of the pod's phase
	}
	policy := p.pod.Spec.RestartPolicy
	if c.sidecar() {
		c.scheduleRestart() // whatever the pod's restart policy
		return
	}
	if c.init {
		if c.exitCode == 0 {
			p.initDone++
			p.startNext()
			return
		}
		if policy == corev1.RestartPolicyNever {
			p.finish(corev1.PodFailed)
			return
		}
		c.scheduleRestart()
		return
	}
	if p.restartsOnExit(c) {
		c.scheduleRestart()
		return
	}
	if ph := p.computePhase(); ph == corev1.PodSucceeded || ph == corev1.PodFailed {
		p.stopSidecars()
		p.finish(ph)
	}
}

// stopSidecars ends the sidecars of a pod whose app containers are done
// (a Job's pod): they do not hold it Running.
func (p *podState) stopSidecars() {
	now := metav1.NewTime(p.k.engine.Now())
	for _, c := range p.inits {
		if !c.sidecar() || c.state != cRunning {
			continue
		}
		code, reason := int32(0), "Completed"
		if c.beh.IgnoresSIGTERM {
			code, reason = 137, "Error"
		}
		p.k.event(p.pod, corev1.EventTypeNormal, "Killing", p.k.message(msgKilling, c.spec.Name))
		c.setState(cTerminated)
		c.exitCode, c.reason, c.message = code, reason, ""
		c.finishedAt, c.ready = now, false
	}
}

// restartsOnExit: the restart policy restarts this exited app container.
func (p *podState) restartsOnExit(c *container) bool {
	switch p.pod.Spec.RestartPolicy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return c.exitCode != 0
	}
	return true
}

// finish makes the pod terminal: its sandbox goes, its resources return.
func (p *podState) finish(phase corev1.PodPhase) {
	p.finished, p.phase, p.sandbox = true, phase, false
	p.recountUsage()
	p.cancelTimers()
	p.release()
	p.releaseDisk()
	p.k.markDirty(p)
}

func (p *podState) release() {
	p.releaseIP()
	if p.admitted {
		p.k.used = p.k.used.Sub(p.req)
		p.admitted = false
	}
}

// cancelTimers cancels the pod's pending timer and each container's
// (starts, probes, restarts).
func (p *podState) cancelTimers() {
	e := p.k.engine
	e.Cancel(p.timer)
	p.timer = nil
	for _, c := range p.all() {
		c.cancelTimer()
	}
}

func (p *podState) all() []*container {
	if len(p.inits) == 0 && len(p.ephs) == 0 {
		return p.ctrs
	}
	return append(append(append([]*container(nil), p.inits...), p.ctrs...), p.ephs...)
}

// forget drops a pod the API server no longer has.
func (p *podState) forget() {
	k := p.k
	p.cancelTimers()
	p.release()
	p.releaseDisk()
	p.deleted = true
	p.recountUsage()
	if k.pods[p.key] == p {
		delete(k.pods, p.key)
	}
}

// terminate stops a pod that got a deletionTimestamp: Killing events,
// SIGTERM, SIGKILL at the end of the grace period, then the final delete.
func (p *podState) terminate() {
	if p.terminating {
		p.maybeFinishTermination() // e.g. a delete that failed while cut off
		return
	}
	p.terminating = true
	grace := time.Duration(corev1.DefaultTerminationGracePeriodSeconds) * time.Second
	if g := p.pod.DeletionGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	p.cancelTimers()
	for _, c := range p.all() {
		if c.state == cRunning {
			c.stop(grace)
		}
	}
	p.maybeFinishTermination()
}

// maybeFinishTermination deletes the pod once no container runs.
func (p *podState) maybeFinishTermination() {
	if p.anyRunning() {
		return
	}
	if !p.finished {
		ph := corev1.PodSucceeded
		for _, c := range p.ctrs {
			if c.state != cTerminated || c.exitCode != 0 {
				ph = corev1.PodFailed
			}
		}
		p.finish(ph)
	}
	k := p.k
	if !k.online() {
		return // retried at resync
	}
	k.flushPod(p)
	k.deletePod(p.pod)
}

// anyRunning: one of the pod's containers still runs.
func (p *podState) anyRunning() bool {
	return slices.ContainsFunc(p.all(), func(c *container) bool { return c.state == cRunning })
}

func (k *Kubelet) deletePod(pod *corev1.Pod) {
	if !k.online() {
		return
	}
	zero := int64(0)
	_ = k.client.Delete("Pod", pod.Namespace, pod.Name, deleteOptions(&zero))
}

// machineDied: every container is gone with the machine.
func (p *podState) machineDied() {
	p.sandbox = false
	p.recountUsage()
	if p.finished {
		return
	}
	p.rebooted = true
	now := metav1.NewTime(p.k.engine.Now())
	for _, c := range p.all() {
		c.timer = nil
		c.pulling = false
		switch {
		case c.ephemeral:
			if c.state != cTerminated {
				c.setState(cTerminated)
				c.exitCode, c.reason, c.message = 255, "Unknown", ""
				c.finishedAt = now
			}
		case c.state == cRunning:
			c.last = &corev1.ContainerStateTerminated{ExitCode: 255, Reason: "Unknown", StartedAt: c.startedAt, FinishedAt: now, ContainerID: c.id}
			c.setState(cWaiting)
			c.reason, c.message = "ContainerCreating", ""
			c.restartPending = true
		case c.state == cTerminated && !c.init && p.restartsOnExit(c):
			c.toWaiting("ContainerCreating", "")
		}
		c.ready, c.started = false, false
	}
	p.timer = nil
}

// restartAfterReboot runs the pod again once the machine is back: new
// sandbox, containers restart (restartCount+1 for those that had run).
func (p *podState) restartAfterReboot() {
	p.rebooted = false
	p.workerStart = p.k.now()
	p.k.markDirty(p)
	p.createSandbox()
}

// ContainerExit ends the running process of one of the pod's containers
// with code, as if it exited on its own.
func (k *Kubelet) ContainerExit(uid types.UID, name string, code int32) error {
	k.wake()
	p := k.podByUID(uid)
	if p == nil {
		return fmt.Errorf("pod %s does not run on node %s", uid, k.name)
	}
	for _, c := range p.all() {
		if c.spec.Name != name {
			continue
		}
		if c.state != cRunning {
			return fmt.Errorf("container %s is not running", name)
		}
		c.cancelTimer()
		reason := "Completed"
		if code != 0 {
			reason = "Error"
		}
		c.terminated(code, reason, "", c.startedAt)
		return nil
	}
	return fmt.Errorf("no container %s in pod %s", name, p.key)
}
