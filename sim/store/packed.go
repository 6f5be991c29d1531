package store

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Events are kept packed: as their protobuf encoding, decoded on every
// read. kube-apiserver keeps no watch cache of Events (they are read from
// etcd), and they are most of a large cluster's objects (five or six per
// pod) while almost nothing reads them back: at 150,000 pods the decoded
// Events were a third of the simulation's live heap. The encoding is the
// one etcd stores, handed to the replicated log with the mutation
// (Mutation.Encoded), so the store and every etcd member share one copy.
//
// The encoding holds metav1.Time to the second (as upstream's protobuf
// does); what this store hands back must be exactly what was written, so
// the sub-second parts of the three timestamps an Event carries are kept
// beside it. An Event the encoding would not give back exactly (type
// meta set, a deletion timestamp, managed fields, a series or event time,
// empty but non-nil maps or lists, timestamps outside UTC) is kept as it
// is.

// Encoding is the encoding of an object the store keeps packed, as it
// hands it to the log (Mutation.Encoded): immutable, so the store and
// every etcd member hold the same one, and a pointer, so a member holds it
// in an interface without allocating (it allocated a header of its own
// for every Event written before).
type Encoding struct {
	Bytes []byte
}

// packedObj is one packed object: its encoding and the nanoseconds of
// its creation, first and last timestamps.
type packedObj struct {
	enc  *Encoding
	nsec [3]int32
	// indexed: the object has labels or owners, values of the built-in
	// indexes (a deletion needs them; see Store.needless).
	indexed bool
}

// packable reports whether kind is kept packed.
func packable(kind string) bool { return kind == "Event" }

// pack encodes obj if the encoding gives it back exactly, in room cut
// from slab (see encSlab).
func pack(obj Object, slab *encSlab) (packedObj, bool) {
	ev, ok := obj.(*corev1.Event)
	if !ok || !packableEvent(ev) {
		return packedObj{}, false
	}
	var enc *Encoding
	if simpleEvent(ev) {
		d := draftOf(ev)
		z := sizesOf(&d, len(ev.UID), len(ev.ResourceVersion))
		enc = slab.alloc(z.total)
		enc.Bytes = encodeEvent(enc.Bytes[:0], &d, string(ev.UID), ev.ResourceVersion, z)
	} else {
		enc = slab.alloc(ev.Size())
		if _, err := ev.MarshalToSizedBuffer(enc.Bytes); err != nil {
			return packedObj{}, false // enc is wasted room in the slab: never read
		}
	}
	return packed(ev, enc), true
}

// packed is the packedObj of ev encoded in enc.
func packed(ev *corev1.Event, enc *Encoding) packedObj {
	return packedObj{enc: enc, nsec: [3]int32{
		int32(ev.CreationTimestamp.Nanosecond()),
		int32(ev.FirstTimestamp.Nanosecond()),
		int32(ev.LastTimestamp.Nanosecond()),
	}, indexed: len(ev.Labels) > 0 || len(ev.OwnerReferences) > 0}
}

// packableEvent reports whether ev survives encoding and decoding
// unchanged, given its timestamps' nanoseconds.
func packableEvent(ev *corev1.Event) bool {
	m := &ev.ObjectMeta
	return ev.TypeMeta == (metav1.TypeMeta{}) && m.DeletionTimestamp == nil && m.ManagedFields == nil &&
		(m.Labels == nil || len(m.Labels) > 0) && (m.Annotations == nil || len(m.Annotations) > 0) &&
		(m.OwnerReferences == nil || len(m.OwnerReferences) > 0) && (m.Finalizers == nil || len(m.Finalizers) > 0) &&
		ev.Series == nil && ev.EventTime.IsZero() && exactUTC(m.CreationTimestamp) &&
		exactUTC(ev.FirstTimestamp) && exactUTC(ev.LastTimestamp)
}

// exactUTC: t is zero or in UTC (virtual time is; a monotonic clock
// reading, which decoding would drop, comes only from the wall clock).
func exactUTC(t metav1.Time) bool {
	return t.IsZero() || t.Location() == time.UTC
}

// encSlab hands out the Encodings of packed objects and the room for
// their bytes, cut from slabs: an Event's encoding is a few hundred
// bytes, and there are five or six of them per pod, all kept to the end
// of a run (their TTL is an hour). Allocated one by one, the bytes and
// the log's header for them were two of the five objects the simulation
// allocated for an Event and kept, each a malloc and an object for the
// collector to find and sweep; cut from slabs they are an append each,
// the bytes of ~90 Events one object without pointers, and the headers
// of encHeaders one more. A slab stays alive while anything cut from it
// does (the store's or an etcd member's): Events are written and expire
// in time order, so a slab's Events go at about the same time, and what
// an update or deletion leaves unused in a live slab is bounded by the
// Events in it. What is handed out is not written again: each encoding's
// bytes are cut with their capacity at their end, so an append to them
// copies rather than writing into the next one's.
type encSlab struct {
	free []byte     // the current slab's room not yet handed out
	hdrs []Encoding // the current slab of headers not yet handed out
}

// encHeaders is the number of Encodings in a slab of them (3 KiB).
const encHeaders = 128

// encSlabBytes is the size of a slab: the largest size class of Go's small
// objects, so that a slab does not need a span of its own.
const encSlabBytes = 32 << 10

// alloc returns an Encoding with n bytes of room (an encoding too large
// to share a slab well gets a slice of its own).
func (s *encSlab) alloc(n int) *Encoding {
	if len(s.hdrs) == 0 {
		s.hdrs = make([]Encoding, encHeaders)
	}
	e := &s.hdrs[0]
	s.hdrs = s.hdrs[1:]
	if n > encSlabBytes/8 {
		e.Bytes = make([]byte, n)
		return e
	}
	if len(s.free) < n {
		s.free = make([]byte, encSlabBytes)
	}
	e.Bytes = s.free[:n:n]
	s.free = s.free[n:]
	return e
}

// unpack decodes a packed object.
func unpack(p packedObj) Object {
	ev := &corev1.Event{}
	if err := ev.Unmarshal(p.enc.Bytes); err != nil {
		// Only pack made these bytes.
		panic(fmt.Sprintf("store: decode a packed Event: %v", err))
	}
	exact(&ev.CreationTimestamp, p.nsec[0])
	exact(&ev.FirstTimestamp, p.nsec[1])
	exact(&ev.LastTimestamp, p.nsec[2])
	return ev
}

// exact gives a decoded timestamp back its nanoseconds, in UTC.
func exact(t *metav1.Time, nsec int32) {
	if !t.IsZero() {
		t.Time = time.Unix(t.Unix(), int64(nsec)).UTC()
	}
}
