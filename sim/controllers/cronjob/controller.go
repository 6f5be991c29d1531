// Package cronjob models kube-controller-manager's CronJob controller:
// at every time a CronJob's schedule names (UTC, in virtual time) it
// creates a Job from the template, honouring suspend, the concurrency
// policy and startingDeadlineSeconds, tracks the active Jobs, and trims
// finished Jobs to the history limits.
package cronjob

import (
	batchv1 "k8s.io/api/batch/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component (and event source) name.
const Name = "cronjob-controller"

// Controller is the CronJob controller.
type Controller struct {
	controllerutil.Base
}

// New returns a controller writing through client (whose component name
// should be Name). Call Start to begin watching.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	c.Reconciles("CronJob", c.onCronJob)
	c.Handles("Job", c.onJob)
	return c
}

func (c *Controller) onCronJob(ev store.Event) {
	if ev.Type == store.Deleted {
		return
	}
	if ev.Type == store.Modified && ev.Old.GetGeneration() == ev.Object.GetGeneration() {
		return // our own status write
	}
	c.Queue.Add(store.KeyOf(ev.Object))
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
	c.Queue.Add(store.Key(ev.Object.GetNamespace(), ref.Name))
}
