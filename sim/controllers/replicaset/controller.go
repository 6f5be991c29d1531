// Package replicaset models kube-controller-manager's ReplicaSet
// controller: it keeps the number of active pods matching a ReplicaSet's
// selector at spec.replicas, adopting orphans, creating missing pods in
// slow-start batches and deleting surplus pods in upstream's ranking
// order, then reports status. The same code over a conversion is the
// replication controller (NewReplication), as upstream's
// pkg/controller/replication wraps the ReplicaSet controller.
package replicaset

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component (and event source) name.
const Name = "replicaset-controller"

// ReplicationName is the replication controller's component (and event
// source) name, as upstream's.
const ReplicationName = "replication-controller"

// Controller is the ReplicaSet controller, or the replication controller.
type Controller struct {
	controllerutil.Base
	kind   kindAdapter
	exp    *controllerutil.Expectations
	claims controllerutil.ClaimMemo[podFacts]
	sels   controllerutil.SelectorMemo
	keys   controllerutil.KeyMemo
	// carrier is the request of a ReplicaSet's status write
	// (kindAdapter.withStatus).
	carrier appsv1.ReplicaSet
}

// New returns a controller writing through client (whose component name
// should be Name). Call Start to begin watching.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	return newController(engine, client, Name, cfg, replicaSets)
}

// NewReplication returns the replication controller, keeping
// ReplicationControllers' pods, writing through client (whose component
// name should be ReplicationName). Call Start to begin watching.
func NewReplication(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	return newController(engine, client, ReplicationName, cfg, replicationControllers)
}

func newController(engine *sim.Engine, client *apiserver.Client, name string, cfg controllerutil.Config, kind kindAdapter) *Controller {
	c := &Controller{kind: kind, exp: controllerutil.NewExpectations(engine)}
	c.Base = controllerutil.NewBase(engine, client, name, cfg, c.sync)
	c.Reconciles(kind.kind, c.onOwner)
	c.Handles("Pod", c.onPod)
	c.Opens(func() func() { return c.claims.Watch(c.Store, "Pod") })
	return c
}

func (c *Controller) onOwner(ev store.Event) {
	key := store.KeyOf(ev.Object)
	if ev.Type == store.Deleted {
		c.exp.Delete(key)
		c.claims.Forget(ev.Object.GetUID())
		c.sels.Forget(ev.Object.GetUID())
	}
	if ev.Type == store.Modified && statusOnly(ev.Old, ev.Object) {
		return // our own status write: nothing new to reconcile
	}
	c.Queue.Add(key)
}

// statusOnly reports whether an update changed nothing but status, so
// the controller's own status writes do not queue a no-op sync.
func statusOnly(o, n store.Object) bool {
	return o.GetGeneration() == n.GetGeneration() && o.GetDeletionTimestamp().Equal(n.GetDeletionTimestamp()) &&
		podutil.EqualMaps(o.GetLabels(), n.GetLabels()) && len(o.GetOwnerReferences()) == len(n.GetOwnerReferences()) &&
		len(o.GetAnnotations()) == len(n.GetAnnotations())
}

// onPod lowers expectations and queues the owning ReplicaSet, as
// upstream's addPod/updatePod/deletePod handlers.
func (c *Controller) onPod(ev store.Event) {
	pod := ev.Object.(*corev1.Pod)
	var old *corev1.Pod
	if ev.Old != nil {
		old = ev.Old.(*corev1.Pod)
	}
	switch {
	case ev.Type == store.Deleted || pod.DeletionTimestamp != nil:
		if key, ok := c.ownerKey(pod); ok {
			c.exp.DeletionObserved(key, store.KeyOf(pod))
			c.Queue.Add(key)
		}
		return
	case ev.Type == store.Added:
		if key, ok := c.ownerKey(pod); ok {
			c.exp.CreationObserved(key)
			c.Queue.Add(key)
			return
		}
		c.queueMatching(pod)
		return
	}
	if old == nil {
		return
	}
	c.podUpdated(old, pod)
}

func (c *Controller) podUpdated(old, pod *corev1.Pod) {
	oldRef, curRef := podutil.ControllerOf(old), podutil.ControllerOf(pod)
	if oldRef != nil && (curRef == nil || oldRef.UID != curRef.UID) {
		if key, ok := c.ownerKey(old); ok {
			c.Queue.Add(key)
		}
	}
	if curRef != nil && oldRef != nil && oldRef.UID == curRef.UID && !relevantChange(old, pod) {
		// A binding or a ContainerCreating status changes neither the
		// ReplicaSet's status nor what it must create or delete; the next
		// sync reads the pod as it is then. (Asked before the owner is
		// looked up: nothing below acts on such a change.)
		return
	}
	if key, ok := c.ownerKey(pod); ok {
		c.Queue.Add(key)
		if o, ok := c.Store.Get(c.kind.kind, pod.Namespace, curRef.Name); ok {
			if mrs := c.kind.view(o).Spec.MinReadySeconds; mrs > 0 && !podutil.IsReady(old) && podutil.IsReady(pod) {
				c.Queue.AddAfter(key, time.Duration(mrs)*time.Second)
			}
		}
		return
	}
	if curRef == nil && (oldRef != nil || !podutil.EqualMaps(old.Labels, pod.Labels)) {
		c.queueMatching(pod)
	}
}

// relevantChange reports whether a pod update can change its ReplicaSet's
// status or replica count: labels, phase, readiness or activeness.
func relevantChange(old, pod *corev1.Pod) bool {
	return old.Status.Phase != pod.Status.Phase || podutil.IsReady(old) != podutil.IsReady(pod) ||
		podutil.IsActive(old) != podutil.IsActive(pod) || !podutil.EqualMaps(old.Labels, pod.Labels)
}

// ownerKey is the key of the ReplicaSet (ReplicationController)
// controlling pod, if it exists.
func (c *Controller) ownerKey(pod *corev1.Pod) (string, bool) {
	return c.keys.ControllerKey(c.Store, c.kind.kind, pod)
}

// queueMatching queues every ReplicaSet whose selector matches an orphan
// pod, so one of them adopts it.
func (c *Controller) queueMatching(pod *corev1.Pod) {
	if pod.DeletionTimestamp != nil {
		return
	}
	for _, key := range controllerutil.Selecting(c.Store, c.kind.kind, pod, func(o store.Object) *metav1.LabelSelector { return c.kind.view(o).Spec.Selector }) {
		c.Queue.Add(key)
	}
}
