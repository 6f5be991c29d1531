package kubelet

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// A liveness kill cancels the container's pending step (its own exit)
// through cancelTimer: were it cancelled with engine.Cancel while on the
// container's own step timer, stepQueued would stay set for good and every
// later step of the container would allocate a timer and a closure again.
func TestProbeKillFreesTheStepTimer(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("a", nil)
	h.run(10 * time.Second)
	pod := h.pod("a")
	require.Equal(t, corev1.PodRunning, pod.Status.Phase)
	c := h.k.podOf(pod).ctrs[0]
	c.cancelTimer()
	c.after(time.Hour, "exit", func(*container) {}) // the process's own exit, on the step timer
	require.Same(t, c.step, c.timer)
	c.killForProbe("Liveness", &corev1.Probe{})
	h.run(time.Minute)
	require.False(t, c.stepQueued, "nothing is queued on the step timer any more")
}
