package apiserver

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// RenewLease is a holder's heartbeat: held, the Lease the holder's last
// write returned, written again with only spec.renewTime moved to
// renewTime. It stores what Update of that object would store: defaulting
// and validation do not read renewTime, so their verdict on an object
// that already passed them cannot change and they are not run again (a
// kubelet renews every 10 seconds, and these checks were half of its
// cost). Everything else is an ordinary update: the write gate, a new
// resourceVersion, the watchers, etcd and the trace.
//
// It reports false, writing nothing, when held is no longer the stored
// Lease (someone else wrote it, or it is gone): the holder then writes its
// whole Lease through Update or Create, as before.
//
// ref is the holder's handle on the Lease's slot in the store (see
// store.Ref; the zero Ref to start with): the renewal finds the stored
// Lease, and writes the new one, without looking the name up.
func (c *Client) RenewLease(ref *store.Ref, held *coordinationv1.Lease, renewTime metav1.MicroTime) (*coordinationv1.Lease, bool, error) {
	s := c.s
	cur, ok := s.store.Follow(ref, "Lease", held.Namespace, held.Name)
	if !ok || cur != held {
		return nil, false, nil
	}
	if err := s.gate(); err != nil {
		return nil, true, err
	}
	// The new Lease and its renewTime are one allocation, not two.
	// Shallow: stored objects are immutable, the new one shares the rest.
	box := &renewedLease{Lease: *held, renewTime: renewTime}
	n := &box.Lease
	n.ResourceVersion = ""
	n.Spec.RenewTime = &box.renewTime
	out, err := s.store.UpdateRef(*ref, n)
	if err != nil {
		return nil, true, err
	}
	// The line of every renewal of this Lease by this client is the same
	// but for the time and the resourceVersion: prepared once (sim.Line),
	// checked against the record s.trace would write.
	summary := Summary(out)
	l := c.renewLine
	if l == nil || !l.Of(c.component, "update", "Lease", out.GetNamespace(), out.GetName(), summary) {
		l = sim.NewLine(c.component, "update", "Lease", out.GetNamespace(), out.GetName(), summary)
		c.renewLine = l
	}
	s.engine.Trace().AddLine(l, s.engine.Elapsed(), s.store.Rev())
	return out.(*coordinationv1.Lease), true, nil
}

// renewedLease holds a renewed Lease with the renewTime it points to.
type renewedLease struct {
	coordinationv1.Lease
	renewTime metav1.MicroTime
}
