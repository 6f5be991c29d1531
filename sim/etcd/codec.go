package etcd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/kubesim/kubesim/sim/store"
)

// A batch is the mutations of one virtual instant, numbered by seq so
// that a batch applied twice (a retried Apply whose first attempt did
// commit) is recognised and skipped. A raft entry holds one or more
// batches of consecutive instants, one after the other:
//
//	per batch: uvarint seq, uvarint count, then per mutation:
//	byte type, uvarint rev, string kind, string key, uvarint size
//
// Objects are encoded as Kubernetes protobuf (what etcd stores for the
// built-in kinds); the generated marshallers sort map keys, so the bytes
// of an object are deterministic. Each object is encoded once, into an
// allocation of its own that the raft entry refers to instead of holding
// a copy (size is its length): the members are in one process, and the
// raft log, the three FSMs and every member that applies the entry later
// share those immutable bytes (sharedTable keeps them while a member's
// log holds the entry). An object the store keeps packed comes with its
// encoding, which the store, the log and the FSMs then all share. Copying every encoding into the entry doubled
// what etcd allocated (a quarter of the whole simulation's allocation).

// protoMarshaler is implemented by every k8s.io/api type.
type protoMarshaler interface {
	Size() int
	MarshalToSizedBuffer([]byte) (int, error)
}

// protoUnmarshaler is implemented by every k8s.io/api type.
type protoUnmarshaler interface {
	Unmarshal([]byte) error
}

// sharedVal is one mutation's object as every member's FSM keeps it: the
// encoding in an allocation of its own and the store's key string.
type sharedVal struct {
	kind, key string
	value     []byte // nil for a deletion
}

// encodeBatch appends the encoding of batch to buf, and each mutation's
// shared encoding to vals. It also returns the bytes the batch stands for
// (the entry's share plus the objects' encodings), which groups entries
// and triggers log compaction as if the entry held them.
func encodeBatch(buf []byte, vals []sharedVal, seq uint64, batch []store.Mutation) ([]byte, []sharedVal, int, error) {
	start := len(buf)
	objects := 0
	vals = slices.Grow(vals, len(batch))
	buf = binary.AppendUvarint(buf, seq)
	buf = binary.AppendUvarint(buf, uint64(len(batch)))
	for _, m := range batch {
		buf = append(buf, byte(m.Type))
		buf = binary.AppendUvarint(buf, uint64(m.Rev))
		buf = appendString(buf, m.Kind)
		buf = appendString(buf, m.Key)
		if m.Type == store.Deleted || (m.Object == nil && m.Encoded == nil) {
			buf = binary.AppendUvarint(buf, 0)
			vals = append(vals, sharedVal{kind: m.Kind, key: m.Key})
			continue
		}
		v := m.Encoded // the store's own encoding (a packed Event): shared too
		if v == nil {
			pm, ok := m.Object.(protoMarshaler)
			if !ok {
				return nil, nil, 0, fmt.Errorf("etcd: %s %s has no protobuf encoding", m.Kind, m.Key)
			}
			v = make([]byte, pm.Size())
			if _, err := pm.MarshalToSizedBuffer(v); err != nil {
				return nil, nil, 0, fmt.Errorf("etcd: encode %s %s: %w", m.Kind, m.Key, err)
			}
		}
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		vals = append(vals, sharedVal{kind: m.Kind, key: m.Key, value: v})
		objects += len(v)
	}
	return buf, vals, len(buf) - start + objects, nil
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// entry is one decoded mutation; kind and key alias the log entry's
// bytes (no allocation per mutation and member); size is the length of
// the object's shared encoding.
type entry struct {
	typ  store.EventType
	rev  int64
	kind []byte
	key  []byte
	size uint64
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
		e.kind = r.bytes()
		e.key = r.bytes()
		e.size = r.uvarint()
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
