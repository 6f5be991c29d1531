package gc

import (
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// sync handles one object: an owner being deleted with a GC finalizer, or
// a dependent whose owners may be gone (upstream's attemptToDeleteItem and
// attemptToOrphan workers).
func (c *Controller) sync(k string) error {
	kind, ns, name := parseKey(k)
	obj, ok := c.Store.Get(kind, ns, name)
	if !ok {
		return nil
	}
	if obj.GetDeletionTimestamp() != nil {
		switch {
		case hasFinalizer(obj, metav1.FinalizerOrphanDependents):
			return c.orphanDependents(kind, obj)
		case hasFinalizer(obj, metav1.FinalizerDeleteDependents):
			return c.processDeletingDependents(kind, obj)
		}
		return nil
	}
	return c.attemptToDelete(kind, obj)
}

// attemptToDelete deletes obj when none of its owners is solid, drops the
// references to gone or deleting owners when some owner is solid.
func (c *Controller) attemptToDelete(kind string, obj store.Object) error {
	refs := obj.GetOwnerReferences()
	if len(refs) == 0 {
		return nil
	}
	var solid, stale []types.UID
	waiting := false
	for _, r := range refs {
		switch c.ownerState(obj.GetNamespace(), r) {
		case ownerSolid:
			solid = append(solid, r.UID)
		case ownerWaiting:
			waiting = true
			stale = append(stale, r.UID)
		default:
			stale = append(stale, r.UID)
		}
	}
	switch {
	case len(solid) > 0:
		if len(stale) == 0 {
			return nil
		}
		return c.removeOwnerRefs(obj, stale)
	case waiting && len(c.dependents(obj)) > 0:
		// Delete in the foreground so the waiting owner is only released
		// once this object's own dependents are gone.
		return c.delete(kind, obj, metav1.DeletePropagationForeground)
	}
	policy := metav1.DeletePropagationBackground
	switch {
	case hasFinalizer(obj, metav1.FinalizerOrphanDependents):
		policy = metav1.DeletePropagationOrphan
	case hasFinalizer(obj, metav1.FinalizerDeleteDependents):
		policy = metav1.DeletePropagationForeground
	}
	return c.delete(kind, obj, policy)
}

func (c *Controller) delete(kind string, obj store.Object, policy metav1.DeletionPropagation) error {
	err := c.Client.Delete(kind, obj.GetNamespace(), obj.GetName(), apiserver.DeleteOptions{Propagation: policy})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// processDeletingDependents removes the foregroundDeletion finalizer once
// no dependent blocks the owner any more; until then it makes sure every
// dependent is on its way out.
func (c *Controller) processDeletingDependents(kind string, owner store.Object) error {
	deps := c.dependents(owner)
	blocking := 0
	for _, d := range deps {
		if blocks(d.obj, owner.GetUID()) {
			blocking++
		}
		if d.obj.GetDeletionTimestamp() == nil {
			c.Queue.Add(kindKey(d))
		}
	}
	if blocking > 0 {
		return nil
	}
	return c.removeFinalizer(owner, metav1.FinalizerDeleteDependents)
}

func kindKey(d dependent) string { return key(d.kind, d.obj) }

// orphanDependents removes the owner's reference from each dependent,
// then the orphan finalizer from the owner.
func (c *Controller) orphanDependents(kind string, owner store.Object) error {
	for _, d := range c.dependents(owner) {
		if err := c.removeOwnerRefs(d.obj, []types.UID{owner.GetUID()}); err != nil {
			return err
		}
	}
	return c.removeFinalizer(owner, metav1.FinalizerOrphanDependents)
}

func (c *Controller) removeOwnerRefs(obj store.Object, uids []types.UID) error {
	return c.update(obj, func(cp store.Object) {
		refs := slices.DeleteFunc(cp.GetOwnerReferences(), func(r metav1.OwnerReference) bool {
			return slices.Contains(uids, r.UID)
		})
		cp.SetOwnerReferences(nilIfEmpty(refs))
	})
}

// removeFinalizer drops one finalizer; the API server removes the object
// when it was the last.
func (c *Controller) removeFinalizer(obj store.Object, f string) error {
	return c.update(obj, func(cp store.Object) {
		cp.SetFinalizers(nilIfEmpty(slices.DeleteFunc(cp.GetFinalizers(), func(x string) bool { return x == f })))
	})
}

// update writes a copy of obj changed by edit; an object gone meanwhile
// is no error.
func (c *Controller) update(obj store.Object, edit func(cp store.Object)) error {
	cp := obj.DeepCopyObject().(store.Object)
	edit(cp)
	_, err := c.Client.Update(cp)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}
