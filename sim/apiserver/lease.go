package apiserver

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// LeaseRenewer is a holder's heartbeat on one Lease, for one client: a
// value the holder keeps in its own state, beside what else a renewal
// reads, rather than reached through the Client. 5,000 kubelets renew
// every 10 s, each cold in memory, and the Client was one more cache line
// a renewal.
type LeaseRenewer struct {
	s *Server
	// line is the trace line of every renewal: the same but for the time
	// and the resourceVersion, prepared once (sim.Line) with the fields
	// s.trace would write (a Lease's Summary is empty;
	// TestRenewLeaseIsAnUpdateOfRenewTime compares the lines).
	line            *sim.Line
	namespace, name string
}

// LeaseRenewer returns c's renewer of the Lease namespace/name.
func (c *Client) LeaseRenewer(namespace, name string) LeaseRenewer {
	return LeaseRenewer{s: c.s, line: sim.NewLine(c.component, "update", "Lease", namespace, name, ""), namespace: namespace, name: name}
}

// Renew writes the Lease again with only spec.renewTime moved to
// renewTime, if the holder's last write stored version held. It stores
// what Update of that object would store: defaulting and validation do
// not read renewTime, so their verdict on an object that already passed
// them cannot change and they are not run again (a kubelet renews every
// 10 seconds, and these checks were half of its cost). Everything else is
// an ordinary update: the write gate, a new resourceVersion, the
// watchers, etcd and the trace. The store keeps the new version as a
// renewal of the Lease last written whole (store.RenewLease): no copy of
// the Lease per heartbeat.
//
// It returns the new version, for the next renewal. It reports false,
// writing nothing, when the stored Lease is no longer held (someone else
// wrote it, or it is gone): the holder then writes its whole Lease
// through Update or Create, as before.
//
// ref is the holder's handle on the Lease's slot in the store (see
// store.Ref; the zero Ref to start with): the renewal finds the stored
// Lease, and writes the new one, without looking the name up.
func (r *LeaseRenewer) Renew(ref *store.Ref, held store.LeaseVersion, renewTime metav1.MicroTime) (store.LeaseVersion, bool, error) {
	s := r.s
	cur, _, ok := s.store.LeaseRenewal(ref, r.namespace, r.name)
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
	s.engine.Trace().AddLine(r.line, s.engine.Elapsed(), rev)
	return out, true, nil
}
