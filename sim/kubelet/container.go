package kubelet

import (
	"path"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/kubelet/images"
)

// Back-off of crashing containers and failing pulls (upstream
// flowcontrol.Backoff: 10 s doubling to 300 s, forgotten after twice the
// maximum without a new failure).
const (
	backoffInitial = 10 * time.Second
	backoffMax     = 300 * time.Second
	backoffReset   = 2 * backoffMax
)

type cstate uint8

const (
	cWaiting cstate = iota
	cRunning
	cTerminated
)

// container is one container of a pod, as the runtime runs it.
//
// A node keeps one per container of each of its pods: the flags are
// packed at the end and the back-off state, which most containers never
// need, is apart, so that it fits the 320-byte size class
// (TestKubeletStateSizes).
type container struct {
	p    *podState
	spec *corev1.Container

	reason, message string // of the waiting or terminated state
	startedAt       metav1.Time
	finishedAt      metav1.Time
	last            *corev1.ContainerStateTerminated // never mutated once set
	id              string
	image, imageID  string
	beh             images.Behavior
	timer           *sim.Timer       // the pending step, if any (after)
	step            *sim.Timer       // the container's own timer (after), nil until its first step
	next            func(*container) // what step runs
	workingSet      int64            // memory while running (workingSetBytes); 0: not computed yet
	backoff         *backoffs        // nil until the container first exits or fails a pull
	exitCode        int32
	restarts        int32

	state          cstate
	init           bool
	ephemeral      bool
	restartPending bool // the next start is a restart
	started, ready bool
	initialized    bool // a sidecar that has started once (counted in initDone)
	// noReadyUntilRestart: readiness failed for good (until a restart).
	noReadyUntilRestart bool
	pulling             bool
	stepQueued          bool   // step is queued
	stepGen             uint32 // the kubelet's generation step was set in (low bits)
}

// backoffs are a container's crash-loop and image-pull back-offs and
// when each last grew.
type backoffs struct {
	crash, crashUpdated time.Duration
	pull, pullUpdated   time.Duration
}

// backoffs returns the container's back-off state, made on first use.
func (c *container) backoffs() *backoffs {
	if c.backoff == nil {
		c.backoff = &backoffs{}
	}
	return c.backoff
}

func newContainer(p *podState, spec *corev1.Container, init bool) *container {
	c := &container{}
	c.setUp(p, spec, init)
	return c
}

// setUp makes a zero container the container spec of p (an init
// container if init), as it is before it ever ran.
func (c *container) setUp(p *podState, spec *corev1.Container, init bool) {
	c.p, c.spec, c.init, c.image, c.reason = p, spec, init, spec.Image, "ContainerCreating"
	if init || len(p.pod.Spec.InitContainers) > 0 {
		c.reason = "PodInitializing"
	}
}

// after schedules fn(c) in d as the container's timer. It is
// Kubelet.after (void once the kubelet fails or restarts) in one closure
// rather than one wrapping another, and fn takes the container so that
// the steps of every start ((*container).created, (*container).run) are
// plain functions, not one more closure each: a pod's containers set
// several timers each.
//
// The container's own timer (step) is rescheduled for each step rather
// than a timer and a closure allocated per step, while it is not queued:
// rescheduling queues it exactly as a new timer would be (the next
// sequence number, the current cause). A step set while it is queued
// (one that overlaps another, or one a failure voided and that has yet to
// fire) gets a timer of its own, as before. Timers set so are named
// stepTimerName, whatever step they run.
func (c *container) after(d time.Duration, name string, fn func(*container)) {
	k := c.p.k
	if !c.stepQueued {
		c.next, c.stepGen, c.stepQueued = fn, uint32(k.gen), true
		if c.step == nil {
			c.step = k.engine.After(d, stepTimerName, c.fire)
		} else {
			k.engine.Reschedule(c.step, k.now()+d)
		}
		c.timer = c.step
		return
	}
	gen := k.gen
	c.timer = k.engine.After(d, name, func() {
		if k.gen == gen && k.alive {
			k.wake()
			c.timer = nil
			fn(c)
		}
	})
}

// stepTimerName names the container's own timer (after).
const stepTimerName = "kubelet/container"

// fire runs the step the container's own timer was set for, unless the
// kubelet failed or restarted since (the generation is kept as its low
// 32 bits: four billion failures apart to be mistaken).
func (c *container) fire() {
	c.stepQueued = false
	k := c.p.k
	if uint32(k.gen) == c.stepGen && k.alive {
		k.wake()
		c.timer = nil
		c.next(c)
	}
}

// cancelTimer cancels the container's pending timer.
func (c *container) cancelTimer() {
	c.p.k.engine.Cancel(c.timer)
	if c.timer != nil && c.timer == c.step {
		c.stepQueued = false
	}
	c.timer = nil
}

// begin makes sure the image is there, then creates and starts the
// container.
func (c *container) begin() {
	c.p.k.ensureImage(c)
}

// create is called once the image im is present.
func (c *container) create(im *imageState) {
	k := c.p.k
	c.image, c.imageID = im.ref, im.id
	im.lastUsed = k.now()
	c.beh = images.BehaviorOf(im.res.Image, c.spec.Name, c.spec.Command, c.spec.Args, c.p.pod.Annotations)
	if c.spec.Stdin && ReadsStdin(c.spec) {
		// A shell given stdin (kubectl run -i, kubectl debug -i) waits
		// for its input rather than reading EOF.
		c.beh.Forever, c.beh.RunFor = true, 0
	}
	if msg := k.containerConfigError(c.p.pod, c.spec); msg != "" {
		// The kubelet retries on its next pod sync.
		k.event(c.p.pod, corev1.EventTypeWarning, "Failed", "Error: "+msg)
		c.toWaiting("CreateContainerConfigError", msg)
		c.p.k.markDirty(c.p)
		c.after(configRetry, "kubelet/config-retry", (*container).begin)
		return
	}
	c.after(k.jitter(createLatency, 0.5), "kubelet/create", (*container).created)
}

// created: the runtime created the container; it starts next.
func (c *container) created() {
	k := c.p.k
	c.id = k.newContainerID()
	if c.beh.StartError != "" {
		k.event(c.p.pod, corev1.EventTypeWarning, "Failed", "Error: "+c.beh.StartError)
		c.terminated(128, "StartError", c.beh.StartError, metav1.Time{})
		return
	}
	k.event(c.p.pod, corev1.EventTypeNormal, "Created", k.message(msgCreated, c.spec.Name))
	c.after(k.jitter(startLatency, 0.5)+c.beh.StartDelay, "kubelet/start", (*container).run)
}

// ReadsStdin: the container's process is a shell reading commands from
// stdin (the image's default command, or a shell without -c).
func ReadsStdin(spec *corev1.Container) bool {
	argv := append(append([]string(nil), spec.Command...), spec.Args...)
	if len(argv) == 0 {
		return true
	}
	switch path.Base(argv[0]) {
	case "sh", "bash", "ash", "dash", "zsh", "ksh":
	default:
		return false
	}
	for _, a := range argv[1:] {
		if strings.HasPrefix(a, "-") && strings.Contains(a, "c") {
			return false
		}
	}
	return true
}

// run: the process started.
func (c *container) run() {
	p, k := c.p, c.p.k
	if c.restartPending {
		c.restarts++
		c.restartPending = false
		c.dropWritableLayer()
	}
	c.setState(cRunning)
	c.reason, c.message = "", ""
	c.startedAt = metav1.NewTime(k.engine.Now())
	k.event(p.pod, corev1.EventTypeNormal, "Started", k.message(msgStarted, c.spec.Name))
	k.markDirty(p)
	now := k.now()
	startedAt := now
	probed := !c.init || c.sidecar() // a sidecar is probed like an app container
	if sp := c.spec.StartupProbe; sp != nil && probed {
		startedAt = p.probeSuccess(sp, now, now+c.appWarmUp())
		if from, _, fails := c.probeFailure(sp, now); fails && from <= startedAt {
			// The startup probe never passes: the other probes never
			// run, and failureThreshold failures restart the container.
			c.noReadyUntilRestart = false
			c.started, c.ready = false, false
			c.scheduleExit(now)
			c.scheduleStartupFailure(now)
			return
		}
	}
	readyAt := startedAt
	switch rp := c.spec.ReadinessProbe; {
	case !probed:
	case rp != nil:
		readyAt = p.probeSuccess(rp, startedAt, max(startedAt, now+c.appWarmUp()))
	case c.beh.ReadyAfterSet:
		readyAt = max(startedAt, now+c.beh.ReadyAfter)
	}
	c.noReadyUntilRestart = false
	if rp := c.spec.ReadinessProbe; rp != nil && probed {
		if from, _, fails := c.probeFailure(rp, now); fails && from <= now {
			readyAt = -1 // never passes
		}
	}
	c.started = startedAt == now
	c.ready = readyAt == now && probed
	if !c.ready && probed {
		c.scheduleReadiness(startedAt, readyAt)
	}
	if len(c.beh.Writes) > 0 {
		c.scheduleWrites()
	}
	c.scheduleExit(now)
	c.scheduleProbeFailures(now)
	if c.started {
		c.sidecarStarted()
	}
}

// sidecar: a restartable init container (restartPolicy: Always), which
// keeps running beside the app containers.
func (c *container) sidecar() bool {
	return c.init && c.spec.RestartPolicy != nil && *c.spec.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// sidecarStarted: once a sidecar has started (its startup probe passed,
// if it has one) the kubelet moves on to the next init container, or to
// the app containers.
func (c *container) sidecarStarted() {
	if !c.sidecar() || c.initialized {
		return
	}
	c.initialized = true
	c.p.initDone++
	c.p.startNext()
}

func (c *container) appWarmUp() time.Duration {
	if c.beh.ReadyAfterSet {
		return c.beh.ReadyAfter
	}
	return c.beh.WarmUp
}

// scheduleReadiness flips started/ready at their times (probe results).
// It shares the container's timer with nothing: exit uses its own.
func (c *container) scheduleReadiness(startedAt, readyAt time.Duration) {
	k := c.p.k
	gen := c.restarts
	set := func(at time.Duration, fn func()) {
		k.after(at-k.now(), "kubelet/probe", func() {
			if c.state == cRunning && c.restarts == gen && !c.p.terminating {
				fn()
				k.markDirty(c.p)
			}
		})
	}
	if !c.started {
		set(startedAt, func() {
			c.started = true
			c.sidecarStarted()
		})
	}
	if readyAt >= 0 {
		set(readyAt, func() {
			if !c.noReadyUntilRestart {
				c.ready = true
			}
		})
	}
}

// scheduleExit arranges the process's own end: exit, crash or OOM kill.
func (c *container) scheduleExit(now time.Duration) {
	b := c.beh
	if limit := c.spec.Resources.Limits.Memory(); !limit.IsZero() && b.MemoryBytes > limit.Value() {
		oomAt := b.WarmUp/2 + 200*time.Millisecond
		if b.Forever || oomAt < b.RunFor {
			c.after(oomAt, "kubelet/oom", func(*container) { c.terminated(137, "OOMKilled", "", c.startedAt) })
			return
		}
	}
	if b.Forever {
		return
	}
	c.after(b.RunFor, "kubelet/exit", func(*container) {
		reason := "Completed"
		if b.ExitCode != 0 {
			reason = "Error"
		}
		c.terminated(b.ExitCode, reason, "", c.startedAt)
	})
}

// terminated records the end of the container's process.
func (c *container) terminated(code int32, reason, msg string, startedAt metav1.Time) {
	c.setState(cTerminated)
	c.exitCode, c.reason, c.message = code, reason, msg
	c.startedAt = startedAt
	c.finishedAt = metav1.NewTime(c.p.k.engine.Now())
	c.ready = false
	c.p.onExit(c)
}

// lastState is the terminated state as lastState reports it.
func (c *container) lastState() *corev1.ContainerStateTerminated {
	return &corev1.ContainerStateTerminated{
		ExitCode: c.exitCode, Reason: c.reason, Message: c.message,
		StartedAt: c.startedAt, FinishedAt: c.finishedAt, ContainerID: c.id,
	}
}

// scheduleRestart restarts an exited container: at once the first time,
// then after a back-off of 10 s, 20 s, ... 300 s (CrashLoopBackOff).
func (c *container) scheduleRestart() {
	k := c.p.k
	now := k.now()
	b := c.backoffs()
	if b.crash > 0 && now-b.crashUpdated <= backoffReset {
		delay := b.crash
		c.after(plegPeriod, "kubelet/crashloop", func(*container) {
			pod := c.p.pod
			c.toWaiting("CrashLoopBackOff", "back-off "+delay.String()+" restarting failed container="+c.spec.Name+" pod="+formatPod(pod))
			k.event(pod, corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container "+c.spec.Name+" in pod "+formatPod(pod))
			c.after(delay-plegPeriod, "kubelet/restart", func(*container) {
				b.crash = min(2*b.crash, backoffMax)
				b.crashUpdated = k.now()
				c.begin()
			})
		})
		return
	}
	b.crash, b.crashUpdated = backoffInitial, now
	c.after(plegPeriod, "kubelet/restart", func(*container) {
		c.toWaiting("", "")
		c.begin()
	})
}

// toWaiting moves an exited container to waiting, keeping its exit as
// lastState; the next start counts as a restart.
func (c *container) toWaiting(reason, msg string) {
	if c.state == cTerminated {
		c.last = c.lastState()
		c.restartPending = true
	}
	c.setState(cWaiting)
	c.reason, c.message = reason, msg
	if reason != "" {
		c.p.k.markDirty(c.p)
	}
}

// stop delivers SIGTERM (after the preStop hook) and SIGKILL at the end
// of the grace period.
func (c *container) stop(grace time.Duration) {
	k := c.p.k
	k.event(c.p.pod, corev1.EventTypeNormal, "Killing", k.message(msgKilling, c.spec.Name))
	hook := preStopDuration(c.spec)
	d, code, reason := hook+c.beh.StopTime, int32(0), "Completed"
	if c.beh.IgnoresSIGTERM || d > grace {
		d, code, reason = grace, 137, "Error"
	}
	c.after(d, "kubelet/kill", func(*container) { c.terminated(code, reason, "", c.startedAt) })
}

// preStopDuration is how long a preStop sleep hook delays SIGTERM.
func preStopDuration(spec *corev1.Container) time.Duration {
	if spec.Lifecycle == nil || spec.Lifecycle.PreStop == nil {
		return 0
	}
	h := spec.Lifecycle.PreStop
	if h.Sleep != nil {
		return time.Duration(h.Sleep.Seconds) * time.Second
	}
	if h.Exec != nil && len(h.Exec.Command) > 0 {
		b := images.BehaviorOf(&shellImage, "", h.Exec.Command, nil, nil)
		if b.Forever {
			return 24 * time.Hour
		}
		return b.RunFor
	}
	return 0
}

// shellImage interprets preStop exec hooks.
var shellImage = images.Image{Exits: true, Shell: true}

func deleteOptions(grace *int64) apiserver.DeleteOptions {
	return apiserver.DeleteOptions{GracePeriodSeconds: grace}
}
