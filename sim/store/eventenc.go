package store

import (
	"math/bits"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// An Event as the API server writes it (a name, namespace, UID,
// resourceVersion and creation time; no labels, owners or other lists)
// is encoded here in one forward pass over sizes summed from its string
// lengths: gogo's generated code walks the object twice (Size, then
// MarshalToSizedBuffer backwards through every nested message and
// timestamp), and at five Events a pod that was a quarter of writing one.
// The bytes are exactly gogo's (fields in number order, every string and
// scalar field written even when empty, a zero timestamp as an empty
// message); any other Event is left to gogo (see simpleEvent).

// simpleEvent reports whether encodeEvent encodes ev: its metadata has
// none of the lists and maps nor a selfLink, and it has no related object.
func simpleEvent(ev *corev1.Event) bool {
	m := &ev.ObjectMeta
	return m.SelfLink == "" && //nolint:staticcheck // SA1019: a legacy selfLink, if set, is left to gogo
		len(m.Labels) == 0 && len(m.Annotations) == 0 && len(m.OwnerReferences) == 0 &&
		len(m.Finalizers) == 0 && len(m.ManagedFields) == 0 && m.DeletionTimestamp == nil &&
		m.DeletionGracePeriodSeconds == nil && ev.Related == nil && ev.Series == nil && ev.EventTime.IsZero()
}

// sov is the length of the varint of x.
func sov(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// strSize is the length of a string field: its tag, length and bytes.
func strSize(s string) int { return 1 + sov(uint64(len(s))) + len(s) }

// msgSize is the length of a message field of n bytes.
func msgSize(n int) int { return 1 + sov(uint64(n)) + n }

// timeSize is the length of a metav1.Time's message: a Timestamp of its
// seconds and zero nanoseconds (upstream drops them), nothing if zero.
func timeSize(t metav1.Time) int {
	if t.IsZero() {
		return 0
	}
	return 1 + sov(uint64(t.Unix())) + 2
}

// eventSizes is the lengths of a simple Event's nested messages and of
// the whole.
type eventSizes struct{ meta, ref, src, created, first, last, total int }

// sizesOf is the sizes of the simple Event ev with a UID of uid bytes and
// a resourceVersion of rv (its own, or those CreateEvent writes).
func sizesOf(ev *corev1.Event, uid, rv int) eventSizes {
	var z eventSizes
	m, r := &ev.ObjectMeta, &ev.InvolvedObject
	z.created = timeSize(m.CreationTimestamp)
	z.meta = strSize(m.Name) + strSize(m.GenerateName) + strSize(m.Namespace) + 2 /* selfLink, empty */ +
		1 + sov(uint64(uid)) + uid + 1 + sov(uint64(rv)) + rv + 1 + sov(uint64(m.Generation)) + msgSize(z.created)
	z.ref = strSize(r.Kind) + strSize(r.Namespace) + strSize(r.Name) + strSize(string(r.UID)) +
		strSize(r.APIVersion) + strSize(r.ResourceVersion) + strSize(r.FieldPath)
	z.src = strSize(ev.Source.Component) + strSize(ev.Source.Host)
	z.first, z.last = timeSize(ev.FirstTimestamp), timeSize(ev.LastTimestamp)
	z.total = msgSize(z.meta) + msgSize(z.ref) + strSize(ev.Reason) + strSize(ev.Message) + msgSize(z.src) +
		msgSize(z.first) + msgSize(z.last) + 1 + sov(uint64(ev.Count)) + strSize(ev.Type) + msgSize(0) +
		strSize(ev.Action) + strSize(ev.ReportingController) + strSize(ev.ReportingInstance)
	return z
}

// encodeEvent appends the encoding of the simple Event ev, of sizes z,
// to b, with the UID uid and the resourceVersion rv (ev's own, or the
// bytes CreateEvent writes in their place).
func encodeEvent[S ~string | ~[]byte](b []byte, ev *corev1.Event, uid, rv S, z eventSizes) []byte {
	m, r := &ev.ObjectMeta, &ev.InvolvedObject
	b = appendTag(b, 0x0a, z.meta)
	b = appendStr(b, 0x0a, m.Name)
	b = appendStr(b, 0x12, m.GenerateName)
	b = appendStr(b, 0x1a, m.Namespace)
	b = append(b, 0x22, 0) // selfLink, empty
	b = appendStr(b, 0x2a, uid)
	b = appendStr(b, 0x32, rv)
	b = appendVarint(append(b, 0x38), uint64(m.Generation))
	b = appendTime(b, 0x42, m.CreationTimestamp, z.created)
	b = appendTag(b, 0x12, z.ref)
	b = appendStr(b, 0x0a, r.Kind)
	b = appendStr(b, 0x12, r.Namespace)
	b = appendStr(b, 0x1a, r.Name)
	b = appendStr(b, 0x22, string(r.UID))
	b = appendStr(b, 0x2a, r.APIVersion)
	b = appendStr(b, 0x32, r.ResourceVersion)
	b = appendStr(b, 0x3a, r.FieldPath)
	b = appendStr(b, 0x1a, ev.Reason)
	b = appendStr(b, 0x22, ev.Message)
	b = appendTag(b, 0x2a, z.src)
	b = appendStr(b, 0x0a, ev.Source.Component)
	b = appendStr(b, 0x12, ev.Source.Host)
	b = appendTime(b, 0x32, ev.FirstTimestamp, z.first)
	b = appendTime(b, 0x3a, ev.LastTimestamp, z.last)
	b = appendVarint(append(b, 0x40), uint64(ev.Count))
	b = appendStr(b, 0x4a, ev.Type)
	b = append(b, 0x52, 0) // the event time, zero
	b = appendStr(b, 0x62, ev.Action)
	b = appendStr(b, 0x72, ev.ReportingController)
	return appendStr(b, 0x7a, ev.ReportingInstance)
}

// appendTag appends a field's tag and length n.
func appendTag(b []byte, tag byte, n int) []byte { return appendVarint(append(b, tag), uint64(n)) }

// appendStr appends a string field.
func appendStr[S ~string | ~[]byte](b []byte, tag byte, s S) []byte {
	if len(s) < 0x80 {
		return append(append(b, tag, byte(len(s))), s...)
	}
	return append(appendTag(b, tag, len(s)), s...)
}

// appendTime appends a metav1.Time field whose message is n bytes.
func appendTime(b []byte, tag byte, t metav1.Time, n int) []byte {
	b = appendTag(b, tag, n)
	if n == 0 {
		return b
	}
	return append(appendVarint(append(b, 0x08), uint64(t.Unix())), 0x10, 0)
}

// appendVarint appends x as a protobuf varint.
func appendVarint(b []byte, x uint64) []byte {
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	return append(b, byte(x))
}
