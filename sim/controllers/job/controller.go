// Package job models kube-controller-manager's Job controller: it runs a
// Job's pods up to spec.parallelism until spec.completions have
// succeeded, recreates failed pods after an exponential back-off, fails
// the Job past its backoffLimit or activeDeadlineSeconds, and reports
// status and conditions as upstream.
package job

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/workqueue"
)

// Name is the component (and event source) name.
const Name = "job-controller"

// Upstream's pod failure back-off: 10 s doubling per consecutive failure,
// capped at 10 minutes (DefaultJobPodFailureBackOff, MaxJobPodFailureBackOff).
const (
	DefaultBackoff = 10 * time.Second
	MaxBackoff     = 10 * time.Minute
)

// Config tunes the controller.
type Config = controllerutil.Config

// Controller is the Job controller.
type Controller struct {
	engine *sim.Engine
	client *apiserver.Client
	store  *store.Store
	cfg    Config
	queue  *workqueue.Queue
	exp    *controllerutil.Expectations
	stops  controllerutil.Watches
}

// New returns a controller writing through client (whose component name
// should be Name). Call Start to begin watching.
func New(engine *sim.Engine, client *apiserver.Client, cfg Config) *Controller {
	cfg = cfg.Defaulted()
	if cfg.BurstReplicas <= 0 {
		cfg.BurstReplicas = controllerutil.BurstReplicas
	}
	if cfg.WatchLatency == 0 {
		cfg.WatchLatency = controllerutil.DefaultConfig().WatchLatency
	}
	c := &Controller{engine: engine, client: client, store: client.Server().Store(), cfg: cfg,
		exp: controllerutil.NewExpectations(engine)}
	c.queue = workqueue.New(engine, cfg.Queue.Named("job-controller"), c.sync)
	return c
}

// Start watches Jobs and pods and queues every existing Job.
func (c *Controller) Start() {
	c.stops = append(c.stops,
		c.store.Watch("Job", c.cfg.WatchLatency, c.onJob),
		c.store.Watch("Pod", c.cfg.WatchLatency, c.onPod))
	for _, o := range c.store.List("Job", "") {
		c.queue.Add(store.KeyOf(o))
	}
}

// Stop ends the watches.
func (c *Controller) Stop() { c.stops.Stop() }

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
	c.queue.Add(key)
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
	switch {
	case ev.Type == store.Added:
		c.exp.CreationObserved(key)
	case ev.Type == store.Modified:
		old := ev.Old.(*corev1.Pod)
		if old.Status.Phase == pod.Status.Phase && podutil.IsReady(old) == podutil.IsReady(pod) &&
			old.DeletionTimestamp.Equal(pod.DeletionTimestamp) && podRestarts(old) == podRestarts(pod) {
			return
		}
	}
	c.queue.Add(key)
}

func podRestarts(p *corev1.Pod) int32 {
	var n int32
	for i := range p.Status.ContainerStatuses {
		n += p.Status.ContainerStatuses[i].RestartCount
	}
	return n
}

// jobOf returns the Job stored under key.
func (c *Controller) jobOf(key string) (*batchv1.Job, bool) {
	ns, name := store.SplitKey(key)
	o, ok := c.store.Get("Job", ns, name)
	if !ok {
		return nil, false
	}
	return o.(*batchv1.Job), true
}
