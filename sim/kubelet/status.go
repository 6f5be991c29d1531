package kubelet

import (
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/podutil"
)

// markDirty queues a status write for the pod. All changes of one instant
// go out as one UpdateStatus per pod (the status manager's batching).
func (k *Kubelet) markDirty(p *podState) {
	if p.deleted {
		return
	}
	if !p.dirty {
		p.dirty = true
		k.dirty = append(k.dirty, p)
	}
	if k.flushDue {
		return
	}
	k.flushDue = true
	if k.flushTimer == nil { // one timer per generation, rescheduled for each flush
		k.flushTimer = k.after(0, "kubelet/podstatus", k.flush)
		return
	}
	k.engine.Reschedule(k.flushTimer, k.now())
}

func (k *Kubelet) flush() {
	k.flushDue = false
	if !k.online() {
		return // kept dirty: written on reconnection
	}
	// Writes may mark pods dirty again: they go to the other buffer.
	dirty := k.dirty
	k.dirty = k.spare[:0]
	for _, p := range dirty {
		if p.dirty {
			k.flushPod(p)
		}
	}
	clear(dirty)
	k.spare = dirty[:0]
}

// flushPod writes the pod's status now if it differs from the stored one.
//
// The version written is built whole by the kubelet: the stored pod's
// metadata and spec, copied as the API server's status write would copy
// them, and the new status, built in place. The server stores it as it
// is, through the pod's Ref (apiserver.UpdatePodStatus), where a status
// written in a request was copied once more into a new Pod the server
// built, after a lookup of the pod by name. A status that turns out
// unchanged is not written, and its Pod is built again for the next
// write (spareVersion). TestStatusWritesLeaveStoredPodsAlone checks that
// a written status is not changed by the writes after it.
func (k *Kubelet) flushPod(p *podState) {
	p.dirty = false
	if p.deleted {
		return
	}
	o, ok := k.store.Follow(&p.ref, "Pod", p.pod.Namespace, p.pod.Name)
	if !ok || o.GetUID() != p.pod.UID {
		return
	}
	cur := o.(*corev1.Pod)
	v := k.spareVersion
	if v == nil {
		v = &podVersion{}
	}
	k.spareVersion = nil
	// Built in place: a status on the stack would move to the heap (the
	// comparison takes its address through an interface).
	p.buildStatus(v, cur)
	if st := &v.pod.Status; !surelyDiffers(st, &cur.Status) && equality.Semantic.DeepEqual(st, &cur.Status) {
		k.keepSpare(v)
		return
	}
	v.pod.TypeMeta, v.pod.ObjectMeta, v.pod.Spec = cur.TypeMeta, cur.ObjectMeta, cur.Spec
	if tr := k.engine.Trace(); tr.Linking() { // explain: the status follows the pod's own story
		tr.SetCause(tr.LastOf("Pod", cur.Namespace, cur.Name))
	}
	out, err := k.client.UpdatePodStatus(&p.ref, &v.pod)
	if err != nil {
		k.keepSpare(v) // not stored
		return
	}
	k.noteWritten(p, out)
}

// podVersion is a pod version a status write builds (its pod), with
// room beside it for what the status of the usual pod holds apart: the
// kubelet's four conditions and PodScheduled, one container's status, its
// running state and the pod's IP list. They are one allocation, where
// they were five. The heap puts an 8-byte header before an object of
// pointers over 512 bytes, so the pod, the conditions and the container
// status (2,048 bytes) take the 2,304-byte size class (not 2,048): the
// running state and the IP list fill part of what it would leave unused
// (TestKubeletStateSizes). A pod of another shape gets its lists made
// apart. A later status write refers only to its own room (a version
// kept alive by its successor would cost its whole 2,304 bytes); the
// API server's graceful-delete copy of a pod does share its
// predecessor's status, room included, as it always shared the lists.
type podVersion struct {
	pod     corev1.Pod
	conds   [5]corev1.PodCondition
	ctrs    [1]corev1.ContainerStatus
	ips     [1]corev1.PodIP
	running corev1.ContainerStateRunning
}

// keepSpare keeps v, which no stored object is, for the next status
// write, emptied: it holds nothing of the status built in it.
func (k *Kubelet) keepSpare(v *podVersion) {
	*v = podVersion{}
	k.spareVersion = v
}

// surelyDiffers compares the status fields a kubelet write usually
// changes (phase, conditions, IPs, container readiness and state) and
// reports whether one differs, as equality.Semantic would find: then the
// reflective comparison of the whole status is not needed. false means
// "maybe equal".
func surelyDiffers(a, b *corev1.PodStatus) bool {
	if a.Phase != b.Phase || a.PodIP != b.PodIP || len(a.Conditions) != len(b.Conditions) ||
		len(a.ContainerStatuses) != len(b.ContainerStatuses) || len(a.InitContainerStatuses) != len(b.InitContainerStatuses) {
		return true
	}
	for i := range a.Conditions {
		x, y := &a.Conditions[i], &b.Conditions[i]
		if x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason || x.Message != y.Message {
			return true
		}
	}
	for i := range a.ContainerStatuses {
		x, y := &a.ContainerStatuses[i], &b.ContainerStatuses[i]
		if x.Ready != y.Ready || x.RestartCount != y.RestartCount || x.ContainerID != y.ContainerID ||
			(x.State.Waiting == nil) != (y.State.Waiting == nil) || (x.State.Running == nil) != (y.State.Running == nil) ||
			(x.State.Terminated == nil) != (y.State.Terminated == nil) {
			return true
		}
	}
	return false
}

var (
	trueVal  = true
	falseVal = false
)

// buildStatus builds in v's pod, empty, the pod status the kubelet
// reports, fresh (nothing in it is shared with kubelet state that
// changes later); its lists take v's room when they fit.
func (p *podState) buildStatus(v *podVersion, cur *corev1.Pod) {
	k := p.k
	st := &v.pod.Status
	st.Phase, st.HostIP, st.StartTime, st.QOSClass = p.computePhase(), k.nodeIP, &p.startTime, k.qos.of(&cur.Spec)
	st.HostIPs = k.hostIPs
	if p.evicted {
		st.Phase, st.Reason, st.Message = corev1.PodFailed, p.reason, p.message
	}
	st.Conditions = p.conditions(cur, st.Phase, v.conds[:])
	if p.rejected {
		st.Reason, st.Message = p.reason, p.message
		return
	}
	if p.ip != "" {
		st.PodIP = p.ip
		v.ips[0].IP = p.ip
		st.PodIPs = v.ips[:1:1]
	}
	if len(p.inits) > 0 {
		st.InitContainerStatuses = make([]corev1.ContainerStatus, len(p.inits))
		for i, c := range p.inits {
			st.InitContainerStatuses[i] = c.status(prevStatus(cur.Status.InitContainerStatuses, i, c), nil)
		}
	}
	var running *corev1.ContainerStateRunning
	if len(p.ctrs) <= len(v.ctrs) {
		st.ContainerStatuses = v.ctrs[:len(p.ctrs):len(p.ctrs)]
		running = &v.running
	} else {
		st.ContainerStatuses = make([]corev1.ContainerStatus, len(p.ctrs))
	}
	for i, c := range p.ctrs {
		st.ContainerStatuses[i] = c.status(prevStatus(cur.Status.ContainerStatuses, i, c), running)
	}
	if len(p.ephs) > 0 {
		st.EphemeralContainerStatuses = make([]corev1.ContainerStatus, len(p.ephs))
		for i, c := range p.ephs {
			cs := c.status(prevStatus(cur.Status.EphemeralContainerStatuses, i, c), nil)
			cs.Ready = false // ephemeral containers are never ready
			st.EphemeralContainerStatuses[i] = cs
		}
	}
}

// prevStatus is the stored status of c, the i-th container of its list,
// if the stored pod has it.
func prevStatus(list []corev1.ContainerStatus, i int, c *container) *corev1.ContainerStatus {
	if i < len(list) && list[i].Name == c.spec.Name {
		return &list[i]
	}
	return nil
}

// Waiting states every pod's containers go through, shared by all the
// statuses that report them (like trueVal and falseVal): stored objects
// are never written in place, so nothing changes them.
var (
	waitingCreating     = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
	waitingInitializing = &corev1.ContainerStateWaiting{Reason: "PodInitializing"}
)

// status is the container's status. prev is its stored status, if any:
// a state that has not changed is the stored one (shared, never written
// in place) rather than a new copy of it. room, if not nil, is the pod
// version's own room for the running state (podVersion): a running
// state is written there, neither shared nor allocated.
func (c *container) status(prev *corev1.ContainerStatus, room *corev1.ContainerStateRunning) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{
		Name: c.spec.Name, Image: c.image, ImageID: c.imageID, ContainerID: c.id,
		RestartCount: c.restarts, Ready: c.ready, Started: &falseVal,
	}
	if c.started && c.state == cRunning {
		cs.Started = &trueVal
	}
	switch c.state {
	case cWaiting:
		if c.restartPending && c.reason == "" {
			cs.State.Terminated = c.last
		} else {
			cs.State.Waiting = c.waitingState(prev)
		}
	case cRunning:
		switch {
		case room != nil:
			room.StartedAt = c.startedAt
			cs.State.Running = room
		case prev != nil && prev.State.Running != nil && prev.State.Running.StartedAt == c.startedAt:
			cs.State.Running = prev.State.Running
		default:
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: c.startedAt}
		}
	case cTerminated:
		cs.State.Terminated = c.lastState()
	}
	if c.last != nil && cs.State.Terminated != c.last {
		cs.LastTerminationState.Terminated = c.last
	}
	if c.id == "" {
		cs.ContainerID = ""
	}
	return cs
}

// waitingState is the container's waiting state: a shared one, the
// stored one when it is the same, or a new one.
func (c *container) waitingState(prev *corev1.ContainerStatus) *corev1.ContainerStateWaiting {
	if c.message == "" {
		switch c.reason {
		case waitingCreating.Reason:
			return waitingCreating
		case waitingInitializing.Reason:
			return waitingInitializing
		}
	}
	if prev != nil {
		if w := prev.State.Waiting; w != nil && w.Reason == c.reason && w.Message == c.message {
			return w
		}
	}
	return &corev1.ContainerStateWaiting{Reason: c.reason, Message: c.message}
}

// conditions are the kubelet's four pod conditions, then the ones others
// own (PodScheduled, DisruptionTarget, ...) as stored.
//
// The slice is made at its final length and each condition is written
// in place (setCondition): a status write is the one place its 120-byte
// conditions are built, in freshly allocated memory, and composing each
// in a closure and appending it copied every one once more. It is cut
// from room (zeroed, the pod version's own) when they fit, capped at
// their number like one made for them.
func (p *podState) conditions(cur *corev1.Pod, phase corev1.PodPhase, room []corev1.PodCondition) []corev1.PodCondition {
	now := metav1.NewTime(p.k.engine.Now())
	kept := 0
	for i := range cur.Status.Conditions {
		if !kubeletCondition(cur.Status.Conditions[i].Type) {
			kept++
		}
	}
	if p.rejected {
		return appendKept(make([]corev1.PodCondition, 0, kept), cur)
	}
	n := 4 + kept
	if p.evicted && !p.noDisruption {
		n++ // DisruptionTarget, unless a kept one is it
	}
	var out []corev1.PodCondition
	if n <= len(room) {
		out = room[:4:n]
	} else {
		out = make([]corev1.PodCondition, 4, n)
	}
	p.setCondition(&out[0], 0, corev1.PodReadyToStartContainers, p.sandbox, "", "", now)
	// The messages list the containers in a buffer on the stack; only a
	// condition that is False gets its message as a string (a True one
	// has none), not every status write.
	// A message naming one container is the kubelet's shared one
	// (message): most pods have one container, of a name the node's
	// other pods share.
	var buf [128]byte
	names, nc, one := buf[:0], 0, ""
	for i, c := range p.inits {
		if !(c.state == cTerminated && c.exitCode == 0 || int(p.initDone) > i) {
			names = appendName(names, "containers with incomplete status: [", c.spec.Name)
			nc, one = nc+1, c.spec.Name
		}
	}
	initMsg := ""
	if nc == 1 {
		initMsg = p.k.message(msgNotInitialized, one)
	} else {
		initMsg = closeNames(names)
	}
	p.setCondition(&out[1], 1, corev1.PodInitialized, nc == 0, "ContainersNotInitialized", initMsg, now)
	// Sidecars count for readiness, before the app containers.
	names, nc = buf[:0], 0
	const unreadyPrefix = "containers with unready status: ["
	for _, c := range p.inits {
		if c.sidecar() && !c.ready {
			names = appendName(names, unreadyPrefix, c.spec.Name)
			nc, one = nc+1, c.spec.Name
		}
	}
	for _, c := range p.ctrs {
		if !c.ready {
			names = appendName(names, unreadyPrefix, c.spec.Name)
			nc, one = nc+1, c.spec.Name
		}
	}
	allReady := nc == 0
	reason, msg := "ContainersNotReady", ""
	switch {
	case phase == corev1.PodSucceeded || phase == corev1.PodFailed:
		reason = "PodCompleted"
	case nc == 1:
		msg = p.k.message(msgNotReady, one)
	default:
		msg = closeNames(names)
	}
	p.setCondition(&out[2], 2, corev1.PodReady, allReady, reason, msg, now)
	p.setCondition(&out[3], 3, corev1.ContainersReady, allReady, reason, msg, now)
	out = appendKept(out, cur)
	if p.evicted && !p.noDisruption && !slices.ContainsFunc(out, func(c corev1.PodCondition) bool { return c.Type == corev1.DisruptionTarget }) {
		out = append(out, disruptionTarget(p.message, now))
	}
	return out
}

// setCondition writes into c the i-th of the kubelet's conditions, of
// type typ, True if ok (else False with reason and msg), with the time of
// its last transition: now if its status changed (which the podState
// records), else the one it was first reported with.
func (p *podState) setCondition(c *corev1.PodCondition, i int, typ corev1.PodConditionType, ok bool, reason, msg string, now metav1.Time) {
	e := p.k.engine
	s, cs := corev1.ConditionFalse, condFalse
	if ok {
		s, cs, reason, msg = corev1.ConditionTrue, condTrue, "", ""
	}
	c.Type, c.Status, c.Reason, c.Message = typ, s, reason, msg
	switch {
	case p.condStatus[i] != cs:
		p.condStatus[i], p.condSince[i] = cs, e.Elapsed()
		c.LastTransitionTime = now
	case p.condSince[i] == e.Elapsed():
		c.LastTransitionTime = now
	default:
		// The timestamp the transition was reported with, as e.Now()
		// computed it then.
		c.LastTransitionTime = metav1.NewTime(e.Start().Add(p.condSince[i]))
	}
}

// kubeletCondition: the kubelet owns conditions of type t (it writes
// them on every status write; the others it keeps as stored).
func kubeletCondition(t corev1.PodConditionType) bool {
	switch t {
	case corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady:
		return true
	}
	return false
}

// appendKept appends to out the stored conditions the kubelet does not own.
func appendKept(out []corev1.PodCondition, cur *corev1.Pod) []corev1.PodCondition {
	for i := range cur.Status.Conditions {
		if c := &cur.Status.Conditions[i]; !kubeletCondition(c.Type) {
			out = append(out, *c)
		}
	}
	return out
}

// appendName adds a container's name to a condition message listing
// names: the message's prefix before the first, a space before the others.
func appendName(b []byte, prefix, name string) []byte {
	if len(b) == 0 {
		b = append(b, prefix...)
	} else {
		b = append(b, ' ')
	}
	return append(b, name...)
}

// closeNames is the message appendName built ("" when no name was added).
func closeNames(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return string(append(b, ']'))
}

// computePhase follows the kubelet's getPhase.
func (p *podState) computePhase() corev1.PodPhase {
	if p.finished {
		return p.phase
	}
	if int(p.initDone) < len(p.inits) {
		return corev1.PodPending
	}
	var running, waiting, stopped, succeeded int
	for _, c := range p.ctrs {
		switch {
		case c.state == cRunning:
			running++
		case c.state == cTerminated:
			stopped++
			if c.exitCode == 0 {
				succeeded++
			}
		case c.last != nil || c.restartPending:
			stopped++
		default:
			waiting++
		}
	}
	switch {
	case waiting > 0:
		return corev1.PodPending
	case running > 0:
		return corev1.PodRunning
	case stopped > 0:
		switch p.pod.Spec.RestartPolicy {
		case corev1.RestartPolicyNever:
			if stopped == succeeded {
				return corev1.PodSucceeded
			}
			return corev1.PodFailed
		case corev1.RestartPolicyOnFailure:
			if stopped == succeeded {
				return corev1.PodSucceeded
			}
		}
		return corev1.PodRunning
	}
	return corev1.PodPending
}

// probeSuccess is when a probe first passes: probes run on the ticks of
// a worker started with the pod (every periodSeconds), skip the
// initialDelaySeconds after the container started and fail until the app
// serves (appUp); successThreshold passes in a row are needed.
func (p *podState) probeSuccess(pr *corev1.Probe, startedAt, appUp time.Duration) time.Duration {
	period := time.Duration(pr.PeriodSeconds) * time.Second
	if period <= 0 {
		period = 10 * time.Second
	}
	earliest := max(startedAt+time.Duration(pr.InitialDelaySeconds)*time.Second, appUp)
	n := (earliest - p.workerStart + period - 1) / period
	t := p.workerStart + n*period
	if succ := pr.SuccessThreshold; succ > 1 {
		t += time.Duration(succ-1) * period
	}
	return t
}

// qosMemo is the QoS class of the last pod of one container (and no
// init container) asked about, and its container's requests and limits
// lists: a status write computes the class of its pod, and a node's pods
// mostly share their templates' lists (the API server shares equal ones,
// apiserver.shareResources), so it is computed again only for another
// map. It holds the maps, so their addresses cannot be reused.
type qosMemo struct {
	req, lim corev1.ResourceList
	qos      corev1.PodQOSClass // "" until the first
}

// of is qosClass(spec), remembered for the next spec (see qosMemo).
func (m *qosMemo) of(spec *corev1.PodSpec) corev1.PodQOSClass {
	if len(spec.InitContainers) != 0 || len(spec.Containers) != 1 {
		return qosClass(spec)
	}
	r := &spec.Containers[0].Resources
	if m.qos == "" || !podutil.SameMap(r.Requests, m.req) || !podutil.SameMap(r.Limits, m.lim) {
		m.req, m.lim, m.qos = r.Requests, r.Limits, qosClass(spec)
	}
	return m.qos
}

// qosClass is the pod's QoS class from its containers' requests and limits.
func qosClass(spec *corev1.PodSpec) corev1.PodQOSClass {
	any, guaranteed := false, true
	check := func(cs []corev1.Container) {
		for i := range cs {
			r := cs[i].Resources
			for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, hasReq := r.Requests[name]
				lim, hasLim := r.Limits[name]
				if hasReq && !req.IsZero() || hasLim && !lim.IsZero() {
					any = true
				}
				if !hasLim || lim.IsZero() || hasReq && req.Cmp(lim) != 0 {
					guaranteed = false
				}
			}
		}
	}
	check(spec.InitContainers)
	check(spec.Containers)
	switch {
	case !any:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}
