// Package endpointslice models kube-controller-manager's EndpointSlice
// controller (pkg/controller/endpointslice): for every Service with a
// selector it keeps discovery.k8s.io/v1 EndpointSlices listing the
// matching pods that have an IP, with their ready / serving / terminating
// conditions, node, zone and ports, at most 100 endpoints per slice.
// Slices are only written when their content changes, and existing
// endpoints stay in the slice they are in, like upstream's reconciler.
package endpointslice

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// ManagedBy is the endpointslice.kubernetes.io/managed-by value of the
// controller's slices.
const ManagedBy = "endpointslice-controller.k8s.io"

// Config tunes the controller: the informer delay and queue timing every
// controller has, and the slice size.
type Config struct {
	controllerutil.Config
	// MaxEndpointsPerSlice is --max-endpoints-per-slice (100).
	MaxEndpointsPerSlice int
}

// DefaultMaxEndpointsPerSlice is upstream's --max-endpoints-per-slice.
const DefaultMaxEndpointsPerSlice = 100

// Controller is the EndpointSlice controller.
type Controller struct {
	controllerutil.Base
	maxPerSlice int

	// bySelector indexes services by one namespace and key=value pair of
	// their selector, so a pod event finds its services without listing
	// every service of the namespace (a struct key: a pod event looks up
	// each of its labels without building a string).
	bySelector map[selectorPair]map[string]struct{}
	svcIndex   map[string]selectorPair
}

// selectorPair is one label of a service's selector in its namespace.
type selectorPair struct{ namespace, key, value string }

// New returns an EndpointSlice controller writing through client
// (upstream "endpointslice-controller").
func New(engine *sim.Engine, client *apiserver.Client, cfg Config) *Controller {
	c := &Controller{maxPerSlice: cmp.Or(max(cfg.MaxEndpointsPerSlice, 0), DefaultMaxEndpointsPerSlice),
		bySelector: map[selectorPair]map[string]struct{}{}, svcIndex: map[string]selectorPair{}}
	c.Base = controllerutil.NewBase(engine, client, "endpointslice-controller", cfg.WithDefaultQueue(), c.sync)
	c.Handles("Service", c.onService)
	c.Handles("Pod", c.onPod)
	c.Handles("EndpointSlice", c.onSlice)
	c.OnStart(func() {
		// The informers' initial list: every existing service is synced.
		for _, o := range c.Store.List("Service", "") {
			c.index(o.(*corev1.Service))
			c.Queue.Add(store.KeyOf(o))
		}
	})
	return c
}

func (c *Controller) onService(ev store.Event) {
	key := store.KeyOf(ev.Object)
	c.unindex(key)
	if ev.Type != store.Deleted {
		c.index(ev.Object.(*corev1.Service))
	}
	c.Queue.Add(key)
}

// index files a service under the smallest key=value pair of its
// selector (any pair works: a matching pod carries them all).
func (c *Controller) index(svc *corev1.Service) {
	if len(svc.Spec.Selector) == 0 {
		return
	}
	best, ik := "", selectorPair{namespace: svc.Namespace}
	for k, v := range svc.Spec.Selector {
		if p := k + "=" + v; best == "" || p < best {
			best, ik.key, ik.value = p, k, v
		}
	}
	set := c.bySelector[ik]
	if set == nil {
		set = map[string]struct{}{}
		c.bySelector[ik] = set
	}
	key := store.KeyOf(svc)
	set[key] = struct{}{}
	c.svcIndex[key] = ik
}

func (c *Controller) unindex(key string) {
	ik, ok := c.svcIndex[key]
	if !ok {
		return
	}
	delete(c.svcIndex, key)
	delete(c.bySelector[ik], key)
	if len(c.bySelector[ik]) == 0 {
		delete(c.bySelector, ik)
	}
}

// onSlice re-syncs a service whose managed slice was deleted behind the
// controller's back (its own deletions cost one idempotent sync).
func (c *Controller) onSlice(ev store.Event) {
	if ev.Type != store.Deleted {
		return
	}
	l := ev.Object.GetLabels()
	if l[discoveryv1.LabelManagedBy] == ManagedBy && l[discoveryv1.LabelServiceName] != "" {
		c.Queue.Add(store.Key(ev.Object.GetNamespace(), l[discoveryv1.LabelServiceName]))
	}
}

func (c *Controller) onPod(ev store.Event) {
	pod := ev.Object.(*corev1.Pod)
	var old *corev1.Pod
	if ev.Type == store.Modified {
		old = ev.Old.(*corev1.Pod)
		if !endpointChanged(old, pod) {
			return
		}
	}
	c.enqueueServicesOf(pod.Namespace, pod.Labels)
	if old != nil && !podutil.EqualMaps(old.Labels, pod.Labels) {
		c.enqueueServicesOf(pod.Namespace, old.Labels)
	}
}

func (c *Controller) enqueueServicesOf(ns string, lbls map[string]string) {
	if len(c.bySelector) == 0 {
		return // no Service selects: no pod's labels to look up
	}
	var keys []string
	for k, v := range lbls {
		for key := range c.bySelector[selectorPair{ns, k, v}] {
			sns, name := store.SplitKey(key)
			o, ok := c.Store.Get("Service", sns, name)
			if ok && selects(o.(*corev1.Service).Spec.Selector, lbls) {
				keys = append(keys, key)
			}
		}
	}
	// Sorted: map order must not decide the queue order.
	slices.Sort(keys)
	for _, key := range keys {
		c.Queue.Add(key)
	}
}

func selects(sel, lbls map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if lv, ok := lbls[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// endpointChanged reports whether a pod update can change its endpoint.
func endpointChanged(old, cur *corev1.Pod) bool {
	return old.Status.PodIP != cur.Status.PodIP ||
		podutil.IsReady(old) != podutil.IsReady(cur) ||
		(old.DeletionTimestamp == nil) != (cur.DeletionTimestamp == nil) ||
		podutil.IsTerminal(old) != podutil.IsTerminal(cur) ||
		old.Spec.NodeName != cur.Spec.NodeName ||
		old.Spec.Hostname != cur.Spec.Hostname || old.Spec.Subdomain != cur.Spec.Subdomain ||
		!podutil.EqualMaps(old.Labels, cur.Labels)
}
