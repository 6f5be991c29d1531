// Package replicaset models kube-controller-manager's ReplicaSet
// controller: it keeps the number of active pods matching a ReplicaSet's
// selector at spec.replicas, adopting orphans, creating missing pods in
// slow-start batches and deleting surplus pods in upstream's ranking
// order, then reports status.
package replicaset

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component (and event source) name.
const Name = "replicaset-controller"

// Controller is the ReplicaSet controller.
type Controller struct {
	controllerutil.Base
	exp    *controllerutil.Expectations
	claims controllerutil.ClaimMemo
	sels   controllerutil.SelectorMemo
}

// New returns a controller writing through client (whose component name
// should be Name). Call Start to begin watching.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{exp: controllerutil.NewExpectations(engine)}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	c.Reconciles("ReplicaSet", c.onReplicaSet)
	c.Handles("Pod", c.onPod)
	return c
}

func (c *Controller) onReplicaSet(ev store.Event) {
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
func statusOnly(oldObj, newObj store.Object) bool {
	o, n := oldObj.(*appsv1.ReplicaSet), newObj.(*appsv1.ReplicaSet)
	return o.Generation == n.Generation && o.DeletionTimestamp.Equal(n.DeletionTimestamp) &&
		labels.Equals(o.Labels, n.Labels) && len(o.OwnerReferences) == len(n.OwnerReferences) &&
		len(o.Annotations) == len(n.Annotations)
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
	if key, ok := c.ownerKey(pod); ok {
		if oldRef != nil && oldRef.UID == curRef.UID && !relevantChange(old, pod) {
			// A binding or a ContainerCreating status changes neither the
			// ReplicaSet's status nor what it must create or delete; the
			// next sync reads the pod as it is then.
			return
		}
		c.Queue.Add(key)
		if o, ok := c.Store.Get("ReplicaSet", pod.Namespace, curRef.Name); ok {
			if mrs := o.(*appsv1.ReplicaSet).Spec.MinReadySeconds; mrs > 0 && !podutil.IsReady(old) && podutil.IsReady(pod) {
				c.Queue.AddAfter(key, time.Duration(mrs)*time.Second)
			}
		}
		return
	}
	if curRef == nil && (oldRef != nil || !labels.Equals(old.Labels, pod.Labels)) {
		c.queueMatching(pod)
	}
}

// relevantChange reports whether a pod update can change its ReplicaSet's
// status or replica count: labels, phase, readiness or activeness.
func relevantChange(old, pod *corev1.Pod) bool {
	return old.Status.Phase != pod.Status.Phase || podutil.IsReady(old) != podutil.IsReady(pod) ||
		podutil.IsActive(old) != podutil.IsActive(pod) || !labels.Equals(old.Labels, pod.Labels)
}

// ownerKey is the key of the ReplicaSet controlling pod, if it exists.
func (c *Controller) ownerKey(pod *corev1.Pod) (string, bool) {
	return controllerutil.ControllerKey(c.Store, "ReplicaSet", pod)
}

// queueMatching queues every ReplicaSet whose selector matches an orphan
// pod, so one of them adopts it.
func (c *Controller) queueMatching(pod *corev1.Pod) {
	if pod.DeletionTimestamp != nil {
		return
	}
	for _, key := range controllerutil.Selecting(c.Store, "ReplicaSet", pod, func(rs *appsv1.ReplicaSet) *metav1.LabelSelector { return rs.Spec.Selector }) {
		c.Queue.Add(key)
	}
}
