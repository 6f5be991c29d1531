// Package daemonset models kube-controller-manager's DaemonSet
// controller: one pod per eligible node (node selector, required node
// affinity, tolerated taints), created pinned to its node through a
// required node affinity on metadata.name so the default scheduler binds
// it, rolled with maxUnavailable, with ControllerRevision history and
// status.
package daemonset

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/history"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component (and event source) name.
const Name = "daemonset-controller"

// Failed daemon pods are replaced with a per-node backoff (upstream's
// failedPodsBackoff: 1 s doubling to 15 min), so a kubelet that keeps
// rejecting the pod is not hot-looped.
const (
	failedBackoffInitial = time.Second
	failedBackoffMax     = 15 * time.Minute
)

// Controller is the DaemonSet controller.
type Controller struct {
	controllerutil.Base
	exp     *controllerutil.Expectations
	backoff map[string]backoff
	revData history.DataCache
}

type backoff struct {
	delay time.Duration
	until time.Duration
}

// New returns a controller writing through client (whose component name
// should be Name). Call Start to begin watching.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{exp: controllerutil.NewExpectations(engine), backoff: map[string]backoff{}}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	c.Handles("DaemonSet", c.onDaemonSet)
	c.Handles("Pod", c.onPod)
	c.Handles("Node", c.onNode)
	c.OnStart(c.queueAll)
	return c
}

func (c *Controller) queueAll() {
	for _, o := range c.Store.List("DaemonSet", "") {
		c.enqueue(store.KeyOf(o))
	}
}

// perNodeSyncCost is the modelled cost of one node in a DaemonSet sync.
// A sync walks every node, so in a big cluster the controller cannot
// react to each pod event separately: events arriving while a sync would
// still be running are coalesced into the next one (5,000 nodes: 250 ms).
// This also keeps the simulator's own cost near-linear in cluster size.
const perNodeSyncCost = 50 * time.Microsecond

func (c *Controller) enqueue(key string) {
	d := time.Duration(c.Store.Len("Node")) * perNodeSyncCost
	if d < time.Millisecond {
		c.Queue.Add(key)
		return
	}
	c.Queue.AddAfter(key, d)
}

func (c *Controller) onDaemonSet(ev store.Event) {
	key := store.KeyOf(ev.Object)
	if ev.Type == store.Deleted {
		c.exp.Delete(key)
		c.revData.Forget(ev.Object.GetUID())
	}
	if ev.Type == store.Modified {
		o, n := ev.Old.(*appsv1.DaemonSet), ev.Object.(*appsv1.DaemonSet)
		if o.Generation == n.Generation && o.DeletionTimestamp.Equal(n.DeletionTimestamp) && podutil.EqualMaps(o.Labels, n.Labels) {
			return // our status write
		}
	}
	c.enqueue(key)
}

func (c *Controller) onPod(ev store.Event) {
	pod := ev.Object.(*corev1.Pod)
	key, owned := c.ownerKey(pod)
	switch {
	case ev.Type == store.Deleted || pod.DeletionTimestamp != nil:
		if owned {
			c.exp.DeletionObserved(key, store.KeyOf(pod))
		}
	case ev.Type == store.Added && owned:
		c.exp.CreationObserved(key)
	case !owned:
		if podutil.ControllerOf(pod) == nil {
			c.queueMatching(pod)
		}
		return
	}
	if owned {
		c.enqueue(key)
		if ev.Old != nil && !podutil.IsReady(ev.Old.(*corev1.Pod)) && podutil.IsReady(pod) {
			if o, ok := c.Store.Get("DaemonSet", pod.Namespace, podutil.ControllerOf(pod).Name); ok {
				if mrs := o.(*appsv1.DaemonSet).Spec.MinReadySeconds; mrs > 0 {
					c.Queue.AddAfter(key, time.Duration(mrs)*time.Second)
				}
			}
		}
	}
}

// ownerKey is the key of the DaemonSet controlling pod, if it exists.
func (c *Controller) ownerKey(pod *corev1.Pod) (string, bool) {
	return controllerutil.ControllerKey(c.Store, "DaemonSet", pod)
}

func (c *Controller) queueMatching(pod *corev1.Pod) {
	if pod.DeletionTimestamp != nil {
		return
	}
	for _, key := range controllerutil.Selecting(c.Store, "DaemonSet", pod, func(ds *appsv1.DaemonSet) *metav1.LabelSelector { return ds.Spec.Selector }) {
		c.enqueue(key)
	}
}

// onNode queues every DaemonSet when a node comes or goes or changes
// what placement looks at (labels, taints); heartbeats are ignored.
func (c *Controller) onNode(ev store.Event) {
	if ev.Type == store.Modified {
		o, n := ev.Old.(*corev1.Node), ev.Object.(*corev1.Node)
		if podutil.EqualMaps(o.Labels, n.Labels) && equality.Semantic.DeepEqual(o.Spec.Taints, n.Spec.Taints) {
			return
		}
	}
	c.queueAll()
}
