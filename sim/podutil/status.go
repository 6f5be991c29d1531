package podutil

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// NodeLostReason is the pod status reason the node lifecycle controller
// sets on pods of a node that stopped reporting (upstream's
// NodeUnreachablePodReason); kubectl shows such a terminating pod as
// Unknown.
const NodeLostReason = "NodeLost"

// Line is a pod's READY, STATUS and RESTARTS columns in `kubectl get
// pods`.
type Line struct {
	// Ready and Total are the READY column: ready containers out of the
	// app containers plus the sidecars (restartable init containers).
	Ready, Total int
	// Status is the STATUS column: Running, Pending, ContainerCreating,
	// CrashLoopBackOff, Init:0/1, Init:Error, Terminating, Completed, ...
	Status string
	// Restarts is the RESTARTS column's count and LastRestart when the
	// newest counted restart happened (zero if none is known).
	Restarts    int
	LastRestart metav1.Time
}

// Status is the STATUS column of `kubectl get pods` for p.
func Status(p *corev1.Pod) string { return LineOf(p).Status }

// LineOf computes the columns the way kubectl's printer does: the phase
// (or the pod's reason) to start with; while initialising, the first init
// container that has not finished names it (Init:N/M, or Init: and its
// waiting or terminated reason); after that, the app containers' waiting
// or terminated reasons win, the last container first; a pod being deleted
// is Terminating (Unknown when its node was lost) unless it has already
// finished.
func LineOf(p *corev1.Pod) Line {
	l := Line{Total: len(p.Spec.Containers), Status: string(p.Status.Phase)}
	if p.Status.Reason != "" {
		l.Status = p.Status.Reason
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			l.Status = corev1.PodReasonSchedulingGated
		}
	}

	sidecar := map[string]bool{}
	for i := range p.Spec.InitContainers {
		if c := &p.Spec.InitContainers[i]; ptr.Deref(c.RestartPolicy, "") == corev1.ContainerRestartPolicyAlways {
			sidecar[c.Name] = true
			l.Total++
		}
	}

	// Restarts of every container while initialising; of the sidecars and
	// the app containers afterwards.
	var sidecarRestarts int
	var sidecarLast metav1.Time
	initializing := false
	for i, c := range p.Status.InitContainerStatuses {
		l.Restarts += int(c.RestartCount)
		later(&l.LastRestart, c.LastTerminationState.Terminated)
		if sidecar[c.Name] {
			sidecarRestarts += int(c.RestartCount)
			later(&sidecarLast, c.LastTerminationState.Terminated)
		}
		t, w := c.State.Terminated, c.State.Waiting
		switch {
		case t != nil && t.ExitCode == 0:
			continue
		case sidecar[c.Name] && ptr.Deref(c.Started, false):
			if c.Ready {
				l.Ready++
			}
			continue
		case t != nil:
			l.Status = "Init:" + terminatedReason(t)
		case w != nil && w.Reason != "" && w.Reason != "PodInitializing":
			l.Status = "Init:" + w.Reason
		default:
			l.Status = fmt.Sprintf("Init:%d/%d", i, len(p.Spec.InitContainers))
		}
		initializing = true
		break
	}

	if !initializing || conditionTrue(p, corev1.PodInitialized) {
		l.Restarts, l.LastRestart = sidecarRestarts, sidecarLast
		running := false
		for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
			c := p.Status.ContainerStatuses[i]
			l.Restarts += int(c.RestartCount)
			later(&l.LastRestart, c.LastTerminationState.Terminated)
			switch {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				l.Status = c.State.Waiting.Reason
			case c.State.Terminated != nil:
				l.Status = terminatedReason(c.State.Terminated)
			case c.Ready && c.State.Running != nil:
				running = true
				l.Ready++
			}
		}
		// A finished container beside a running one: the pod is not done.
		if l.Status == "Completed" && running {
			l.Status = "NotReady"
			if IsReady(p) {
				l.Status = "Running"
			}
		}
	}

	switch {
	case p.DeletionTimestamp != nil && p.Status.Reason == NodeLostReason:
		l.Status = "Unknown"
	case p.DeletionTimestamp != nil && !IsTerminal(p):
		l.Status = "Terminating"
	}
	return l
}

// terminatedReason is a terminated container's reason, or the signal or
// exit code when the runtime gave none.
func terminatedReason(t *corev1.ContainerStateTerminated) string {
	switch {
	case t.Reason != "":
		return t.Reason
	case t.Signal != 0:
		return fmt.Sprintf("Signal:%d", t.Signal)
	default:
		return fmt.Sprintf("ExitCode:%d", t.ExitCode)
	}
}

// later moves *at to t's finish time when t finished after it.
func later(at *metav1.Time, t *corev1.ContainerStateTerminated) {
	if t != nil && at.Before(&t.FinishedAt) {
		*at = t.FinishedAt
	}
}

// conditionTrue indexes the conditions rather than ranging over copies:
// a PodCondition is 120 bytes, and controllers test every pod's Ready
// condition on every sync.
func conditionTrue(p *corev1.Pod, t corev1.PodConditionType) bool {
	cs := p.Status.Conditions
	for i := range cs {
		if cs[i].Type == t {
			return cs[i].Status == corev1.ConditionTrue
		}
	}
	return false
}
