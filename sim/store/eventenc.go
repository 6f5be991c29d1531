package store

import (
	"math/bits"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
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

// EventDraft is a simple Event field by field, but for its UID and
// resourceVersion (given as bytes beside it): the API server's recorder
// fills one on its stack and the store encodes it straight into the
// bytes it keeps (CreateEvent), where building a corev1.Event (some 600
// bytes with pointers, written under the collector's write barrier and
// cleared again) cost more than the encoding. FirstTimestamp and the
// others are the corev1.Event fields of the same names.
type EventDraft struct {
	Name, GenerateName, Namespace string
	Generation                    int64
	CreationTimestamp             metav1.Time
	// The involved object.
	Kind, ObjectNamespace, ObjectName, ObjectUID, APIVersion, ObjectResourceVersion, FieldPath string
	Reason, Message                                                                            string
	Component, Host                                                                            string // the source
	FirstTimestamp, LastTimestamp                                                              metav1.Time
	Count                                                                                      int32
	Type, Action, ReportingController, ReportingInstance                                       string
}

// draftOf is the draft of the simple Event ev.
func draftOf(ev *corev1.Event) EventDraft {
	m, r := &ev.ObjectMeta, &ev.InvolvedObject
	return EventDraft{
		Name: m.Name, GenerateName: m.GenerateName, Namespace: m.Namespace, Generation: m.Generation,
		CreationTimestamp: m.CreationTimestamp,
		Kind:              r.Kind, ObjectNamespace: r.Namespace, ObjectName: r.Name, ObjectUID: string(r.UID),
		APIVersion: r.APIVersion, ObjectResourceVersion: r.ResourceVersion, FieldPath: r.FieldPath,
		Reason: ev.Reason, Message: ev.Message, Component: ev.Source.Component, Host: ev.Source.Host,
		FirstTimestamp: ev.FirstTimestamp, LastTimestamp: ev.LastTimestamp, Count: ev.Count,
		Type: ev.Type, Action: ev.Action, ReportingController: ev.ReportingController,
		ReportingInstance: ev.ReportingInstance,
	}
}

// Event is the Event d drafts, with no UID nor resourceVersion.
func (d *EventDraft) Event() *corev1.Event {
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: d.Name, GenerateName: d.GenerateName, Namespace: d.Namespace,
			Generation: d.Generation, CreationTimestamp: d.CreationTimestamp},
		InvolvedObject: corev1.ObjectReference{Kind: d.Kind, Namespace: d.ObjectNamespace, Name: d.ObjectName,
			UID: types.UID(d.ObjectUID), APIVersion: d.APIVersion, ResourceVersion: d.ObjectResourceVersion,
			FieldPath: d.FieldPath},
		Reason: d.Reason, Message: d.Message, Source: corev1.EventSource{Component: d.Component, Host: d.Host},
		FirstTimestamp: d.FirstTimestamp, LastTimestamp: d.LastTimestamp, Count: d.Count, Type: d.Type,
		Action: d.Action, ReportingController: d.ReportingController, ReportingInstance: d.ReportingInstance,
	}
}

// exact reports whether the Event d drafts packs (packableEvent): its
// timestamps are in UTC.
func (d *EventDraft) exact() bool {
	return exactUTC(d.CreationTimestamp) && exactUTC(d.FirstTimestamp) && exactUTC(d.LastTimestamp)
}

// nsec is the nanoseconds of d's three timestamps, which the encoding
// drops (packedObj.nsec).
func (d *EventDraft) nsec() [3]int32 {
	return [3]int32{int32(d.CreationTimestamp.Nanosecond()), int32(d.FirstTimestamp.Nanosecond()),
		int32(d.LastTimestamp.Nanosecond())}
}

// eventSizes is the lengths of a simple Event's nested messages and of
// the whole.
type eventSizes struct{ meta, ref, src, created, first, last, total int }

// sizesOf is the sizes of the Event d drafts with a UID of uid bytes and
// a resourceVersion of rv.
func sizesOf(d *EventDraft, uid, rv int) eventSizes {
	var z eventSizes
	z.created = timeSize(d.CreationTimestamp)
	z.meta = strSize(d.Name) + strSize(d.GenerateName) + strSize(d.Namespace) + 2 /* selfLink, empty */ +
		1 + sov(uint64(uid)) + uid + 1 + sov(uint64(rv)) + rv + 1 + sov(uint64(d.Generation)) + msgSize(z.created)
	z.ref = strSize(d.Kind) + strSize(d.ObjectNamespace) + strSize(d.ObjectName) + strSize(d.ObjectUID) +
		strSize(d.APIVersion) + strSize(d.ObjectResourceVersion) + strSize(d.FieldPath)
	z.src = strSize(d.Component) + strSize(d.Host)
	z.first, z.last = timeSize(d.FirstTimestamp), timeSize(d.LastTimestamp)
	z.total = msgSize(z.meta) + msgSize(z.ref) + strSize(d.Reason) + strSize(d.Message) + msgSize(z.src) +
		msgSize(z.first) + msgSize(z.last) + 1 + sov(uint64(d.Count)) + strSize(d.Type) + msgSize(0) +
		strSize(d.Action) + strSize(d.ReportingController) + strSize(d.ReportingInstance)
	return z
}

// encodeEvent appends the encoding of the Event d drafts, of sizes z, to
// b, with the UID uid and the resourceVersion rv.
func encodeEvent[S ~string | ~[]byte](b []byte, d *EventDraft, uid, rv S, z eventSizes) []byte {
	b = appendTag(b, 0x0a, z.meta)
	b = appendStr(b, 0x0a, d.Name)
	b = appendStr(b, 0x12, d.GenerateName)
	b = appendStr(b, 0x1a, d.Namespace)
	b = append(b, 0x22, 0) // selfLink, empty
	b = appendStr(b, 0x2a, uid)
	b = appendStr(b, 0x32, rv)
	b = appendVarint(append(b, 0x38), uint64(d.Generation))
	b = appendTime(b, 0x42, d.CreationTimestamp, z.created)
	b = appendTag(b, 0x12, z.ref)
	b = appendStr(b, 0x0a, d.Kind)
	b = appendStr(b, 0x12, d.ObjectNamespace)
	b = appendStr(b, 0x1a, d.ObjectName)
	b = appendStr(b, 0x22, d.ObjectUID)
	b = appendStr(b, 0x2a, d.APIVersion)
	b = appendStr(b, 0x32, d.ObjectResourceVersion)
	b = appendStr(b, 0x3a, d.FieldPath)
	b = appendStr(b, 0x1a, d.Reason)
	b = appendStr(b, 0x22, d.Message)
	b = appendTag(b, 0x2a, z.src)
	b = appendStr(b, 0x0a, d.Component)
	b = appendStr(b, 0x12, d.Host)
	b = appendTime(b, 0x32, d.FirstTimestamp, z.first)
	b = appendTime(b, 0x3a, d.LastTimestamp, z.last)
	b = appendVarint(append(b, 0x40), uint64(d.Count))
	b = appendStr(b, 0x4a, d.Type)
	b = append(b, 0x52, 0) // the event time, zero
	b = appendStr(b, 0x62, d.Action)
	b = appendStr(b, 0x72, d.ReportingController)
	return appendStr(b, 0x7a, d.ReportingInstance)
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
