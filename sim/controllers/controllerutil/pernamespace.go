package controllerutil

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// PerNamespaceObject is the object a PerNamespace controller keeps in
// every active namespace: its kind and name, how a new one looks and,
// where the controller also keeps its content, how a changed one is put
// right.
type PerNamespaceObject[T store.Object] struct {
	Kind, Name string
	// New returns the object as it should be, without namespace and name.
	New func() T
	// Fix, when set, puts a copy of the existing object right and reports
	// whether it changed anything (then the copy is written back). Without
	// Fix only the object's existence is kept: it is recreated when
	// deleted, never corrected.
	Fix func(T) bool
}

// PerNamespace is a controller that keeps one object in every active
// namespace, created when the namespace appears and recreated when it is
// deleted: the service account controller's default ServiceAccount and
// the root CA publisher's kube-root-ca.crt ConfigMap. Its queue holds
// namespace names (ReconcilesNamespaces).
type PerNamespace[T store.Object] struct {
	Base
	obj PerNamespaceObject[T]
}

// NewPerNamespace returns the controller called component keeping obj,
// writing through client.
func NewPerNamespace[T store.Object](engine *sim.Engine, client *apiserver.Client, component string, cfg Config, obj PerNamespaceObject[T]) *PerNamespace[T] {
	c := &PerNamespace[T]{obj: obj}
	c.Base = NewBase(engine, client, component, cfg, c.sync)
	c.ReconcilesNamespaces()
	c.Handles(obj.Kind, func(ev store.Event) {
		// Without Fix only a deletion can make the namespace wrong.
		if ev.Object.GetName() == obj.Name && (obj.Fix != nil || ev.Type == store.Deleted) {
			c.Queue.Add(ev.Object.GetNamespace())
		}
	})
	return c
}

func (c *PerNamespace[T]) sync(ns string) error {
	if !ActiveNamespace(c.Store, ns) {
		return nil
	}
	cur, ok := c.Store.Get(c.obj.Kind, ns, c.obj.Name)
	var err error
	switch {
	case !ok:
		o := c.obj.New()
		o.SetNamespace(ns)
		o.SetName(c.obj.Name)
		_, err = c.Client.Create(o)
	case c.obj.Fix != nil:
		if up := cur.DeepCopyObject().(T); c.obj.Fix(up) {
			_, err = c.Client.Update(up)
		}
	}
	// Someone else created it, the namespace went or began terminating
	// (creation is forbidden there), or a newer version raced this write:
	// the watches queue the namespace again if anything is still wrong.
	if apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
