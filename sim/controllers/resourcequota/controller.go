// Package resourcequota models kube-controller-manager's resource quota
// controller: it keeps each ResourceQuota's status (hard as the spec says,
// used as the namespace's objects charge) current, so `kubectl describe
// quota` and `kubectl get quota` show what is left. Admission itself is
// the API server's ResourceQuota plugin, counting the same way.
package resourcequota

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the controller's client name.
const Name = "resourcequota-controller"

// Controller keeps ResourceQuota status.
type Controller struct {
	controllerutil.Base
	// watched are the kinds whose changes are watched: countedKinds and
	// those a quota's count/<resource>.<group> names.
	watched map[string]bool
}

// New returns a resource quota controller.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg.WithDefaultQueue(), c.sync)
	c.Handles("ResourceQuota", func(ev store.Event) {
		if ev.Type == store.Deleted {
			return
		}
		if ev.Type == store.Modified && equality.Semantic.DeepEqual(ev.Old.(*corev1.ResourceQuota).Spec, ev.Object.(*corev1.ResourceQuota).Spec) {
			return // a status write (ours)
		}
		c.Queue.Add(store.KeyOf(ev.Object))
		c.queueNamespace(ev.Object.GetNamespace()) // the quota counts itself
	})
	// Then the objects quotas count, and every existing quota.
	c.OnStart(func() {
		c.watched = map[string]bool{}
		for _, kind := range countedKinds {
			c.watch(kind)
		}
		c.QueueAll("ResourceQuota")
	})
	return c
}

// countedKinds are the kinds whose changes can change a quota's usage.
var countedKinds = []string{"Pod", "PersistentVolumeClaim", "Service", "ConfigMap", "Secret"}

// onObject queues the namespace's quotas when an object's charge may have
// changed (created, deleted, or a pod that became terminal).
func (c *Controller) onObject(ev store.Event) {
	// Most namespaces have no quota: nothing to charge, and the usage of
	// each pod update is not worth computing (at 30,000 pods it was a
	// tenth of all the bytes allocated). Nor is a namespace listed when
	// there is no quota at all.
	if c.Store.Len("ResourceQuota") == 0 {
		return
	}
	quotas := c.Store.List("ResourceQuota", ev.Object.GetNamespace())
	if len(quotas) == 0 {
		return
	}
	if ev.Type == store.Modified && equality.Semantic.DeepEqual(apiserver.QuotaUsage(ev.Old), apiserver.QuotaUsage(ev.Object)) {
		return
	}
	for _, o := range quotas {
		c.Queue.Add(store.KeyOf(o))
	}
}

// watch starts watching kind, once (upstream's quota monitors: a
// count/<resource> quota gets its resource watched).
func (c *Controller) watch(kind string) {
	if c.watched[kind] {
		return
	}
	c.watched[kind] = true
	c.Watch(kind, c.onObject)
}

func (c *Controller) queueNamespace(ns string) {
	for _, o := range c.Store.List("ResourceQuota", ns) {
		c.Queue.Add(store.KeyOf(o))
	}
}

func (c *Controller) sync(key string) error {
	q, ok := controllerutil.Get[*corev1.ResourceQuota](c.Store, "ResourceQuota", key)
	if !ok {
		return nil
	}
	for _, r := range sortedNames(q.Spec.Hard) {
		if k := apiserver.CountKind(string(r)); k != "" {
			c.watch(k)
		}
	}
	st := corev1.ResourceQuotaStatus{Hard: q.Spec.Hard.DeepCopy(), Used: apiserver.QuotaUsed(c.Store, q)}
	if equality.Semantic.DeepEqual(st, q.Status) {
		return nil
	}
	n := *q
	n.Status = st
	_, err := c.Client.UpdateStatus(&n)
	return err
}

func sortedNames(l corev1.ResourceList) []corev1.ResourceName {
	out := make([]corev1.ResourceName, 0, len(l))
	for k := range l {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
