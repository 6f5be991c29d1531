package podutil

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Container states for the table.
var (
	running = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	waiting = func(reason string) corev1.ContainerState {
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}
	}
	exited = func(code int32, reason string) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}
	}
)

func cs(name string, st corev1.ContainerState, ready bool, restarts int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: st, Ready: ready, RestartCount: restarts}
}

func cond(t corev1.PodConditionType, s corev1.ConditionStatus) corev1.PodCondition {
	return corev1.PodCondition{Type: t, Status: s}
}

// pod builds a pod with app containers a, b, ... (as many as statuses,
// at least one) and init containers i0, i1, ... (as many as initStatuses).
func pod(phase corev1.PodPhase, initStatuses, statuses []corev1.ContainerStatus) *corev1.Pod {
	p := &corev1.Pod{Status: corev1.PodStatus{Phase: phase, InitContainerStatuses: initStatuses, ContainerStatuses: statuses}}
	for _, s := range initStatuses {
		p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: s.Name})
	}
	for _, s := range statuses {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: s.Name})
	}
	if len(p.Spec.Containers) == 0 {
		p.Spec.Containers = []corev1.Container{{Name: "a"}}
	}
	return p
}

// The cases follow what `kubectl get pods` prints for the same status.
func TestLineOfMatchesKubectl(t *testing.T) {
	deleted := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	with := func(p *corev1.Pod, f func(*corev1.Pod)) *corev1.Pod { f(p); return p }
	for _, tc := range []struct {
		name     string
		pod      *corev1.Pod
		ready    string
		status   string
		restarts int
	}{
		{"no status yet", pod("", nil, nil), "0/1", "", 0},
		{"pending, unscheduled", pod(corev1.PodPending, nil, nil), "0/1", "Pending", 0},
		{"scheduling gated", with(pod(corev1.PodPending, nil, nil), func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}}
		}), "0/1", "SchedulingGated", 0},
		{"creating", pod(corev1.PodPending, nil, []corev1.ContainerStatus{cs("a", waiting("ContainerCreating"), false, 0)}), "0/1", "ContainerCreating", 0},
		{"running and ready", with(pod(corev1.PodRunning, nil, []corev1.ContainerStatus{cs("a", running, true, 0)}), func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionTrue)}
		}), "1/1", "Running", 0},
		{"running, one of two ready, restarted", pod(corev1.PodRunning, nil, []corev1.ContainerStatus{
			cs("a", running, true, 3), cs("b", running, false, 3)}), "1/2", "Running", 6},
		{"crash loop", pod(corev1.PodRunning, nil, []corev1.ContainerStatus{cs("a", waiting("CrashLoopBackOff"), false, 4)}), "0/1", "CrashLoopBackOff", 4},
		{"image pull error", pod(corev1.PodPending, nil, []corev1.ContainerStatus{cs("a", waiting("ErrImagePull"), false, 0)}), "0/1", "ErrImagePull", 0},
		{"image pull back-off", pod(corev1.PodPending, nil, []corev1.ContainerStatus{cs("a", waiting("ImagePullBackOff"), false, 0)}), "0/1", "ImagePullBackOff", 0},
		{"the first container's reason wins", pod(corev1.PodPending, nil, []corev1.ContainerStatus{
			cs("a", waiting("ImagePullBackOff"), false, 0), cs("b", waiting("ContainerCreating"), false, 0)}), "0/2", "ImagePullBackOff", 0},
		{"completed", pod(corev1.PodSucceeded, nil, []corev1.ContainerStatus{cs("a", exited(0, "Completed"), false, 0)}), "0/1", "Completed", 0},
		{"error", pod(corev1.PodFailed, nil, []corev1.ContainerStatus{cs("a", exited(1, "Error"), false, 0)}), "0/1", "Error", 0},
		{"OOM killed", pod(corev1.PodRunning, nil, []corev1.ContainerStatus{cs("a", exited(137, "OOMKilled"), false, 2)}), "0/1", "OOMKilled", 2},
		{"exit code without a reason", pod(corev1.PodFailed, nil, []corev1.ContainerStatus{cs("a", exited(2, ""), false, 0)}), "0/1", "ExitCode:2", 0},
		{"signal without a reason", with(pod(corev1.PodFailed, nil, []corev1.ContainerStatus{cs("a", exited(0, ""), false, 0)}), func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].State.Terminated.Signal = 9
		}), "0/1", "Signal:9", 0},
		{"completed beside a running, ready pod", with(pod(corev1.PodRunning, nil, []corev1.ContainerStatus{
			cs("a", running, true, 0), cs("b", exited(0, "Completed"), false, 0)}), func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionTrue)}
		}), "1/2", "Running", 0},
		{"completed beside a running, unready pod", pod(corev1.PodRunning, nil, []corev1.ContainerStatus{
			cs("a", running, true, 0), cs("b", exited(0, "Completed"), false, 0)}), "1/2", "NotReady", 0},
		{"evicted", with(pod(corev1.PodFailed, nil, []corev1.ContainerStatus{cs("a", exited(137, "Error"), false, 0)}), func(p *corev1.Pod) {
			p.Status.Reason = "Evicted"
			p.Status.ContainerStatuses = nil
		}), "0/1", "Evicted", 0},
		{"init running", pod(corev1.PodPending, []corev1.ContainerStatus{cs("i0", running, false, 0)},
			[]corev1.ContainerStatus{cs("a", waiting("PodInitializing"), false, 0)}), "0/1", "Init:0/1", 0},
		{"init waiting to initialise", pod(corev1.PodPending, []corev1.ContainerStatus{cs("i0", waiting("PodInitializing"), false, 0)},
			nil), "0/1", "Init:0/1", 0},
		{"second init running", pod(corev1.PodPending, []corev1.ContainerStatus{
			cs("i0", exited(0, "Completed"), false, 0), cs("i1", running, false, 0)}, nil), "0/1", "Init:1/2", 0},
		{"init error", pod(corev1.PodPending, []corev1.ContainerStatus{cs("i0", exited(1, "Error"), false, 1)}, nil), "0/1", "Init:Error", 1},
		{"init crash loop", pod(corev1.PodPending, []corev1.ContainerStatus{cs("i0", waiting("CrashLoopBackOff"), false, 3)}, nil), "0/1", "Init:CrashLoopBackOff", 3},
		{"init exit code without a reason", pod(corev1.PodPending, []corev1.ContainerStatus{cs("i0", exited(3, ""), false, 0)}, nil), "0/1", "Init:ExitCode:3", 0},
		{"init done, app initialising", pod(corev1.PodPending, []corev1.ContainerStatus{cs("i0", exited(0, "Completed"), false, 2)},
			[]corev1.ContainerStatus{cs("a", waiting("PodInitializing"), false, 0)}), "0/1", "PodInitializing", 0},
		{"sidecar started and ready counts in READY", with(pod(corev1.PodRunning, []corev1.ContainerStatus{cs("i0", running, true, 1)},
			[]corev1.ContainerStatus{cs("a", running, true, 2)}), func(p *corev1.Pod) {
			p.Spec.InitContainers[0].RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
			p.Status.InitContainerStatuses[0].Started = ptr.To(true)
			p.Status.Conditions = []corev1.PodCondition{cond(corev1.PodInitialized, corev1.ConditionTrue), cond(corev1.PodReady, corev1.ConditionTrue)}
		}), "2/2", "Running", 3},
		{"terminating", with(pod(corev1.PodRunning, nil, []corev1.ContainerStatus{cs("a", running, true, 0)}), func(p *corev1.Pod) {
			p.DeletionTimestamp = &deleted
		}), "1/1", "Terminating", 0},
		{"a finished pod being deleted is not Terminating", with(pod(corev1.PodSucceeded, nil, []corev1.ContainerStatus{cs("a", exited(0, "Completed"), false, 0)}), func(p *corev1.Pod) {
			p.DeletionTimestamp = &deleted
		}), "0/1", "Completed", 0},
		{"node lost", with(pod(corev1.PodRunning, nil, []corev1.ContainerStatus{cs("a", running, true, 0)}), func(p *corev1.Pod) {
			p.DeletionTimestamp = &deleted
			p.Status.Reason = NodeLostReason
		}), "1/1", "Unknown", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := LineOf(tc.pod)
			assert.Equal(t, tc.status, l.Status, "STATUS")
			assert.Equal(t, tc.ready, fmtReady(l), "READY")
			assert.Equal(t, tc.restarts, l.Restarts, "RESTARTS")
			assert.Equal(t, tc.status, Status(tc.pod))
		})
	}
}

func fmtReady(l Line) string { return fmt.Sprintf("%d/%d", l.Ready, l.Total) }

func TestLastRestartIsTheNewestFinish(t *testing.T) {
	at := func(s int) *corev1.ContainerStateTerminated {
		return &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Unix(int64(s), 0))}
	}
	p := pod(corev1.PodRunning, nil, []corev1.ContainerStatus{cs("a", running, true, 1), cs("b", running, true, 1)})
	p.Status.ContainerStatuses[0].LastTerminationState.Terminated = at(50)
	p.Status.ContainerStatuses[1].LastTerminationState.Terminated = at(20)
	l := LineOf(p)
	assert.Equal(t, 2, l.Restarts)
	assert.Equal(t, int64(50), l.LastRestart.Unix())

	none := LineOf(pod(corev1.PodRunning, nil, nil))
	assert.True(t, none.LastRestart.IsZero())
}

func TestIsReadyReadsTheReadyCondition(t *testing.T) {
	p := pod(corev1.PodRunning, nil, nil)
	assert.False(t, IsReady(p), "no condition")
	p.Status.Conditions = []corev1.PodCondition{cond(corev1.ContainersReady, corev1.ConditionTrue), cond(corev1.PodReady, corev1.ConditionFalse)}
	assert.False(t, IsReady(p))
	p.Status.Conditions[1].Status = corev1.ConditionTrue
	assert.True(t, IsReady(p))
}
