package etcd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/kubesim/kubesim/sim/store"
)

// A batch is the mutations of one virtual instant, numbered by seq so
// that a batch applied twice (a retried Apply whose first attempt did
// commit) is recognised and skipped. A raft entry holds one or more
// batches of consecutive instants, one after the other:
//
//	per batch: uvarint seq, uvarint count, then per mutation:
//	byte type, uvarint rev, and for a deletion: string kind, string key,
//	uvarint slot (store.Mutation.Slot)
//
// A write's kind, key and slot are its shared value's (sharedVal): every member
// applies a write from it, and without it fails, so spelling them out in
// the entry too was a copy of every key written (two fifths of the bytes
// etcd allocated on the simulation's goroutine at 1k nodes / 30k pods). A
// deletion carries them, as it needs no object: a member can apply it
// from the entry alone.
//
// The members are in one process, so an entry refers to its objects
// instead of carrying them: the raft log, the three FSMs and every member
// that applies the entry later share the store's immutable objects
// (sharedTable keeps them while a member's log holds the entry). What etcd
// stores of an object is its Kubernetes protobuf encoding (the generated
// marshallers sort map keys, so the bytes are deterministic), but nothing
// reads those bytes while the simulation runs: they are produced only when
// something does (the content hash of Status, a snapshot sent to or
// restored by a member, Objects, Lookup), always while the simulation's
// goroutine waits for raft (see gate). Encoding every write as it was
// replicated was a tenth of the simulation goroutine's CPU and an eighth of
// everything allocated, and the encodings a fifth of the live heap; an
// object the store keeps packed (an Event) comes with its encoding, which
// the store and the FSMs then share.

// protoMarshaler is implemented by every k8s.io/api type.
type protoMarshaler interface {
	Size() int
	MarshalToSizedBuffer([]byte) (int, error)
}

// protoUnmarshaler is implemented by every k8s.io/api type.
type protoUnmarshaler interface {
	Unmarshal([]byte) error
}

// value is what an FSM holds for a key: the store's immutable object
// (a protoMarshaler; for a renewed Lease, the store's *store.Renewal,
// which encodes as the whole Lease), or its encoding (*store.Encoding: a packed Event's,
// the store's own; *encoded: a value restored from a snapshot's bytes). Both are pointers, so a map of
// values costs two words a key and comparing two values compares
// identities.
type value = any

// encoded is an object held as its encoding.
type encoded struct{ b []byte }

// sharedVal is one mutation's object as every member's FSM keeps it: the
// value (nil for a deletion), the store's key string and the object's
// slot.
type sharedVal struct {
	kind, key string
	value     value
	slot      int32
}

// encodeBatch appends the encoding of batch to buf, and each mutation's
// shared value to vals. It runs on the pipeline goroutine, after Append:
// an object that has no protobuf encoding already failed there
// (encodable), when it was written.
func encodeBatch(buf []byte, vals []sharedVal, seq uint64, batch []store.Mutation) ([]byte, []sharedVal, error) {
	vals = slices.Grow(vals, len(batch))
	buf = binary.AppendUvarint(buf, seq)
	buf = binary.AppendUvarint(buf, uint64(len(batch)))
	for _, m := range batch {
		buf = append(buf, byte(m.Type))
		buf = binary.AppendUvarint(buf, uint64(m.Rev))
		if m.Type == store.Deleted {
			buf = appendString(buf, m.Kind)
			buf = appendString(buf, m.Key)
			buf = binary.AppendUvarint(buf, uint64(m.Slot))
		}
		sv := sharedVal{kind: m.Kind, key: m.Key, slot: m.Slot}
		switch {
		case m.Renewed != nil: // a renewed Lease as the store keeps it: it encodes as the whole Lease
			sv.value = m.Renewed
		case m.Type == store.Deleted || (m.Object == nil && m.Encoded == nil):
		case m.Encoded != nil: // the store's own encoding (a packed Event), its Object maybe nil
			sv.value = m.Encoded
		default:
			if _, ok := m.Object.(protoMarshaler); !ok {
				return nil, nil, fmt.Errorf("etcd: %s %s has no protobuf encoding", m.Kind, m.Key)
			}
			sv.value = m.Object
		}
		vals = append(vals, sv)
	}
	return buf, vals, nil
}

// encode appends v's encoding to buf (an *encoded value's bytes are
// copied). It may write to v: a resource.Quantity caches its string form
// when first formatted, so it is called only from the simulation's
// goroutine or while that goroutine waits for raft (see gate).
func encode(buf []byte, v value) ([]byte, error) { return appendEncoding(buf, v, false) }

// appendEncoding is encode, the encoding preceded by its length (a
// uvarint) if sized: a typed object is encoded straight into buf after
// it (see appendMarshaled). On error buf may hold a partial record.
func appendEncoding(buf []byte, v value, sized bool) ([]byte, error) {
	var b []byte
	switch v := v.(type) {
	case *encoded:
		b = v.b
	case *store.Encoding:
		b = v.Bytes
	case *store.Renewal: // made whole once, not once for Size and again to marshal
		return appendEncoding(buf, v.Whole(), sized)
	case protoMarshaler:
		return appendMarshaled(buf, v, sized)
	default:
		return buf, fmt.Errorf("etcd: %T has no protobuf encoding", v)
	}
	if sized {
		buf = binary.AppendUvarint(buf, uint64(len(b)))
	}
	return append(buf, b...), nil
}

// minRoom is the spare capacity of a buffer below which appendMarshaled
// sizes an object before encoding it.
const minRoom = 4 << 10

// appendMarshaled appends m's encoding to buf, preceded by its length if
// sized. A generated marshaller writes an object backwards from the end of
// the buffer it is handed (so it writes each nested message into the end
// of what is left of its parent's buffer) and returns its length: handed
// buf's spare capacity, it encodes m at the end of it, and the encoding is
// then moved to its place, without sizing m first. Size walks the whole
// object, as marshalling does; the walk's cost is mostly cache misses,
// which marshalling now takes, so skipping it saved less than its share
// of the profile suggested (0.25 of the 0.62 CPU-s encoding cost at 5,000
// nodes / 150,000 pods): 0.05 of the 0.75 CPU-s a hash cost at 2,000
// nodes / 60,000 pods. Every marshaller of the store's kinds writes at the end of the
// buffer it is given (TestEncodingWithRoomToSpare). Without room enough
// (an object larger than the spare capacity, or a buffer without any)
// the object is sized first.
func appendMarshaled(buf []byte, m protoMarshaler, sized bool) ([]byte, error) {
	if room := buf[len(buf):cap(buf)]; len(room) >= minRoom {
		if n, ok := marshalAtEnd(m, room); ok && n+binary.MaxVarintLen64 <= len(room) {
			k := 0
			if sized { // at most MaxVarintLen64 bytes: before the encoding
				k = binary.PutUvarint(room, uint64(n))
			}
			copy(room[k:], room[len(room)-n:])
			return buf[:len(buf)+k+n], nil
		}
	}
	n := m.Size()
	if sized {
		buf = binary.AppendUvarint(buf, uint64(n))
	}
	buf = slices.Grow(buf, n)
	if _, err := m.MarshalToSizedBuffer(buf[len(buf) : len(buf)+n]); err != nil {
		return buf, fmt.Errorf("etcd: encode %T: %w", m, err)
	}
	return buf[:len(buf)+n], nil
}

// marshalAtEnd encodes m at the end of room and returns the encoding's
// length; it fails if room is too small. A generated marshaller writing
// past the start of a buffer too small for the object fails with an
// index out of range (it writes at ever lower indices, each checked):
// that panic is the failure; appendMarshaled then sizes the object, and
// a panic of any other cause happens again there.
func marshalAtEnd(m protoMarshaler, room []byte) (n int, ok bool) {
	defer func() {
		if recover() != nil {
			n, ok = 0, false
		}
	}()
	n, err := m.MarshalToSizedBuffer(room)
	return n, err == nil
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// entry is one decoded mutation; kind and key (a deletion's only, with
// its slot) alias the log entry's bytes (no allocation per mutation and
// member).
type entry struct {
	typ  store.EventType
	rev  int64
	kind []byte
	key  []byte
	slot int32
}

var errCorrupt = errors.New("etcd: corrupt batch")

// reader walks an encoded batch or snapshot.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.err = errCorrupt
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

// slot reads an object's slot (store.Mutation.Slot).
func (r *reader) slot() int32 {
	s := r.uvarint()
	if s > math.MaxInt32 {
		r.err = errCorrupt
		return 0
	}
	return int32(s)
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errCorrupt
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// decodeBatch calls fn for every mutation of the first batch in data and
// returns its sequence number and the bytes after it.
func decodeBatch(data []byte, fn func(seq uint64, e entry)) (seq uint64, rest []byte, err error) {
	r := &reader{b: data}
	seq = r.uvarint()
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		var e entry
		e.typ = store.EventType(r.byte())
		e.rev = int64(r.uvarint())
		if e.typ == store.Deleted {
			e.kind = r.bytes()
			e.key = r.bytes()
			e.slot = r.slot()
		}
		if r.err == nil {
			fn(seq, e)
		}
	}
	return seq, r.b, r.err
}

// lastSeq is the sequence number of the last batch of a raft entry.
func lastSeq(data []byte) (uint64, error) {
	var seq uint64
	for len(data) > 0 {
		var err error
		if seq, data, err = decodeBatch(data, func(uint64, entry) {}); err != nil {
			return 0, err
		}
	}
	return seq, nil
}

// decodeObject turns a stored value back into a typed object.
func decodeObject(kind string, value []byte) (store.Object, error) {
	info, ok := store.LookupKind(kind)
	if !ok {
		return nil, fmt.Errorf("etcd: unknown kind %q", kind)
	}
	obj := info.New()
	u, ok := obj.(protoUnmarshaler)
	if !ok {
		return nil, fmt.Errorf("etcd: %s has no protobuf decoding", kind)
	}
	if err := u.Unmarshal(value); err != nil {
		return nil, fmt.Errorf("etcd: decode %s: %w", kind, err)
	}
	return obj, nil
}
