// Package gc models kube-controller-manager's garbage collector
// (pkg/controller/garbagecollector): objects whose owners (by
// ownerReference UID) are all gone are deleted — in the background by
// default, in the foreground or orphaning their own dependents when they
// carry those finalizers; owners deleted in the foreground keep the
// foregroundDeletion finalizer until their blocking dependents are gone;
// owners deleted with the orphan finalizer release their dependents first.
//
// Upstream keeps a graph of every object; here the store's owner index
// answers "who depends on UID x" directly, so no event ever scans all
// objects.
package gc

import (
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Config tunes the collector: the informer delay and queue timing every
// controller has, and the kinds it watches.
type Config struct {
	controllerutil.Config
	// Kinds are the kinds watched as owners and dependents (default: every
	// registered kind except Event).
	Kinds []string
}

// Controller is the garbage collector.
type Controller struct {
	controllerutil.Base
	kinds []string
}

// New returns a garbage collector writing through client (upstream
// "generic-garbage-collector").
func New(engine *sim.Engine, client *apiserver.Client, cfg Config) *Controller {
	c := &Controller{kinds: cfg.Kinds}
	if len(c.kinds) == 0 {
		for _, k := range store.Kinds() {
			if k != "Event" {
				c.kinds = append(c.kinds, k)
			}
		}
	}
	c.Base = controllerutil.NewBase(engine, client, "garbage-collector", cfg.WithDefaultQueue(), c.sync)
	for _, k := range c.kinds {
		c.HandlesFiltered(k, relevant, c.onEvent)
	}
	// The informers' initial list, once: objects already waiting for the
	// collector, or already missing an owner.
	c.OnStart(func() {
		for _, k := range c.kinds {
			for _, o := range c.Store.List(k, "") {
				c.onEvent(store.Event{Type: store.Added, Kind: k, Object: o})
			}
		}
	})
	return c
}

// key is "Kind/namespace/name" or "Kind/name".
func key(kind string, o metav1.Object) string {
	return kind + "/" + store.KeyOf(o)
}

func parseKey(k string) (kind, ns, name string) {
	i := strings.IndexByte(k, '/')
	kind, rest := k[:i], k[i+1:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return kind, rest[:j], rest[j+1:]
	}
	return kind, "", rest
}

// onEvent is the graph builder's job, reduced to what can change a
// decision: a removed object may orphan dependents or unblock an owner;
// an object with new owner references may have a missing owner; an
// object being deleted with a GC finalizer needs its dependents handled.
func (c *Controller) onEvent(ev store.Event) {
	obj := ev.Object
	if ev.Type == store.Deleted {
		c.enqueueDependents(obj.GetUID())
		c.enqueueDeletingOwners(obj)
		return
	}
	if deletingWithGCFinalizer(obj) {
		c.Queue.Add(key(ev.Kind, obj))
		if hasFinalizer(obj, metav1.FinalizerDeleteDependents) {
			c.enqueueDependents(obj.GetUID())
		}
	}
	if !ownersChanged(ev) {
		return
	}
	refs := obj.GetOwnerReferences()
	for _, r := range refs {
		if c.ownerState(obj.GetNamespace(), r) != ownerSolid {
			c.Queue.Add(key(ev.Kind, obj))
			return
		}
	}
}

// relevant reports whether onEvent acts on ev, from the event alone: the
// watches refuse the rest as the change happens (upstream's graph builder
// receives every update - a node's lease renewal every 10 s - and drops
// those whose owner references did not change; here they are not
// delivered at all).
func relevant(ev store.Event) bool {
	return ev.Type == store.Deleted || deletingWithGCFinalizer(ev.Object) || ownersChanged(ev)
}

// deletingWithGCFinalizer: obj is being deleted in the foreground or
// orphaning its dependents, which the collector must handle.
func deletingWithGCFinalizer(obj store.Object) bool {
	return obj.GetDeletionTimestamp() != nil &&
		(hasFinalizer(obj, metav1.FinalizerDeleteDependents) || hasFinalizer(obj, metav1.FinalizerOrphanDependents))
}

// ownersChanged: ev brings an object with owner references it did not
// have before (a new object, or other owner UIDs).
func ownersChanged(ev store.Event) bool {
	refs := ev.Object.GetOwnerReferences()
	if len(refs) == 0 {
		return false
	}
	if ev.Old == nil {
		return true
	}
	old := ev.Old.GetOwnerReferences()
	if len(old) == len(refs) && &old[0] == &refs[0] {
		// The same array (a shallow copy's: every lease renewal), so
		// the same owners, found without reading them.
		return false
	}
	return !slices.EqualFunc(old, refs, func(a, b metav1.OwnerReference) bool {
		return a.UID == b.UID
	})
}

// enqueueDependents queues every object that lists uid as an owner.
func (c *Controller) enqueueDependents(uid types.UID) {
	for _, k := range c.kinds {
		if c.Store.CountIndex(k, store.OwnerIndex, string(uid)) == 0 {
			continue
		}
		for _, d := range c.Store.ByIndex(k, store.OwnerIndex, string(uid)) {
			c.Queue.Add(key(k, d))
		}
	}
}

// enqueueDeletingOwners re-checks owners waiting in foreground deletion
// when one of their dependents is removed.
func (c *Controller) enqueueDeletingOwners(obj store.Object) {
	for _, r := range obj.GetOwnerReferences() {
		if o := c.owner(obj.GetNamespace(), r); o != nil && o.GetDeletionTimestamp() != nil && hasFinalizer(o, metav1.FinalizerDeleteDependents) {
			c.Queue.Add(key(r.Kind, o))
		}
	}
}

func hasFinalizer(o metav1.Object, f string) bool {
	return slices.Contains(o.GetFinalizers(), f)
}

type ownerStatus int

const (
	ownerSolid    ownerStatus = iota
	ownerDangling             // gone, or replaced by an object with another UID
	ownerWaiting              // being deleted in the foreground
)

// owner returns the object a reference points to, if it exists with the
// same UID. Namespaced dependents can only have owners in their
// namespace or cluster-scoped owners.
func (c *Controller) owner(ns string, r metav1.OwnerReference) store.Object {
	info, ok := store.LookupKind(r.Kind)
	if !ok {
		return nil
	}
	if !info.Namespaced {
		ns = ""
	}
	o, ok := c.Store.Get(r.Kind, ns, r.Name)
	if !ok || o.GetUID() != r.UID {
		return nil
	}
	return o
}

func (c *Controller) ownerState(ns string, r metav1.OwnerReference) ownerStatus {
	o := c.owner(ns, r)
	switch {
	case o == nil:
		return ownerDangling
	case o.GetDeletionTimestamp() != nil && hasFinalizer(o, metav1.FinalizerDeleteDependents):
		return ownerWaiting
	}
	return ownerSolid
}

// dependents returns, per kind in configuration order, the objects that
// list owner as an owner (in its namespace when it is namespaced).
func (c *Controller) dependents(owner store.Object) []dependent {
	uid := string(owner.GetUID())
	var out []dependent
	for _, k := range c.kinds {
		if c.Store.CountIndex(k, store.OwnerIndex, uid) == 0 {
			continue
		}
		for _, d := range c.Store.ByIndex(k, store.OwnerIndex, uid) {
			if owner.GetNamespace() != "" && d.GetNamespace() != owner.GetNamespace() {
				continue
			}
			out = append(out, dependent{kind: k, obj: d})
		}
	}
	return out
}

type dependent struct {
	kind string
	obj  store.Object
}

// blocks reports whether dep's reference to owner has blockOwnerDeletion.
func blocks(dep store.Object, owner types.UID) bool {
	for _, r := range dep.GetOwnerReferences() {
		if r.UID == owner {
			return r.BlockOwnerDeletion != nil && *r.BlockOwnerDeletion
		}
	}
	return false
}
