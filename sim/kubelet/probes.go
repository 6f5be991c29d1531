package kubelet

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probeFailure says whether the container's probe pr fails from some time
// on, and with what message (without the "Liveness probe failed: "
// prefix): the app stops answering (sim.kubesim.io/unhealthy-after), or
// the probe aims at a port the container does not serve (its declared
// ports do not include it: connection refused from the start).
func (c *container) probeFailure(pr *corev1.Probe, startedAt time.Duration) (from time.Duration, msg string, fails bool) {
	ip := c.p.ip
	if port, named, ok := probePort(pr); ok && len(c.spec.Ports) > 0 {
		served := false
		for _, p := range c.spec.Ports {
			if (named != "" && p.Name == named) || (named == "" && int(p.ContainerPort) == port) {
				served = true
			}
		}
		if !served {
			if named != "" {
				return startedAt, fmt.Sprintf("strconv.Atoi: parsing %q: invalid syntax", named), true
			}
			addr := ip + ":" + strconv.Itoa(port)
			if pr.HTTPGet != nil {
				return startedAt, fmt.Sprintf("Get \"http://%s%s\": dial tcp %s: connect: connection refused", addr, pr.HTTPGet.Path, addr), true
			}
			return startedAt, fmt.Sprintf("dial tcp %s: connect: connection refused", addr), true
		}
	}
	if !c.beh.UnhealthyAfterSet {
		return 0, "", false
	}
	from = startedAt + c.beh.UnhealthyAfter
	switch {
	case pr.HTTPGet != nil:
		msg = "HTTP probe failed with statuscode: 500"
	case pr.TCPSocket != nil:
		port, _, _ := probePort(pr)
		addr := ip + ":" + strconv.Itoa(port)
		msg = fmt.Sprintf("dial tcp %s: connect: connection refused", addr)
	case pr.Exec != nil && len(pr.Exec.Command) >= 2 && pr.Exec.Command[0] == "cat":
		msg = fmt.Sprintf("cat: can't open '%s': No such file or directory", pr.Exec.Command[1])
	default:
		msg = "command terminated with non-zero exit code: error executing command, exit code 1"
	}
	return from, msg, true
}

// probePort is the port an HTTP or TCP probe targets (named: a port name).
func probePort(pr *corev1.Probe) (port int, named string, ok bool) {
	p := &pr.ProbeHandler
	switch {
	case p.HTTPGet != nil:
		if p.HTTPGet.Port.Type == intstr.String {
			return 0, p.HTTPGet.Port.StrVal, true
		}
		return int(p.HTTPGet.Port.IntVal), "", true
	case p.TCPSocket != nil:
		if p.TCPSocket.Port.Type == intstr.String {
			return 0, p.TCPSocket.Port.StrVal, true
		}
		return int(p.TCPSocket.Port.IntVal), "", true
	}
	return 0, "", false
}

func probePeriod(pr *corev1.Probe) time.Duration {
	if pr.PeriodSeconds <= 0 {
		return 10 * time.Second
	}
	return time.Duration(pr.PeriodSeconds) * time.Second
}

func failureThreshold(pr *corev1.Probe) int {
	if pr.FailureThreshold <= 0 {
		return 3
	}
	return int(pr.FailureThreshold)
}

// firstTick is the first probe tick at or after t.
func (p *podState) firstTick(pr *corev1.Probe, t time.Duration) time.Duration {
	period := probePeriod(pr)
	n := (t - p.workerStart + period - 1) / period
	if n < 0 {
		n = 0
	}
	return p.workerStart + n*period
}

// scheduleProbeFailures plays the failing probes of a running container:
// each failing tick an Unhealthy event; failureThreshold failures in a
// row unready it (readiness) or kill it for a restart (liveness, event
// Killing "Container X failed liveness probe, will be restarted").
func (c *container) scheduleProbeFailures(startedAt time.Duration) {
	if c.init || c.spec.ReadinessProbe == nil && c.spec.LivenessProbe == nil {
		return // nothing to fail (before making the closures below)
	}
	k, p := c.p.k, c.p
	gen := c.restarts
	alive := func() bool { return c.state == cRunning && c.restarts == gen && !p.terminating && !p.deleted }
	for _, kind := range []string{"Readiness", "Liveness"} {
		pr := c.spec.ReadinessProbe
		if kind == "Liveness" {
			pr = c.spec.LivenessProbe
		}
		if pr == nil {
			continue
		}
		from, msg, fails := c.probeFailure(pr, startedAt)
		if !fails {
			continue
		}
		first := p.firstTick(pr, max(from, startedAt+time.Duration(pr.InitialDelaySeconds)*time.Second))
		period, threshold := probePeriod(pr), failureThreshold(pr)
		kind, pr := kind, pr
		var tick func(n int)
		tick = func(n int) {
			if !alive() {
				return
			}
			k.event(p.pod, corev1.EventTypeWarning, "Unhealthy", kind+" probe failed: "+msg)
			if n+1 >= threshold {
				if kind == "Readiness" {
					if c.ready {
						c.ready = false
						k.markDirty(p)
					}
					c.noReadyUntilRestart = true
				} else {
					c.killForProbe("liveness", pr)
					return
				}
			}
			k.after(period, "kubelet/probe", func() { tick(n + 1) })
		}
		k.after(first-k.now(), "kubelet/probe", func() { tick(0) })
	}
}

// scheduleStartupFailure plays a startup probe that never passes: an
// Unhealthy event each tick from the first one, and the kill for a
// restart at the failureThreshold-th failure.
func (c *container) scheduleStartupFailure(startedAt time.Duration) {
	k, p := c.p.k, c.p
	pr := c.spec.StartupProbe
	from, msg, _ := c.probeFailure(pr, startedAt)
	gen := c.restarts
	first := p.firstTick(pr, max(from, startedAt+time.Duration(pr.InitialDelaySeconds)*time.Second))
	period, threshold := probePeriod(pr), failureThreshold(pr)
	var tick func(n int)
	tick = func(n int) {
		if c.state != cRunning || c.restarts != gen || p.terminating || p.deleted {
			return
		}
		k.event(p.pod, corev1.EventTypeWarning, "Unhealthy", "Startup probe failed: "+msg)
		if n+1 >= threshold {
			c.killForProbe("startup", pr)
			return
		}
		k.after(period, "kubelet/probe", func() { tick(n + 1) })
	}
	k.after(first-k.now(), "kubelet/probe", func() { tick(0) })
}

// killForProbe stops the container for a restart after its liveness or
// startup probe failed: SIGTERM, SIGKILL at the end of the grace period
// (the probe's own, else the pod's).
func (c *container) killForProbe(kind string, pr *corev1.Probe) {
	k := c.p.k
	k.event(c.p.pod, corev1.EventTypeNormal, "Killing", fmt.Sprintf("Container %s failed %s probe, will be restarted", c.spec.Name, kind))
	grace := time.Duration(corev1.DefaultTerminationGracePeriodSeconds) * time.Second
	if g := c.p.pod.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	if pr.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pr.TerminationGracePeriodSeconds) * time.Second
	}
	d, code, reason := c.beh.StopTime, int32(0), "Completed"
	if c.beh.IgnoresSIGTERM || d > grace {
		d, code, reason = grace, 137, "Error"
	}
	c.ready = false
	k.markDirty(c.p)
	c.cancelTimer() // the process's own exit no longer happens
	c.after(d, "kubelet/kill", func(*container) { c.terminated(code, reason, "", c.startedAt) })
}
