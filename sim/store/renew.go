package store

import (
	"strconv"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A node's kubelet renews its Lease every 10 seconds, and each renewal
// moves nothing but spec.renewTime (and the resourceVersion): a million
// writes in a 35-minute run of 5,000 nodes. Written as whole Leases,
// each was a 376-byte copy of a Lease cold in memory, a tenth of all the
// bytes the simulation allocated. So the store keeps a renewed Lease as
// a Renewal: the version last written whole (its base), the renewTime
// and the revision; and it makes the Lease whole only for a reader that
// asks for the object (Get, List, a watch that wants the change, the
// log's encoding), with exactly the fields the copy had. The readers of
// every renewal, the node lifecycle controller and the kubelet itself,
// read the renewTime and revision through LeaseRenewal instead.
//
// This is the store's dedicated path for renewals: RenewLease writes
// one without the generic Update (no conflict check by resourceVersion
// string, no index update: a renewal moves no label, owner or name).

// Renewal is one version of a Lease that RenewLease wrote: base with
// spec.renewTime set to renewTime and the resourceVersion to rev. It is
// immutable: the store, the log and every etcd member share it.
//
// The base Lease is embedded only so that a Renewal fits in the slot's
// Object (entry.obj); a Renewal is never handed out as an Object (its
// base's resourceVersion and renewTime are an older version's):
// entry.object makes it whole.
type Renewal struct {
	*coordinationv1.Lease // the base: the Lease last written whole, shared
	renewTime             metav1.MicroTime
	rev                   int64
	// quiet, if not 0, is 1 + the count of the table's watches
	// (table.watches) when no watch wanted this renewal: until a watch is
	// opened or stopped, none wants the next renewal of the same base
	// either, as a filter's answer depends on the event alone, and a
	// renewal of one base offers the filters the same event (see
	// RenewLease). So the filters are asked once per base and set of
	// watches, not on every renewal (each asking read the base's
	// metadata, cold in memory).
	quiet uint64
}

// Whole is the renewed Lease made whole: a shallow copy of the base (its
// maps, lists and pointers shared, as stored objects are immutable) with
// the renewal's resourceVersion and renewTime, the renewTime in the same
// allocation.
func (r *Renewal) Whole() *coordinationv1.Lease {
	box := &wholeLease{Lease: *r.Lease, renewTime: r.renewTime}
	box.ResourceVersion = strconv.FormatInt(r.rev, 10)
	box.Spec.RenewTime = &box.renewTime
	return &box.Lease
}

// wholeLease is a renewed Lease made whole with the renewTime it points
// to.
type wholeLease struct {
	coordinationv1.Lease
	renewTime metav1.MicroTime
}

// Size is the size of the whole Lease's protobuf encoding (the log's
// encoder asks; see Mutation.Renewed).
func (r *Renewal) Size() int { return r.Whole().Size() }

// MarshalToSizedBuffer encodes the whole Lease, exactly as the Lease
// itself encodes (the log's encoder; see Mutation.Renewed).
func (r *Renewal) MarshalToSizedBuffer(b []byte) (int, error) {
	return r.Whole().MarshalToSizedBuffer(b)
}

// LeaseVersion names one version of a Lease as the store holds it (the
// Lease itself, or its Renewal): a holder keeps the version its last
// write stored, and renews only while the store still holds that very
// version; an observer keeps the version it last read, and knows the
// renewTime has not moved while the store holds it. Comparing two
// versions compares identities, like comparing two stored objects: a
// version never equals another write's, nor the same content restored
// from a snapshot. The zero LeaseVersion names none.
type LeaseVersion struct{ v Object }

// VersionOf is the version of l, a whole Lease as the store handed it
// out (the result of a Create or an Update).
func VersionOf(l *coordinationv1.Lease) LeaseVersion { return LeaseVersion{l} }

// LeaseRenewal is what a holder or an observer of a Lease needs of it,
// read through *ref (as Follow reads) without making a renewed Lease
// whole: its version, and its spec.renewTime (nil if it has none;
// shared, not to be written). False if there is no such Lease.
func (s *Store) LeaseRenewal(ref *Ref, namespace, name string) (v LeaseVersion, renewTime *metav1.MicroTime, ok bool) {
	e := ref.e
	if e == nil || !e.live() {
		ref.e = nil
		if e = s.lookup(s.byKind[leaseKind.idx], namespace, name); e == nil {
			return LeaseVersion{}, nil, false
		}
		ref.e = e
	}
	switch o := e.obj.(type) {
	case *Renewal:
		return LeaseVersion{o}, &o.renewTime, true
	case *coordinationv1.Lease:
		return LeaseVersion{o}, o.Spec.RenewTime, true
	}
	return LeaseVersion{}, nil, false
}

// RenewLease writes a new version of the Lease in r's slot (see Ref)
// with spec.renewTime moved to renewTime: what Update of the stored Lease
// with that one change would store, at the next revision. It returns the
// new version and its revision. The log gets the version as its Renewal; the watches that
// want the change get it whole.
//
// A watch with a filter (WatchFiltered) is asked whether it wants the
// change with the event's Object and Old both the base Lease: a filter
// reads the event's type and its objects' metadata, which a renewal does
// not change (but for the resourceVersion), so its answer is the one it
// would give the whole versions; and it is the same for every renewal of
// the base, so it is asked again only once a watch of Leases opened or
// stopped (Renewal.quiet). The whole Leases are made only if some watch
// wants them.
//
// It fails with NotFound when the slot is dead.
func (s *Store) RenewLease(r Ref, renewTime metav1.MicroTime) (LeaseVersion, int64, error) {
	t := s.byKind[leaseKind.idx]
	e := r.e
	if e == nil || !e.live() {
		return LeaseVersion{}, 0, apierrors.NewNotFound(t.kind.GroupResource(), "")
	}
	prev := e.obj
	var base *coordinationv1.Lease
	switch o := prev.(type) {
	case *Renewal:
		base = o.Lease
	case *coordinationv1.Lease:
		base = o
	default:
		return LeaseVersion{}, 0, apierrors.NewNotFound(t.kind.GroupResource(), "")
	}
	s.rev++
	n := &Renewal{Lease: base, renewTime: renewTime, rev: s.rev}
	e.obj, e.rev = n, s.rev
	s.written(t, Mutation{Rev: s.rev, Type: Modified, Kind: t.kind.Kind, Key: e.key, Renewed: n, Slot: e.slot})
	if p, ok := prev.(*Renewal); ok && p.quiet == t.watches+1 {
		n.quiet = p.quiet // the same base (p's) and the same watches
	} else if !s.wantsRenewal(t, base) {
		n.quiet = t.watches + 1
	} else {
		old := prev
		if o, ok := prev.(*Renewal); ok {
			old = o.Whole()
		}
		s.offer(t, Modified, n.Whole(), old, e.slot)
	}
	return LeaseVersion{n}, s.rev, nil
}

// wantsRenewal reports whether any watch of t could want a renewal of
// base (see RenewLease): one with no filter, one selecting by index, or
// one whose filter accepts the change with base as both versions.
func (s *Store) wantsRenewal(t *table, base *coordinationv1.Lease) bool {
	if len(t.watched) > 0 {
		return true
	}
	ev := Event{Type: Modified, Kind: t.kind.Kind, Object: base, Old: base, Rev: s.rev}
	for _, w := range t.watchers {
		if !w.stopped && (w.keep == nil || w.keep(ev)) {
			return true
		}
	}
	return false
}
