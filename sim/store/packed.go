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

// packedObj is one packed object: its encoding and the nanoseconds of
// its creation, first and last timestamps.
type packedObj struct {
	enc  []byte
	nsec [3]int32
	// indexed: the object has labels or owners, values of the built-in
	// indexes (a deletion needs them; see Store.needless).
	indexed bool
}

// packable reports whether kind is kept packed.
func packable(kind string) bool { return kind == "Event" }

// pack encodes obj if the encoding gives it back exactly.
func pack(obj Object) (packedObj, bool) {
	ev, ok := obj.(*corev1.Event)
	if !ok || !packableEvent(ev) {
		return packedObj{}, false
	}
	enc := make([]byte, ev.Size())
	if _, err := ev.MarshalToSizedBuffer(enc); err != nil {
		return packedObj{}, false
	}
	return packedObj{enc: enc, nsec: [3]int32{
		int32(ev.CreationTimestamp.Nanosecond()),
		int32(ev.FirstTimestamp.Nanosecond()),
		int32(ev.LastTimestamp.Nanosecond()),
	}, indexed: len(ev.Labels) > 0 || len(ev.OwnerReferences) > 0}, true
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

// unpack decodes a packed object.
func unpack(p packedObj) Object {
	ev := &corev1.Event{}
	if err := ev.Unmarshal(p.enc); err != nil {
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
