package etcd

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/kubesim/kubesim/sim/store"
)

// fsm is one member's copy of the cluster state: every object (its value,
// see codec.go) by kind and "namespace/name" key (the order of "Kind/key" strings,
// which the content hash and snapshots use, is the order of kind, then
// key: kinds are letters only and '/' sorts before every letter), the
// number of batches applied and the last store revision they carried.
// raft calls Apply and Snapshot from its own goroutine; the simulation
// reads under the mutex.
type fsm struct {
	mu   sync.Mutex
	data map[string]map[string]value // kind -> key -> object
	// images are the snapshots of this FSM still kept (by the snapshot
	// store, or until raft persisted them): each records what the FSM held
	// for a key before the first change of that key since it was taken.
	images []*fsmSnapshot
	// spare is the undo log of the last image dropped, emptied, for the
	// next image: members snapshot every few thousand batches, and each
	// image's log grows to about as many records.
	spare   []undoRec
	shared  *sharedTable
	applied uint64 // batches applied (the sequence number of the last one)
	rev     int64  // store revision of the last mutation applied
	err     error  // first inconsistency seen (a batch out of order)
}

func newFSM(shared *sharedTable) *fsm {
	return &fsm{data: map[string]map[string]value{}, shared: shared}
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
	if vals != nil && i != len(vals) {
		// The values are not this entry's: what the member applied
		// from them may be wrong, so it fails.
		err := fmt.Errorf("%w: an entry of %d mutations has %d values", errCorrupt, i, len(vals))
		f.fail(err)
		return err
	}
	return nil
}

// applyBatch applies the first batch of data (or only walks it, if skip)
// and returns the bytes after it. Each value is the entry's shared
// value, checked against what the entry says of it (a deletion names its
// key, a write only that it has an object).
func (f *fsm) applyBatch(data []byte, skip bool, vals []sharedVal, i *int) ([]byte, error) {
	var bad error
	_, rest, err := decodeBatch(data, func(seq uint64, e entry) {
		j := *i
		*i++
		if skip || bad != nil {
			return
		}
		var sv sharedVal
		switch {
		case e.typ == store.Deleted && j < len(vals) && vals[j].value == nil &&
			vals[j].key == string(e.key) && vals[j].kind == string(e.kind):
			sv = vals[j]
		case e.typ == store.Deleted:
			sv = sharedVal{kind: string(e.kind), key: string(e.key)} // a deletion needs no encoding
		case j < len(vals) && vals[j].value != nil:
			sv = vals[j] // a write is named by its value alone (see codec.go)
		default:
			bad = fmt.Errorf("%w: batch %d: the object of write %d of its entry is not held", errCorrupt, seq, j)
			return
		}
		m := f.data[sv.kind]
		if m == nil {
			m = map[string]value{}
			f.data[sv.kind] = m
		}
		if len(f.images) > 0 {
			old, had := m[sv.key]
			for _, img := range f.images {
				img.remember(sv.kind, sv.key, old, had)
			}
		}
		if e.typ == store.Deleted {
			delete(m, sv.key)
		} else {
			m[sv.key] = sv.value
		}
		f.rev = e.rev
	})
	if err == nil {
		err = bad
	}
	return rest, err
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

// Snapshot takes a point-in-time image without copying anything: from
// now on the FSM remembers, for the image, what it held for each key
// before changing it (the first change counts), so the image is the
// current content overlaid with those old values. Its cost is proportional
// to the changes while it is kept, not to the size of the state: copying
// every map at each log compaction made compaction quadratic in the
// cluster's size (at 150,000 pods a fifth of all allocation).
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img := &fsmSnapshot{f: f, undo: f.spare, compactAt: minUndo, applied: f.applied, rev: f.rev}
	f.spare = nil
	f.images = append(f.images, img)
	return img, nil
}

// Restore replaces the state with a snapshot's. Images of the old state
// still kept get their content first.
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
	data := map[string]map[string]value{}
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.bytes()
		v := r.bytes()
		slash := bytes.IndexByte(k, '/')
		if slash < 0 {
			return errCorrupt
		}
		kind := string(k[:slash])
		if data[kind] == nil {
			data[kind] = map[string]value{}
		}
		data[kind][string(k[slash+1:])] = &encoded{b: v}
	}
	if r.err != nil {
		return r.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, img := range f.images {
		img.materialize()
	}
	f.images = nil
	f.data, f.applied, f.rev = data, applied, rev
	return nil
}

// undoVal is what a key held when an image was taken (ok: it existed).
type undoVal struct {
	v  value
	ok bool
}

// undoRec is what key of kind held just before a change.
type undoRec struct {
	kind, key string
	undoVal
}

// undoKey names a key of a kind.
type undoKey struct{ kind, key string }

// minUndo is the length of an image's undo log at which it is first
// compacted: a member snapshots every few thousand batches, so a log
// rarely reaches it (and costs no compaction); one kept from
// snapshotting long (a follower behind) compacts. A variable so that
// tests can compact often.
var minUndo = 1 << 14

// fsmSnapshot is a point-in-time image of an FSM: until materialized it
// is f's current content overlaid with undo, the values f held when the
// image was taken for the keys changed since; once materialized (its FSM
// is about to be replaced wholesale) it is data. f never changes; the
// rest is guarded by f's mutex.
type fsmSnapshot struct {
	f *fsm
	// undo records, in the order of the changes since the image was
	// taken, what each changed key held before: a key's first record is
	// what it held when taken, its later ones are redundant. Appending is
	// what every apply of every member pays while an image is kept (that
	// is, nearly always), so it is a slice, not a map by key (that map's
	// lookups, inserts and growth were 60% of every member's apply at 1k
	// nodes / 30k pods); the
	// redundant records are dropped when the log reaches compactAt, which
	// then doubles what it kept, so the log stays within twice the keys
	// changed (or minUndo) at an amortized constant cost per change.
	undo      []undoRec
	compactAt int
	data      map[string]map[string]value
	applied   uint64
	rev       int64
	// kept is set once the snapshot store holds the image: it then stays
	// attached until the store replaces it (drop), not just until raft
	// released it (Release).
	kept bool
}

// remember records that key of kind held v (ok: it existed) just before
// a change. The caller holds the FSM's mutex.
func (s *fsmSnapshot) remember(kind, key string, v value, ok bool) {
	if len(s.undo) >= s.compactAt {
		s.compactUndo()
	}
	s.undo = append(s.undo, undoRec{kind: kind, key: key, undoVal: undoVal{v: v, ok: ok}})
}

// compactUndo keeps only each key's first record, in order, and sets the
// length of the next compaction to twice what is left.
func (s *fsmSnapshot) compactUndo() {
	seen := make(map[undoKey]struct{}, len(s.undo))
	kept := s.undo[:0]
	for _, r := range s.undo {
		k := undoKey{r.kind, r.key}
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			kept = append(kept, r)
		}
	}
	clear(s.undo[len(kept):]) // let go of the dropped values
	s.undo = kept
	s.compactAt = max(minUndo, 2*len(kept))
}

// taken is, for every key changed since the image was taken, what it held
// then: kind -> key -> value. The caller holds the FSM's mutex.
func (s *fsmSnapshot) taken() map[string]map[string]undoVal {
	out := map[string]map[string]undoVal{}
	for _, r := range s.undo {
		u := out[r.kind]
		if u == nil {
			u = map[string]undoVal{}
			out[r.kind] = u
		}
		if _, seen := u[r.key]; !seen {
			u[r.key] = r.undoVal
		}
	}
	return out
}

// each calls fn for every object of the image, in no particular order.
// The caller holds the FSM's mutex.
func (s *fsmSnapshot) each(fn func(kind, key string, v value)) {
	if s.data != nil {
		for kind, m := range s.data {
			for k, v := range m {
				fn(kind, k, v)
			}
		}
		return
	}
	undo := s.taken()
	for kind, m := range s.f.data {
		u := undo[kind]
		for k, v := range m {
			if old, changed := u[k]; changed {
				if old.ok {
					fn(kind, k, old.v)
				}
				continue
			}
			fn(kind, k, v)
		}
	}
	for kind, u := range undo {
		m := s.f.data[kind]
		for k, old := range u {
			if _, now := m[k]; !now && old.ok {
				fn(kind, k, old.v) // deleted since
			}
		}
	}
}

// materialize gives the image its own content and stops its FSM from
// recording changes for it. The caller holds the FSM's mutex.
func (s *fsmSnapshot) materialize() {
	if s.data != nil {
		return
	}
	data := map[string]map[string]value{}
	s.each(func(kind, key string, v value) {
		if data[kind] == nil {
			data[kind] = map[string]value{}
		}
		data[kind][key] = v
	})
	s.undo, s.data = nil, data
}

// drop stops the FSM from recording changes for the image: nothing will
// read it any more.
func (s *fsmSnapshot) drop() {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.images = slices.DeleteFunc(s.f.images, func(o *fsmSnapshot) bool { return o == s })
	if s.data == nil && cap(s.undo) > cap(s.f.spare) {
		clear(s.undo) // let go of the values
		s.f.spare = s.undo[:0]
	}
	s.undo = nil
}

// Persist hands the point-in-time image to our file-less snapshot store,
// which encodes it only if a member ever reads it back. Raft calls it on
// its own goroutine, where objects may not be encoded (see gate): any
// other sink is refused.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	ms, ok := sink.(*snapSink)
	if !ok {
		_ = sink.Cancel() // failing anyway
		return fmt.Errorf("etcd: a snapshot persists only to its member's own store, not a %T", sink)
	}
	s.kept = true
	ms.image = s
	return sink.Close()
}

// encode is the snapshot's byte form, read by fsm.Restore. It encodes
// every object, so it runs only where encode may (see gate).
func (s *fsmSnapshot) encode() ([]byte, error) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	count := 0
	s.each(func(string, string, value) { count++ })
	buf := binary.AppendUvarint(nil, s.applied)
	buf = binary.AppendUvarint(buf, uint64(s.rev))
	buf = binary.AppendUvarint(buf, uint64(count))
	var scratch []byte
	var err error
	// Map order does not matter here: the content, not the bytes, is
	// what the members compare.
	s.each(func(kind, k string, v value) {
		if err != nil {
			return
		}
		if scratch, err = encode(scratch[:0], v); err != nil {
			return
		}
		buf = binary.AppendUvarint(buf, uint64(len(kind)+1+len(k)))
		buf = append(append(append(buf, kind...), '/'), k...)
		buf = binary.AppendUvarint(buf, uint64(len(scratch)))
		buf = append(buf, scratch...)
	})
	return buf, err
}

// Release is raft done with the image: unless the snapshot store keeps
// it, nothing reads it any more.
func (s *fsmSnapshot) Release() {
	if !s.kept {
		s.drop()
	}
}

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
// sorted order, each followed by its value's encoding, both
// length-prefixed. It is called from the simulation's goroutine, which
// waits for it (see hashContent).
func (f *fsm) state() state {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := sha256.New()
	err := cmp.Or(f.err, hashContent(h, f.data))
	return state{Applied: f.applied, Rev: f.rev, Hash: "sha256:" + hex.EncodeToString(h.Sum(nil)), Err: err}
}

// hashChunk is how many objects one stage of hashContent hands the next
// at a time.
const hashChunk = 4096

// hashContent writes the content's hash input to h: per object in
// "Kind/key" order, the length-prefixed "Kind/key" and the length-prefixed
// encoding. At the end of a run that is every object of the cluster, so
// it is a pipeline over the machine's cores: one goroutine sorts each
// kind's keys and hands them on in chunks, one encodes a chunk's objects
// into the bytes to hash, and the caller hashes them; the bytes hashed
// are the same, in the same order, as one goroutine doing it all. Only
// the encoding goroutine touches the objects (encoding may write to them,
// see encode), while the caller, the simulation's goroutine, waits for it;
// the caller holds the FSM's mutex, so data does not change.
func hashContent(h io.Writer, data map[string]map[string]value) error {
	type kv struct {
		key string
		v   value
	}
	type chunk struct {
		kind  string
		items []kv
	}
	todo := make(chan chunk, 2)
	out := make(chan []byte, 2)
	free := make(chan []byte, 4)
	go func() { // sorts
		defer close(todo)
		for _, kind := range slices.Sorted(maps.Keys(data)) {
			m := data[kind]
			items := make([]kv, 0, len(m))
			for k, v := range m {
				items = append(items, kv{k, v})
			}
			slices.SortFunc(items, func(a, b kv) int { return strings.Compare(a.key, b.key) })
			for len(items) > 0 {
				n := min(len(items), hashChunk)
				todo <- chunk{kind, items[:n:n]}
				items = items[n:]
			}
		}
	}()
	var err error // the encoder's; read once out is closed
	go func() {   // encodes
		defer close(out)
		var enc []byte
		var n [binary.MaxVarintLen64]byte
		for c := range todo {
			if err != nil {
				continue // drain
			}
			var buf []byte
			select {
			case buf = <-free:
			default:
			}
			buf = buf[:0]
			for _, it := range c.items {
				var eerr error
				if enc, eerr = encode(enc[:0], it.v); eerr != nil {
					err = fmt.Errorf("etcd: %s %s: %w", c.kind, it.key, eerr)
					break
				}
				buf = append(buf, n[:binary.PutUvarint(n[:], uint64(len(c.kind)+1+len(it.key)))]...)
				buf = append(append(append(buf, c.kind...), '/'), it.key...)
				buf = append(buf, n[:binary.PutUvarint(n[:], uint64(len(enc)))]...)
				buf = append(buf, enc...)
			}
			if err == nil {
				out <- buf
			}
		}
	}()
	for buf := range out {
		_, _ = h.Write(buf) // a hash.Hash never fails
		select {
		case free <- buf:
		default:
		}
	}
	return err
}

// sameContent reports whether f holds exactly what o holds, deciding it
// by identity: the same batches applied, the same keys, each value the
// same object (members that applied the same entries share them). It may
// answer false for equal content held in different copies (a member
// restored from a snapshot); its hash is then computed.
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
			if ov, ok := om[key]; !ok || ov != v {
				return false
			}
		}
	}
	return true
}

// each calls fn for every object in "Kind/key" order until fn returns
// false. The caller holds the mutex.
func (f *fsm) each(fn func(kind, key string, v value) bool) {
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
	var buf []byte
	var err error
	f.each(func(kind, _ string, v value) bool {
		if buf, err = encode(buf[:0], v); err != nil {
			return false
		}
		var obj store.Object
		if obj, err = decodeObject(kind, buf); err != nil {
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

// get returns the encoding of an object held (tests: no acknowledged
// write lost).
func (f *fsm) get(kind, key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.data[kind][key]
	if !ok {
		return nil, false
	}
	b, err := encode(nil, v)
	return b, err == nil
}

// value returns the value held for an object (tests: members share it).
func (f *fsm) value(kind, key string) (value, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.data[kind][key]
	return v, ok
}

// sharedTable holds the shared values of the raft entries (by the
// sequence number of each entry's first batch) while anything may still
// apply them: from the moment the entry is handed in until it commits,
// and while a member's log holds it (a member that was down or cut off
// applies it from there, or from the leader's log). Once every log
// dropped the entry, a member that still lacks it catches up from a
// snapshot, which carries the bytes.
type sharedTable struct {
	mu      sync.Mutex
	entries map[uint64]*sharedEntry
	// released are the entries no log holds any more, oldest first, kept
	// for a grace of graceEntries releases: raft sends a follower entries
	// it read from the leader's log, and the leader may compact them
	// before the follower stores them (up to a window of entries in
	// flight), so a late store must still find the encodings.
	released []uint64
}

// graceEntries is how many released entries stay readable: twice the
// entries the cluster keeps in flight.
const graceEntries = 2 * window

type sharedEntry struct {
	vals []sharedVal
	refs int // logs holding the entry, plus one until it committed
}

func newSharedTable() *sharedTable { return &sharedTable{entries: map[uint64]*sharedEntry{}} }

// put holds the encodings of the entry whose first batch is first until
// release is called for it (the entry committed).
func (t *sharedTable) put(first uint64, vals []sharedVal) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entries[first] = &sharedEntry{vals: vals, refs: 1}
}

func (t *sharedTable) get(first uint64) []sharedVal {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.entries[first]; e != nil {
		return e.vals
	}
	return nil
}

// retain counts one more holder of the entry's encodings (a log storing
// it); an entry no longer held is not brought back.
func (t *sharedTable) retain(first uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.entries[first]; e != nil {
		e.refs++ // a released one comes back; its stale place in released is skipped when forgotten
	}
}

// release counts one holder less, and forgets the encodings once none is
// left.
func (t *sharedTable) release(first uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.entries[first]; e != nil {
		if e.refs--; e.refs == 0 {
			t.released = append(t.released, first)
		}
	}
	for len(t.released) > graceEntries {
		old := t.released[0]
		t.released = t.released[1:]
		if e := t.entries[old]; e != nil && e.refs <= 0 {
			delete(t.entries, old)
		}
	}
}

// held is the number of entries whose encodings something holds (the
// released ones in their grace are not counted).
func (t *sharedTable) held() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, e := range t.entries {
		if e.refs > 0 {
			n++
		}
	}
	return n
}

// logStore is a member's raft log (raft's in-memory store) that tells the
// shared table which entries it holds.
type logStore struct {
	*raft.InmemStore
	shared *sharedTable
	mu     sync.Mutex // one change of the log at a time
}

func newLogStore(shared *sharedTable) *logStore {
	return &logStore{InmemStore: raft.NewInmemStore(), shared: shared}
}

// entryFirst is the sequence number of a command entry's first batch.
func entryFirst(l *raft.Log) (uint64, bool) {
	if l.Type != raft.LogCommand {
		return 0, false
	}
	seq, err := peekSeq(l.Data)
	return seq, err == nil
}

// StoreLog implements raft.LogStore.
func (s *logStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

// StoreLogs implements raft.LogStore: each command entry stored is a
// holder of its encodings (one overwritten stops being one).
func (s *logStore) StoreLogs(logs []*raft.Log) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var old raft.Log
	for _, l := range logs {
		if s.GetLog(l.Index, &old) == nil {
			if first, ok := entryFirst(&old); ok {
				s.shared.release(first)
			}
		}
		if first, ok := entryFirst(l); ok {
			s.shared.retain(first)
		}
	}
	return s.InmemStore.StoreLogs(logs)
}

// DeleteRange implements raft.LogStore: the entries dropped (log
// compaction, a follower's conflicting suffix) stop holding their
// encodings.
func (s *logStore) DeleteRange(min, max uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var l raft.Log
	for i := min; i <= max; i++ {
		if s.GetLog(i, &l) == nil {
			if first, ok := entryFirst(&l); ok {
				s.shared.release(first)
			}
		}
	}
	return s.InmemStore.DeleteRange(min, max)
}
