package etcd

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"slices"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/kubesim/kubesim/sim/store"
)

// fsm is one member's copy of the cluster state: every object's encoded
// bytes under "Kind/namespace/name", the number of batches applied and the
// last store revision they carried. raft calls Apply and Snapshot from its
// own goroutine; the simulation reads under the mutex.
type fsm struct {
	mu      sync.Mutex
	data    map[string][]byte
	shared  bool   // data is referenced by a snapshot: copy before writing
	applied uint64 // batches applied (the sequence number of the last one)
	rev     int64  // store revision of the last mutation applied
	err     error  // first inconsistency seen (a batch out of order)
}

func newFSM() *fsm { return &fsm{data: map[string][]byte{}} }

func fsmKey(kind, key string) string { return kind + "/" + key }

// Apply applies one committed batch. A batch whose sequence number was
// already applied is a retried Apply that committed twice: skipped.
func (f *fsm) Apply(l *raft.Log) interface{} {
	if l.Type != raft.LogCommand {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	seq, err := peekSeq(l.Data)
	if err != nil {
		f.fail(err)
		return err
	}
	if seq <= f.applied {
		return nil
	}
	if seq != f.applied+1 {
		// An earlier batch failed to commit and will be retried before
		// this one is retried: every member skips it alike.
		return errOutOfOrder
	}
	if f.shared {
		f.data = maps.Clone(f.data)
		f.shared = false
	}
	var kb []byte
	_, err = decodeBatch(l.Data, func(_ uint64, e entry) {
		kb = append(append(append(kb[:0], e.kind...), '/'), e.key...)
		if e.typ == store.Deleted {
			delete(f.data, string(kb))
			f.rev = e.rev
			return
		}
		// The value aliases the log entry, which every member shares in
		// process (InmemTransport passes entries by pointer): copying it
		// would cost a copy per member for no benefit. Entries are never
		// modified.
		f.data[string(kb)] = e.value
		f.rev = e.rev
	})
	if err != nil {
		f.fail(err)
		return err
	}
	f.applied = seq
	return nil
}

// errOutOfOrder answers an Apply of a batch whose predecessor is not
// applied yet.
var errOutOfOrder = errors.New("etcd: batch out of order")

func (f *fsm) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

func peekSeq(data []byte) (uint64, error) {
	r := &reader{b: data}
	seq := r.uvarint()
	return seq, r.err
}

// Snapshot hands the current map to the snapshot; the next Apply copies it
// (values are never modified in place, so a shallow copy is enough).
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shared = true
	return &fsmSnapshot{data: f.data, applied: f.applied, rev: f.rev}, nil
}

// Restore replaces the state with a snapshot's.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	r := &reader{b: b}
	applied := r.uvarint()
	rev := int64(r.uvarint())
	n := r.uvarint()
	data := make(map[string][]byte, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := string(r.bytes())
		data[k] = r.bytes()
	}
	if r.err != nil {
		return r.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data, f.shared, f.applied, f.rev = data, false, applied, rev
	return nil
}

type fsmSnapshot struct {
	data    map[string][]byte
	applied uint64
	rev     int64
}

// Persist hands the point-in-time image to our file-less snapshot store,
// which encodes it only if a member ever reads it back; any other sink
// gets the bytes.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if ms, ok := sink.(*snapSink); ok {
		ms.image = s
		return sink.Close()
	}
	if _, err := sink.Write(s.encode()); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

// encode is the snapshot's byte form, read by fsm.Restore.
func (s *fsmSnapshot) encode() []byte {
	buf := make([]byte, 0, s.size())
	buf = binary.AppendUvarint(buf, s.applied)
	buf = binary.AppendUvarint(buf, uint64(s.rev))
	buf = binary.AppendUvarint(buf, uint64(len(s.data)))
	// Map order does not matter here: the content, not the bytes, is
	// what the members compare.
	for k, v := range s.data {
		buf = appendString(buf, k)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	return buf
}

// size is len(encode()) without encoding.
func (s *fsmSnapshot) size() int {
	n := uvarintLen(s.applied) + uvarintLen(uint64(s.rev)) + uvarintLen(uint64(len(s.data)))
	for k, v := range s.data {
		n += uvarintLen(uint64(len(k))) + len(k) + uvarintLen(uint64(len(v))) + len(v)
	}
	return n
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func (s *fsmSnapshot) Release() {}

// state is what the simulation reads of a member's FSM.
type state struct {
	Applied uint64
	Rev     int64
	Hash    string
	Err     error
}

func (f *fsm) progress() (applied uint64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied, f.err
}

// state hashes the content: SHA-256 over the keys in sorted order, each
// followed by its value, both length-prefixed.
func (f *fsm) state() state {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := slices.Sorted(maps.Keys(f.data))
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, k := range keys {
		v := f.data[k]
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(k)))])
		io.WriteString(h, k)
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
		h.Write(v)
	}
	return state{Applied: f.applied, Rev: f.rev, Hash: "sha256:" + hex.EncodeToString(h.Sum(nil)), Err: f.err}
}

// objects decodes the whole content (etcdctl snapshot save), in key order.
func (f *fsm) objects() ([]store.Object, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := slices.Sorted(maps.Keys(f.data))
	out := make([]store.Object, 0, len(keys))
	for _, k := range keys {
		i := 0
		for i < len(k) && k[i] != '/' {
			i++
		}
		obj, err := decodeObject(k[:i], f.data[k])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, obj)
	}
	return out, f.rev, nil
}

// get returns the stored encoding of an object (tests: no acknowledged
// write lost).
func (f *fsm) get(kind, key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.data[fsmKey(kind, key)]
	return v, ok
}
