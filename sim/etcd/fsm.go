package etcd

import (
	"bytes"
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
// bytes by kind and "namespace/name" key (the order of "Kind/key" strings,
// which the content hash and snapshots use, is the order of kind, then
// key: kinds are letters only and '/' sorts before every letter), the
// number of batches applied and the last store revision they carried.
// raft calls Apply and Snapshot from its own goroutine; the simulation
// reads under the mutex.
type fsm struct {
	mu   sync.Mutex
	data map[string]map[string][]byte // kind -> key -> encoding
	// owned lists the kinds whose map this FSM may write; the others are
	// shared with a snapshot and copied before the first write.
	owned   map[string]bool
	shared  *sharedTable
	applied uint64 // batches applied (the sequence number of the last one)
	rev     int64  // store revision of the last mutation applied
	err     error  // first inconsistency seen (a batch out of order)
}

func newFSM(shared *sharedTable) *fsm {
	return &fsm{data: map[string]map[string][]byte{}, owned: map[string]bool{}, shared: shared}
}

func fsmKey(kind, key string) string { return kind + "/" + key }

// Apply applies one committed raft entry, batch by batch. A batch whose
// sequence number was already applied is part of a retried Apply that
// committed twice: skipped.
func (f *fsm) Apply(l *raft.Log) interface{} {
	if l.Type != raft.LogCommand {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	first, err := peekSeq(l.Data)
	if err != nil {
		f.fail(err)
		return err
	}
	vals := f.shared.get(first)
	data := l.Data
	i := 0 // index of the mutation in the entry
	for len(data) > 0 {
		seq, err := peekSeq(data)
		if err != nil {
			f.fail(err)
			return err
		}
		skip := seq <= f.applied
		if !skip && seq != f.applied+1 {
			// An earlier entry failed to commit and will be retried
			// before this one is retried: every member skips it alike.
			return errOutOfOrder
		}
		data, err = f.applyBatch(data, skip, vals, &i)
		if err != nil {
			f.fail(err)
			return err
		}
		if !skip {
			f.applied = seq
		}
	}
	return nil
}

// applyBatch applies the first batch of data (or only walks it, if skip)
// and returns the bytes after it. Each value is stored as the shared copy
// when that holds exactly the committed bytes, else as a copy of its own.
func (f *fsm) applyBatch(data []byte, skip bool, vals []sharedVal, i *int) ([]byte, error) {
	_, rest, err := decodeBatch(data, func(_ uint64, e entry) {
		j := *i
		*i++
		if skip {
			return
		}
		var sv sharedVal
		if j < len(vals) && vals[j].key == string(e.key) && vals[j].kind == string(e.kind) && bytes.Equal(vals[j].value, e.value) {
			sv = vals[j]
		} else {
			sv = sharedVal{kind: string(e.kind), key: string(e.key)}
			if e.typ != store.Deleted {
				sv.value = bytes.Clone(e.value)
				if sv.value == nil {
					sv.value = []byte{}
				}
			}
		}
		m := f.writable(sv.kind)
		if e.typ == store.Deleted {
			delete(m, sv.key)
		} else {
			m[sv.key] = sv.value
		}
		f.rev = e.rev
	})
	return rest, err
}

// writable returns kind's map, copying it first if a snapshot shares it.
func (f *fsm) writable(kind string) map[string][]byte {
	m := f.data[kind]
	if !f.owned[kind] {
		if m == nil {
			m = map[string][]byte{}
		} else {
			m = maps.Clone(m)
		}
		f.data[kind] = m
		f.owned[kind] = true
	}
	return m
}

// len is the number of objects held.
func (f *fsm) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.data {
		n += len(m)
	}
	return n
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

// Snapshot hands the current maps to the snapshot; the next Apply copies
// the map of each kind it writes (values are never modified in place, so
// a shallow copy is enough).
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.owned)
	return &fsmSnapshot{data: maps.Clone(f.data), applied: f.applied, rev: f.rev}, nil
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
	data := map[string]map[string][]byte{}
	owned := map[string]bool{}
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.bytes()
		v := r.bytes()
		slash := bytes.IndexByte(k, '/')
		if slash < 0 {
			return errCorrupt
		}
		kind := string(k[:slash])
		if data[kind] == nil {
			data[kind] = map[string][]byte{}
			owned[kind] = true
		}
		data[kind][string(k[slash+1:])] = v
	}
	if r.err != nil {
		return r.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data, f.owned, f.applied, f.rev = data, owned, applied, rev
	return nil
}

type fsmSnapshot struct {
	data    map[string]map[string][]byte
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
		_ = sink.Cancel() // already failing with err
		return err
	}
	return sink.Close()
}

// encode is the snapshot's byte form, read by fsm.Restore.
func (s *fsmSnapshot) encode() []byte {
	buf := make([]byte, 0, s.size())
	buf = binary.AppendUvarint(buf, s.applied)
	buf = binary.AppendUvarint(buf, uint64(s.rev))
	n := 0
	for _, m := range s.data {
		n += len(m)
	}
	buf = binary.AppendUvarint(buf, uint64(n))
	// Map order does not matter here: the content, not the bytes, is
	// what the members compare.
	for kind, m := range s.data {
		for k, v := range m {
			buf = binary.AppendUvarint(buf, uint64(len(kind)+1+len(k)))
			buf = append(append(append(buf, kind...), '/'), k...)
			buf = binary.AppendUvarint(buf, uint64(len(v)))
			buf = append(buf, v...)
		}
	}
	return buf
}

// size is len(encode()) without encoding.
func (s *fsmSnapshot) size() int {
	n := uvarintLen(s.applied) + uvarintLen(uint64(s.rev))
	count := 0
	for kind, m := range s.data {
		count += len(m)
		for k, v := range m {
			kl := len(kind) + 1 + len(k)
			n += uvarintLen(uint64(kl)) + kl + uvarintLen(uint64(len(v))) + len(v)
		}
	}
	return n + uvarintLen(uint64(count))
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

// state hashes the content: SHA-256 over the "Kind/key" strings in
// sorted order, each followed by its value, both length-prefixed.
func (f *fsm) state() state {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	f.each(func(kind, key string, v []byte) bool {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(kind)+1+len(key)))])
		_, _ = io.WriteString(h, kind) // a hash.Hash never fails
		_, _ = io.WriteString(h, "/")
		_, _ = io.WriteString(h, key)
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
		h.Write(v)
		return true
	})
	return state{Applied: f.applied, Rev: f.rev, Hash: "sha256:" + hex.EncodeToString(h.Sum(nil)), Err: f.err}
}

// sameContent reports whether f holds exactly what o holds, deciding it
// by identity: the same batches applied, the same keys, each value the
// same bytes in memory (members that applied the same entries share their
// encodings). It may answer false for equal content held in different
// copies (a member restored from a snapshot); its hash is then computed.
func (f *fsm) sameContent(o *fsm) bool {
	if f == o {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	if f.err != nil || o.err != nil || f.applied != o.applied || f.rev != o.rev || len(f.data) != len(o.data) {
		return false
	}
	// The answer does not depend on the order of iteration.
	for kind, m := range f.data {
		om, ok := o.data[kind]
		if !ok || len(om) != len(m) {
			return false
		}
		for key, v := range m {
			ov, ok := om[key]
			if !ok || len(ov) != len(v) || (len(v) > 0 && &ov[0] != &v[0]) {
				return false
			}
		}
	}
	return true
}

// each calls fn for every object in "Kind/key" order until fn returns
// false. The caller holds the mutex.
func (f *fsm) each(fn func(kind, key string, value []byte) bool) {
	for _, kind := range slices.Sorted(maps.Keys(f.data)) {
		m := f.data[kind]
		for _, key := range slices.Sorted(maps.Keys(m)) {
			if !fn(kind, key, m[key]) {
				return
			}
		}
	}
}

// objects decodes the whole content (etcdctl snapshot save), in key order.
func (f *fsm) objects() ([]store.Object, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Object
	var err error
	f.each(func(kind, _ string, v []byte) bool {
		var obj store.Object
		if obj, err = decodeObject(kind, v); err != nil {
			return false
		}
		out = append(out, obj)
		return true
	})
	if err != nil {
		return nil, 0, err
	}
	return out, f.rev, nil
}

// get returns the stored encoding of an object (tests: no acknowledged
// write lost).
func (f *fsm) get(kind, key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.data[kind][key]
	return v, ok
}

// sharedTable holds the shared encodings of the raft entries handed in
// (by the sequence number of each entry's first batch) until every live
// member applied them. A member that applies an entry later (it was down
// or cut off) keeps copies of its own.
type sharedTable struct {
	mu      sync.Mutex
	byFirst map[uint64][]sharedVal
	order   []sharedSpan // entries in order
}

type sharedSpan struct{ first, last uint64 }

func newSharedTable() *sharedTable { return &sharedTable{byFirst: map[uint64][]sharedVal{}} }

func (t *sharedTable) put(first, last uint64, vals []sharedVal) {
	if len(vals) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byFirst[first] = vals
	t.order = append(t.order, sharedSpan{first: first, last: last})
}

func (t *sharedTable) get(first uint64) []sharedVal {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byFirst[first]
}

// prune forgets the entries whose batches were all applied (up to
// applied) by every live member.
func (t *sharedTable) prune(applied uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for n < len(t.order) && t.order[n].last <= applied {
		delete(t.byFirst, t.order[n].first)
		n++
	}
	t.order = append(t.order[:0], t.order[n:]...)
}
