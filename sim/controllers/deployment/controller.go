// Package deployment models kube-controller-manager's Deployment
// controller: it owns ReplicaSets named "<deployment>-<pod-template-hash>",
// rolls pods from the old ones to the new one (RollingUpdate within
// maxSurge/maxUnavailable, or Recreate), scales proportionally during a
// rollout, keeps revision history and reports status and conditions. It
// also provides `kubectl rollout undo` and `kubectl rollout restart`.
package deployment

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component (and event source) name.
const Name = "deployment-controller"

// Controller is the Deployment controller.
type Controller struct {
	controllerutil.Base
	// tmplEq caches EqualIgnoreHash per ReplicaSet: templates change only
	// with a generation bump, and the comparison is the costliest step of
	// a sync.
	tmplEq map[types.UID]eqEntry
	sels   controllerutil.SelectorMemo
	keys   controllerutil.KeyMemo
	// carrier is the request of every status write (writeStatus).
	carrier appsv1.Deployment
}

type eqEntry struct {
	dUID       types.UID
	dGen, rGen int64
	equal      bool
}

// New returns a controller writing through client (whose component name
// should be Name). Call Start to begin watching.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{tmplEq: map[types.UID]eqEntry{}}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	c.Reconciles("Deployment", c.onDeployment)
	c.Handles("ReplicaSet", c.onReplicaSet)
	c.Handles("Pod", c.onPod)
	return c
}

func (c *Controller) onDeployment(ev store.Event) {
	if ev.Type == store.Deleted {
		c.sels.Forget(ev.Object.GetUID())
	}
	if ev.Type == store.Modified {
		o, n := ev.Old.(*appsv1.Deployment), ev.Object.(*appsv1.Deployment)
		if o.Generation == n.Generation && o.DeletionTimestamp.Equal(n.DeletionTimestamp) &&
			podutil.EqualMaps(o.Annotations, n.Annotations) && podutil.EqualMaps(o.Labels, n.Labels) {
			return // a status write (ours): nothing new to reconcile
		}
	}
	c.Queue.Add(store.KeyOf(ev.Object))
}

func (c *Controller) onReplicaSet(ev store.Event) {
	rs := ev.Object.(*appsv1.ReplicaSet)
	if ev.Type == store.Deleted {
		delete(c.tmplEq, rs.UID)
	}
	if ev.Old != nil {
		if old := ev.Old.(*appsv1.ReplicaSet); !sameController(old, rs) {
			c.queueOwner(old)
		}
	}
	if c.queueOwner(rs) || ev.Type == store.Deleted || rs.DeletionTimestamp != nil {
		return
	}
	if podutil.ControllerOf(rs) == nil {
		c.queueMatching(rs)
	}
}

func sameController(a, b metav1.Object) bool {
	ra, rb := podutil.ControllerOf(a), podutil.ControllerOf(b)
	return (ra == nil) == (rb == nil) && (ra == nil || ra.UID == rb.UID)
}

// queueOwner queues the Deployment controlling rs, if any.
func (c *Controller) queueOwner(rs *appsv1.ReplicaSet) bool {
	key, ok := c.keys.ControllerKey(c.Store, "Deployment", rs)
	if ok {
		c.Queue.Add(key)
	}
	return ok
}

// queueMatching queues the Deployments whose selector matches an orphan
// ReplicaSet, so one adopts it.
func (c *Controller) queueMatching(rs *appsv1.ReplicaSet) {
	for _, key := range controllerutil.Selecting(c.Store, "Deployment", rs, func(d *appsv1.Deployment) *metav1.LabelSelector { return d.Spec.Selector }) {
		c.Queue.Add(key)
	}
}

// onPod wakes a Recreate Deployment when one of its old pods is gone: it
// waits for that before creating new pods.
func (c *Controller) onPod(ev store.Event) {
	if ev.Type != store.Deleted {
		return
	}
	pod := ev.Object.(*corev1.Pod)
	ref := podutil.ControllerOf(pod)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return
	}
	o, ok := c.Store.Get("ReplicaSet", pod.Namespace, ref.Name)
	if !ok {
		return
	}
	rs := o.(*appsv1.ReplicaSet)
	dref := podutil.ControllerOf(rs)
	if dref == nil || dref.Kind != "Deployment" {
		return
	}
	if d, ok := c.Store.Get("Deployment", pod.Namespace, dref.Name); ok &&
		d.(*appsv1.Deployment).Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		c.Queue.Add(store.KeyOf(d))
	}
}

// equalIgnoreHash is EqualIgnoreHash(rs template, d template), cached.
func (c *Controller) equalIgnoreHash(rs *appsv1.ReplicaSet, d *appsv1.Deployment) bool {
	if e, ok := c.tmplEq[rs.UID]; ok && e.dUID == d.UID && e.dGen == d.Generation && e.rGen == rs.Generation {
		return e.equal
	}
	eq := EqualIgnoreHash(&rs.Spec.Template, &d.Spec.Template)
	c.tmplEq[rs.UID] = eqEntry{dUID: d.UID, dGen: d.Generation, rGen: rs.Generation, equal: eq}
	return eq
}

func (c *Controller) now() time.Time { return c.Engine.Now() }
