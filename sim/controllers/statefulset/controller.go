// Package statefulset models kube-controller-manager's StatefulSet
// controller: pods with stable names <set>-<ordinal>, created in order
// (OrderedReady: each only once its predecessors are Running and Ready)
// or all at once (Parallel), removed from the highest ordinal down,
// recreated under the same name only after the old pod is really gone
// (so a pod stuck Terminating on a dead node is not replaced), and rolled
// from the highest ordinal down to the partition with ControllerRevision
// history (RollingUpdate) or left for the user to delete (OnDelete).
//
// volumeClaimTemplates are accepted and ignored: the simulator has no
// PersistentVolumeClaims, so no claims are created or retained.
package statefulset

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
const Name = "statefulset-controller"

// Controller is the StatefulSet controller.
type Controller struct {
	controllerutil.Base
}

// New returns a controller writing through client (whose component name
// should be Name). Call Start to begin watching.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	c.Reconciles("StatefulSet", c.onSet)
	c.Handles("Pod", c.onPod)
	return c
}

func (c *Controller) onSet(ev store.Event) {
	if ev.Type == store.Modified {
		o, n := ev.Old.(*appsv1.StatefulSet), ev.Object.(*appsv1.StatefulSet)
		if o.Generation == n.Generation && o.DeletionTimestamp.Equal(n.DeletionTimestamp) && podutil.EqualMaps(o.Labels, n.Labels) {
			return // our own status write
		}
	}
	c.Queue.Add(store.KeyOf(ev.Object))
}

// onPod queues the owning StatefulSet on every change of one of its pods
// (the ordered state machine depends on phase and readiness), and every
// matching StatefulSet for an orphan so one adopts it.
func (c *Controller) onPod(ev store.Event) {
	pod := ev.Object.(*corev1.Pod)
	if ev.Old != nil {
		if old := ev.Old.(*corev1.Pod); podutil.ControllerOf(old) != nil && podutil.ControllerOf(pod) == nil {
			c.queueOwner(old)
		}
	}
	if key, ok := c.ownerKey(pod); ok {
		c.Queue.Add(key)
		if ev.Old != nil && !podutil.IsReady(ev.Old.(*corev1.Pod)) && podutil.IsReady(pod) {
			if o, ok := c.Store.Get("StatefulSet", pod.Namespace, podutil.ControllerOf(pod).Name); ok {
				if mrs := o.(*appsv1.StatefulSet).Spec.MinReadySeconds; mrs > 0 {
					c.Queue.AddAfter(key, time.Duration(mrs)*time.Second)
				}
			}
		}
		return
	}
	if podutil.ControllerOf(pod) == nil && pod.DeletionTimestamp == nil && ev.Type != store.Deleted {
		c.queueMatching(pod)
	}
}

func (c *Controller) queueOwner(pod *corev1.Pod) {
	if key, ok := c.ownerKey(pod); ok {
		c.Queue.Add(key)
	}
}

// ownerKey is the key of the StatefulSet controlling pod, if it exists.
func (c *Controller) ownerKey(pod *corev1.Pod) (string, bool) {
	return controllerutil.ControllerKey(c.Store, "StatefulSet", pod)
}

func (c *Controller) queueMatching(pod *corev1.Pod) {
	for _, key := range controllerutil.Selecting(c.Store, "StatefulSet", pod, func(set *appsv1.StatefulSet) *metav1.LabelSelector { return set.Spec.Selector }) {
		c.Queue.Add(key)
	}
}
