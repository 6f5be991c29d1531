package runner

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// ownerGrace is how long a dependent may outlive its owner: the garbage
// collector needs a watch delivery and a work-queue pass to notice.
const ownerGrace = 5 * time.Second

// invariants are the properties that hold after every event of every
// run; tests turn them on (they cost a scan of the cluster per event).
type invariants struct {
	c      *cluster.Cluster
	err    error
	lastRV int64
	gone   map[string]time.Duration // owner UID -> when it disappeared
}

var writeVerbs = map[string]bool{"create": true, "update": true, "status": true, "bind": true, "delete": true, "remove": true, "event": true, "scale": true}

func newInvariants(c *cluster.Cluster) *invariants {
	inv := &invariants{c: c, gone: map[string]time.Duration{}}
	c.Engine.Trace().Subscribe(func(r *sim.Record) {
		if inv.err != nil || !writeVerbs[r.Verb] {
			return
		}
		if r.RV <= inv.lastRV {
			inv.fail("resourceVersion went from %d to %d (%s %s %s)", inv.lastRV, r.RV, r.Verb, r.Kind, r.Name)
		}
		inv.lastRV = r.RV
	})
	for _, kind := range store.Kinds() {
		c.Store.Watch(kind, 0, func(ev store.Event) {
			switch ev.Type {
			case store.Added:
				// An etcd snapshot restore brings objects back with
				// their old UIDs.
				delete(inv.gone, string(ev.Object.GetUID()))
			case store.Deleted:
				inv.gone[string(ev.Object.GetUID())] = c.Engine.Elapsed()
			case store.Modified:
				if p, ok := ev.Object.(*corev1.Pod); ok {
					old := ev.Old.(*corev1.Pod)
					if old.Spec.NodeName != "" && p.Spec.NodeName != old.Spec.NodeName {
						inv.fail("pod %s/%s moved from node %s to %s", p.Namespace, p.Name, old.Spec.NodeName, p.Spec.NodeName)
					}
				}
			}
		})
	}
	return inv
}

func (inv *invariants) fail(format string, args ...any) {
	if inv.err == nil {
		inv.err = fmt.Errorf("invariant violated at %s: %s", inv.c.Engine.Elapsed(), fmt.Sprintf(format, args...))
	}
}

// check verifies the state-based invariants after one event.
func (inv *invariants) check() error {
	if inv.err != nil {
		return inv.err
	}
	c := inv.c
	for _, n := range c.Nodes() {
		o, ok := c.Store.Get("Node", "", n.Name)
		if !ok {
			continue
		}
		alloc := podutil.NodeAllocatable(o.(*corev1.Node))
		if req := NodeRequests(c, n.Name); !req.Fits(alloc) {
			inv.fail("node %s overcommitted: requests %+v > allocatable %+v", n.Name, req, alloc)
			return inv.err
		}
	}
	now := c.Engine.Elapsed()
	for _, kind := range store.Kinds() {
		for _, o := range c.Store.List(kind, "") {
			for _, ref := range o.GetOwnerReferences() {
				when, gone := inv.gone[string(ref.UID)]
				if gone && o.GetDeletionTimestamp() == nil && now-when > ownerGrace {
					inv.fail("%s %s/%s still owned by %s %s, deleted at %s", kind, o.GetNamespace(), o.GetName(), ref.Kind, ref.Name, when)
					return inv.err
				}
			}
		}
	}
	return nil
}
