package apiserver

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// RenewLease is a holder's heartbeat: the Lease namespace/name, of which
// the holder's last write stored version held, written again with only
// spec.renewTime moved to renewTime. It stores what Update of that object
// would store: defaulting and validation do not read renewTime, so their
// verdict on an object that already passed them cannot change and they
// are not run again (a kubelet renews every 10 seconds, and these checks
// were half of its cost). Everything else is an ordinary update: the
// write gate, a new resourceVersion, the watchers, etcd and the trace.
// The store keeps the new version as a renewal of the Lease last written
// whole (store.RenewLease): no copy of the Lease per heartbeat.
//
// It returns the new version, for the next renewal. It reports false,
// writing nothing, when the stored Lease is no longer held
// (someone else wrote it, or it is gone): the holder then writes its
// whole Lease through Update or Create, as before.
//
// ref is the holder's handle on the Lease's slot in the store (see
// store.Ref; the zero Ref to start with): the renewal finds the stored
// Lease, and writes the new one, without looking the name up.
func (c *Client) RenewLease(ref *store.Ref, held store.LeaseVersion, namespace, name string, renewTime metav1.MicroTime) (store.LeaseVersion, bool, error) {
	s := c.s
	cur, _, ok := s.store.LeaseRenewal(ref, namespace, name)
	if !ok || cur != held {
		return store.LeaseVersion{}, false, nil
	}
	if err := s.gate(); err != nil {
		return store.LeaseVersion{}, true, err
	}
	out, rev, err := s.store.RenewLease(*ref, renewTime)
	if err != nil {
		return store.LeaseVersion{}, true, err
	}
	// The line of every renewal of this Lease by this client is the same
	// but for the time and the resourceVersion: prepared once (sim.Line)
	// with the fields s.trace would write. A Lease's Summary is empty
	// (TestRenewLeaseIsAnUpdateOfRenewTime compares the lines).
	l := c.renewLine
	if l == nil || c.renewNS != namespace || c.renewName != name {
		l = sim.NewLine(c.component, "update", "Lease", namespace, name, "")
		c.renewLine, c.renewNS, c.renewName = l, namespace, name
	}
	s.engine.Trace().AddLine(l, s.engine.Elapsed(), rev)
	return out, true, nil
}
