// Package cronjob models kube-controller-manager's CronJob controller:
// at every time a CronJob's schedule names (UTC, in virtual time) it
// creates a Job from the template, honouring suspend, the concurrency
// policy and startingDeadlineSeconds, tracks the active Jobs, and trims
// finished Jobs to the history limits.
package cronjob

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/workqueue"
)

// Name is the component (and event source) name.
const Name = "cronjob-controller"

// Config tunes the controller.
type Config = controllerutil.Config

// Controller is the CronJob controller.
type Controller struct {
	engine *sim.Engine
	client *apiserver.Client
	store  *store.Store
	cfg    Config
	queue  *workqueue.Queue
	stops  controllerutil.Watches
}

// New returns a controller writing through client (whose component name
// should be Name). Call Start to begin watching.
func New(engine *sim.Engine, client *apiserver.Client, cfg Config) *Controller {
	cfg = cfg.Defaulted()
	if cfg.WatchLatency == 0 {
		cfg.WatchLatency = controllerutil.DefaultConfig().WatchLatency
	}
	c := &Controller{engine: engine, client: client, store: client.Server().Store(), cfg: cfg}
	c.queue = workqueue.New(engine, cfg.Queue.Named("cronjob-controller"), c.sync)
	return c
}

// Start watches CronJobs and Jobs and queues every existing CronJob.
func (c *Controller) Start() {
	c.stops = append(c.stops,
		c.store.Watch("CronJob", c.cfg.WatchLatency, c.onCronJob),
		c.store.Watch("Job", c.cfg.WatchLatency, c.onJob))
	for _, o := range c.store.List("CronJob", "") {
		c.queue.Add(store.KeyOf(o))
	}
}

// Stop ends the watches.
func (c *Controller) Stop() { c.stops.Stop() }

func (c *Controller) onCronJob(ev store.Event) {
	if ev.Type == store.Deleted {
		return
	}
	if ev.Type == store.Modified && ev.Old.GetGeneration() == ev.Object.GetGeneration() {
		return // our own status write
	}
	c.queue.Add(store.KeyOf(ev.Object))
}

// onJob queues the CronJob owning a Job that was created, changed status
// or went away.
func (c *Controller) onJob(ev store.Event) {
	ref := podutil.ControllerOf(ev.Object)
	if ref == nil || ref.Kind != "CronJob" {
		return
	}
	if ev.Type == store.Modified && finished(ev.Old.(*batchv1.Job)) == finished(ev.Object.(*batchv1.Job)) {
		return
	}
	c.queue.Add(store.Key(ev.Object.GetNamespace(), ref.Name))
}

// requeueAt syncs key again just after t (upstream adds 100 ms so the
// clock has surely passed the scheduled time).
func (c *Controller) requeueAt(key string, t time.Time) {
	c.queue.AddAfter(key, t.Sub(c.engine.Now())+100*time.Millisecond)
}
