// Package job models kube-controller-manager's Job controller: it runs a
// Job's pods up to spec.parallelism until spec.completions have
// succeeded, recreates failed pods after an exponential back-off, fails
// the Job past its backoffLimit or activeDeadlineSeconds, and reports
// status and conditions as upstream.
package job

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component (and event source) name.
const Name = "job-controller"

// Upstream's pod failure back-off: 10 s doubling per consecutive failure,
// capped at 10 minutes (DefaultJobPodFailureBackOff, MaxJobPodFailureBackOff).
const (
	DefaultBackoff = 10 * time.Second
	MaxBackoff     = 10 * time.Minute
)

// Controller is the Job controller.
type Controller struct {
	controllerutil.Base
	exp *controllerutil.Expectations
}

// New returns a controller writing through client (whose component name
// should be Name). Call Start to begin watching.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{exp: controllerutil.NewExpectations(engine)}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	c.Reconciles("Job", c.onJob)
	c.Handles("Pod", c.onPod)
	return c
}

func (c *Controller) onJob(ev store.Event) {
	key := store.KeyOf(ev.Object)
	if ev.Type == store.Deleted {
		c.exp.Delete(key)
		return
	}
	if ev.Type == store.Modified && ev.Old.GetGeneration() == ev.Object.GetGeneration() &&
		ev.Old.GetDeletionTimestamp().Equal(ev.Object.GetDeletionTimestamp()) {
		return // our own status write
	}
	c.Queue.Add(key)
}

// onPod queues the Job controlling a pod when something the Job counts
// changed: creation, phase, readiness or deletion.
func (c *Controller) onPod(ev store.Event) {
	pod := ev.Object.(*corev1.Pod)
	ref := podutil.ControllerOf(pod)
	if ref == nil || ref.Kind != "Job" {
		return
	}
	key := store.Key(pod.Namespace, ref.Name)
	switch ev.Type {
	case store.Added:
		c.exp.CreationObserved(key)
	case store.Modified:
		old := ev.Old.(*corev1.Pod)
		if old.Status.Phase == pod.Status.Phase && podutil.IsReady(old) == podutil.IsReady(pod) &&
			old.DeletionTimestamp.Equal(pod.DeletionTimestamp) && podRestarts(old) == podRestarts(pod) {
			return
		}
	}
	c.Queue.Add(key)
}

func podRestarts(p *corev1.Pod) int32 {
	var n int32
	for i := range p.Status.ContainerStatuses {
		n += p.Status.ContainerStatuses[i].RestartCount
	}
	return n
}
