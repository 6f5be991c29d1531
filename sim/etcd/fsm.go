package etcd

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/kubesim/kubesim/sim/store"
)

// fsm is one member's state machine: the content it reads through its
// history (shared with the members that applied the same batches, see
// history.go; every object's value, see codec.go, with its kind and
// "namespace/name" key, by the store's slot: the order of "Kind/key" strings, which the
// content hash and snapshots use, is the order of kind, then key: kinds
// are letters only and '/' sorts before every letter), the number of
// batches applied and the last store revision they carried. raft calls
// Apply and Snapshot from its own goroutine; the simulation reads under
// the mutex. Lock order: an fsm's mutex, then its history's.
type fsm struct {
	mu      sync.Mutex
	h       *history // replaced by Restore
	shared  *sharedTable
	applied uint64 // batches applied (the sequence number of the last one)
	rev     int64  // store revision of the last mutation applied
	err     error  // first inconsistency seen (a batch out of order)
}

// newFSM returns an empty FSM with a history of its own.
func newFSM(shared *sharedTable) *fsm {
	return joinFSM(shared, newHistory(nil, 0))
}

// joinFSM returns an empty FSM reading through h if h holds no batch yet
// (every member of a new cluster starts so), else nil.
func joinFSM(shared *sharedTable, h *history) *fsm {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.v != 0 {
		return nil
	}
	f := &fsm{h: h, shared: shared}
	h.join(f, 0)
	return f
}

// retire stops f from reading through its history (a restarted member
// replaced it), so that the history no longer keeps what f's version
// needs.
func (f *fsm) retire() {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.lockHist()
	defer h.mu.Unlock()
	h.leave(f)
}

// lockHist locks f's history and returns it, first moving f to the
// history of its own it was given if the shared one evicted it (it fell
// too far behind, see history.evict). The caller holds f.mu and unlocks
// the history's.
func (f *fsm) lockHist() *history {
	for {
		h := f.h
		h.mu.Lock()
		nh := h.evicted[f]
		if nh == nil {
			return h
		}
		delete(h.evicted, f)
		h.mu.Unlock()
		f.h = nh
	}
}

func fsmKey(kind, key string) string { return kind + "/" + key }

// Apply applies one committed raft entry, batch by batch. A batch whose
// sequence number was already applied is part of a retried Apply that
// committed twice: skipped. The entry is checked whole before anything
// is written: what is written is what the other members read.
func (f *fsm) Apply(l *raft.Log) interface{} {
	if l.Type != raft.LogCommand {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.lockHist()
	defer h.mu.Unlock()
	first, err := peekSeq(l.Data)
	if err != nil {
		f.fail(err)
		return err
	}
	vals := f.shared.get(first)
	if err := f.check(l.Data, vals); err != nil {
		if !errors.Is(err, errOutOfOrder) {
			f.fail(err)
		}
		return err
	}
	data := l.Data
	i := 0 // index of the mutation in the entry
	for len(data) > 0 {
		seq, _ := peekSeq(data) // checked
		skip := seq <= f.applied
		// The first member to apply a batch writes it; the others find
		// it written.
		write := !skip && f.applied == h.v
		_, data, _ = decodeBatch(data, func(seq uint64, e entry) {
			j := i
			i++
			if skip {
				return
			}
			f.rev = e.rev
			if !write {
				return
			}
			if e.typ == store.Deleted {
				h.write(seq, e.slot, "", "", nil) // checked: the value's slot
				return
			}
			sv := vals[j]
			h.write(seq, sv.slot, sv.kind, sv.key, sv.value)
		})
		if !skip {
			f.applied = seq
			if write {
				h.v = seq
			}
			// The pin follows each batch, not each entry: a compaction
			// while this member writes a later batch of the entry may
			// evict the users at the oldest version, and must not take
			// this member's version at the entry's start for its own
			// (it would move it to a copy of an older content than it
			// applied, and it would never write again).
			h.moved(f, seq)
		}
	}
	h.trim(false)
	return nil
}

// check walks a raft entry before it is applied: its batches must follow
// the last one applied (a batch already applied is skipped; one further
// on answers errOutOfOrder: an earlier entry failed to commit and will be
// retried before this one is, and every member skips it alike), and each
// write must have its shared value, each deletion its key (a deletion
// needs no value), and the values must be exactly the entry's.
func (f *fsm) check(data []byte, vals []sharedVal) error {
	applied := f.applied
	i := 0
	var bad error
	for len(data) > 0 {
		seq, err := peekSeq(data)
		if err != nil {
			return err
		}
		skip := seq <= applied
		if !skip && seq != applied+1 {
			return errOutOfOrder
		}
		_, data, err = decodeBatch(data, func(seq uint64, e entry) {
			j := i
			i++
			if skip || bad != nil {
				return
			}
			switch {
			case e.typ == store.Deleted:
				if j < len(vals) && (vals[j].value != nil || vals[j].key != string(e.key) || vals[j].kind != string(e.kind) || vals[j].slot != e.slot) {
					bad = fmt.Errorf("%w: batch %d: deletion %d of its entry is not its value's", errCorrupt, seq, j)
				}
			case j < len(vals) && vals[j].value != nil:
			default:
				bad = fmt.Errorf("%w: batch %d: the object of write %d of its entry is not held", errCorrupt, seq, j)
			}
		})
		if err == nil {
			err = bad
		}
		if err != nil {
			return err
		}
		if !skip {
			applied = seq
		}
	}
	if vals != nil && i != len(vals) {
		// The values are not this entry's: what the member applied
		// from them may be wrong, so it fails.
		return fmt.Errorf("%w: an entry of %d mutations has %d values", errCorrupt, i, len(vals))
	}
	return nil
}

// len is the number of objects held.
func (f *fsm) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.lockHist()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.at(f.applied) {
		if c.v != nil {
			n++
		}
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

// Snapshot takes a point-in-time image without copying anything: it
// reads the FSM's history at the version applied, and from now on the
// history remembers, for the image, what it held for each key before
// changing it, so the image is the current content overlaid with those
// old values. Its cost is proportional to the changes while it is kept,
// not to the size of the state: copying every map at each log compaction
// made compaction quadratic in the cluster's size (at 150,000 pods a
// fifth of all allocation).
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.lockHist()
	defer h.mu.Unlock()
	img := &fsmSnapshot{h: h, applied: f.applied, rev: f.rev}
	h.images = append(h.images, img)
	return img, nil
}

// Restore replaces the state with a snapshot's, in a history of the
// FSM's own. The images of the old state read the old history, which
// keeps what they need.
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
	var cells []cell
	for i := uint64(0); i < n && r.err == nil; i++ {
		slot := r.slot()
		k := r.bytes()
		v := r.bytes()
		slash := bytes.IndexByte(k, '/')
		if r.err == nil && slash < 0 {
			return errCorrupt
		}
		if int(slot) >= len(cells) {
			cells = slices.Grow(cells, int(slot)+1-len(cells))[:slot+1]
		}
		cells[slot] = cell{string(k[:slash]), string(k[slash+1:]), &encoded{b: v}}
	}
	if r.err != nil {
		return r.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.lockHist()
	old.leave(f)
	old.mu.Unlock()
	h := newHistory(cells, applied)
	h.join(f, applied)
	f.h, f.applied, f.rev = h, applied, rev
	return nil
}

// undoRec is what slot held just before batch seq changed it.
type undoRec struct {
	seq  uint64
	slot int32
	cell
}

// minUndo is the length of a history's undo log at which it is first
// compacted: members snapshot every few thousand batches and the oldest
// image's records are dropped when the next image replaces it, so a log
// rarely reaches it (and costs no compaction); one kept long (a member
// stopped or cut off, or its image) compacts. A variable so that tests
// can compact often.
var minUndo = 1 << 14

// fsmSnapshot is a point-in-time image of an FSM: its history at the
// version applied when it was taken. h keeps what the image needs while
// the image is attached to it; the image's fields never change except
// kept, which is guarded by h's mutex.
type fsmSnapshot struct {
	h       *history
	applied uint64
	rev     int64
	// kept is set once the snapshot store holds the image: it then stays
	// attached until the store replaces it (drop), not just until raft
	// released it (Release).
	kept bool
}

// drop stops the history from keeping what the image needs: nothing will
// read it any more.
func (s *fsmSnapshot) drop() {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.images = slices.DeleteFunc(s.h.images, func(o *fsmSnapshot) bool { return o == s })
	s.h.trim(false)
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
	s.h.mu.Lock()
	s.kept = true
	s.h.mu.Unlock()
	ms.image = s
	return sink.Close()
}

// encode is the snapshot's byte form, read by fsm.Restore. It encodes
// every object, so it runs only where encode may (see gate).
func (s *fsmSnapshot) encode() ([]byte, error) {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	cells := s.h.at(s.applied)
	count := 0
	for _, c := range cells {
		if c.v != nil {
			count++
		}
	}
	buf := binary.AppendUvarint(nil, s.applied)
	buf = binary.AppendUvarint(buf, uint64(s.rev))
	buf = binary.AppendUvarint(buf, uint64(count))
	var scratch []byte
	for slot, c := range cells {
		if c.v == nil {
			continue
		}
		var err error
		if scratch, err = encode(scratch[:0], c.v); err != nil {
			return nil, err
		}
		buf = binary.AppendUvarint(buf, uint64(slot))
		buf = binary.AppendUvarint(buf, uint64(len(c.kind)+1+len(c.key)))
		buf = append(append(append(buf, c.kind...), '/'), c.key...)
		buf = binary.AppendUvarint(buf, uint64(len(scratch)))
		buf = append(buf, scratch...)
	}
	return buf, nil
}

// Release is raft done with the image: unless the snapshot store keeps
// it, nothing reads it any more.
func (s *fsmSnapshot) Release() {
	s.h.mu.Lock()
	kept := s.kept
	s.h.mu.Unlock()
	if !kept {
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
// waits for it (see startHash).
func (f *fsm) state() state { return f.startState()() }

// startState is state in two calls: it starts sorting the content (see
// startHash) and returns the function that hashes it, which the caller
// must call, from the simulation's goroutine. f and its history stay
// locked until then: raft applies nothing meanwhile, and the content
// does not change.
func (f *fsm) startState() func() state {
	f.mu.Lock()
	fh := f.lockHist()
	h := sha256.New()
	finish := startHash(h, fh.content(f.applied))
	return func() state {
		defer f.mu.Unlock()
		defer fh.mu.Unlock()
		herr := finish()
		err := f.err
		if err == nil {
			err = herr
		}
		return state{Applied: f.applied, Rev: f.rev, Hash: "sha256:" + hex.EncodeToString(h.Sum(nil)), Err: err}
	}
}

// hashChunk is how many objects the sorting goroutine of startHash hands
// on at a time: the unit one goroutine encodes (about 2.5 MB of Pods,
// a few milliseconds: hand-offs large enough to pay).
const hashChunk = 1024

// hashBatches is how many chunks' hash input may be on its way at once.
const hashBatches = 4

// hashBatch is hash input on its way to the hashing goroutine: buf, with
// bytes held elsewhere (an object's encoding that is already bytes)
// hashed by reference at their places in it.
type hashBatch struct {
	buf  []byte
	refs []hashRef
}

// hashRef is bytes hashed after buf[:at] (and after the refs before it).
type hashRef struct {
	at int
	b  []byte
}

func (hb *hashBatch) reset() {
	clear(hb.refs) // lets go of the bytes
	hb.buf, hb.refs = hb.buf[:0], hb.refs[:0]
}

// write writes the batch to h, in order.
func (hb *hashBatch) write(h io.Writer) {
	last := 0
	for _, r := range hb.refs {
		_, _ = h.Write(hb.buf[last:r.at]) // a hash.Hash never fails
		_, _ = h.Write(r.b)
		last = r.at
	}
	_, _ = h.Write(hb.buf[last:])
}

// add appends the hash input of the object c: the length-prefixed
// "Kind/key", then the length-prefixed encoding, a typed object encoded
// straight into buf. If c cannot be encoded, the batch is left as it was.
func (hb *hashBatch) add(c cell) error {
	if hb.buf == nil {
		hb.buf = make([]byte, 0, 1<<18)
	}
	start := len(hb.buf)
	buf := binary.AppendUvarint(hb.buf, uint64(len(c.kind)+1+len(c.key)))
	buf = append(append(append(buf, c.kind...), '/'), c.key...)
	switch v := c.v.(type) {
	case *encoded:
		buf = hb.ref(buf, v.b)
	case *store.Encoding:
		buf = hb.ref(buf, v.Bytes)
	default:
		var err error
		if buf, err = appendEncoding(buf, v, true); err != nil {
			hb.buf = buf[:start]
			return fmt.Errorf("etcd: %s %s: %w", c.kind, c.key, err)
		}
	}
	hb.buf = buf
	return nil
}

// ref appends b's length to buf and b as a reference after it.
func (hb *hashBatch) ref(buf, b []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	hb.refs = append(hb.refs, hashRef{at: len(buf), b: b})
	return buf
}

// startHash writes the content's hash input to h: per object in
// "Kind/key" order, the length-prefixed "Kind/key" and the length-prefixed
// encoding. At the end of a run that is every object of the cluster, so
// it runs as three stages: one goroutine sorts the objects of content by
// kind and key and hands them on in chunks; encoding goroutines, to which
// the caller, the simulation's goroutine (which waits for this anyway),
// hands the chunks, gather their hash input in batches, one a chunk,
// encoding each typed object straight into a batch's buffer and referring
// to a packed Event's encoding as it is; another goroutine writes each
// batch to h (see gatherHash). Only the caller writes to the objects
// (encoding may, see encode); it holds the FSM's mutex, so the content
// does not change, and bytes already encoded are immutable.
//
// SHA-256 over the content was a quarter of what the hash cost the
// caller (0.31 of 1.21 CPU-s at 5,000 nodes / 150,000 pods). Gathering
// chunks' encodings in buffers grown from nothing (as this once did) cost
// more in copies and growth than the hashing it took off: the batches
// here go round, a typed object's encoding is written once, into one of
// them, and encoded bytes are not copied.
// It does so in two calls: it starts the sorting goroutine and returns
// the caller's part, which must be called (it ends the
// goroutines). In between the caller may do anything that neither writes
// the objects of content nor changes content itself: the sorting reads
// only the cells and their keys. At the end of a run the caller builds
// the rest of its report there, while the objects are grouped and the
// largest kinds sorted (0.1 and 0.44 CPU-s at 5,000 nodes / 150,000
// pods), which it waited for before.
func startHash(h io.Writer, content iter.Seq[cell]) func() error {
	todo := make(chan []cell, 2)
	go sortCells(content, todo)
	return func() error { return gatherHash(h, todo) }
}

// gatherHash is the caller's part of startHash: the sorted chunks of
// todo are encoded, each into a batch of hash input, by hashEncoders
// goroutines side by side, and another goroutine writes the batches to h
// in the chunks' order. Encoding may write to an object (see encode) and
// the store's objects share parts, so the caller, the one goroutine that
// may write them, first formats every Quantity of a chunk
// (warmQuantities) and then hands it on: the encoders only read the
// objects, and a Quantity the caller formats in a later chunk is not one
// an encoder reads in an earlier one (that one was formatted with its
// chunk). The bytes hashed are the same whichever encoder encodes a
// chunk. (The caller once encoded every other chunk itself and handed
// the others to one goroutine, with one more queued: the hashing
// goroutine, which takes the chunks in order, waited behind the queued
// one and the caller, its batches all on their way, behind the hashing.
// In a runtime trace of the report at 5,000 nodes / 150,000 pods, on a
// loaded machine, the encoding goroutine ran alone for 0.45 of 3.4 s.)
// Encoding the Pods was 0.62 of the caller's 0.89 CPU-s at 5,000 nodes /
// 150,000 pods.
func gatherHash(h io.Writer, todo <-chan []cell) error {
	order, free := make(chan *hashUnit, hashBatches), make(chan *hashBatch, hashBatches)
	for range hashBatches {
		free <- &hashBatch{}
	}
	hashed := make(chan error)
	go func() { // hashes, up to the first object that cannot be encoded
		var err error
		for u := range order {
			<-u.done
			if err == nil {
				u.hb.write(h)
				err = u.err
			}
			u.hb.reset()
			free <- u.hb
		}
		hashed <- err
	}()
	work := make(chan *hashUnit, hashBatches) // a unit holds a batch: sends do not wait
	var encoders sync.WaitGroup
	for range hashEncoders {
		encoders.Go(func() {
			for u := range work {
				u.encode()
			}
		})
	}
	for chunk := range todo {
		u := &hashUnit{cells: chunk, hb: <-free, done: make(chan struct{})}
		for _, c := range chunk {
			warmQuantities(c.v)
		}
		order <- u
		work <- u
	}
	close(work)
	close(order)
	encoders.Wait()
	return <-hashed
}

// hashEncoders is how many goroutines encode a hash's chunks: one per
// core of the machines kubesim is measured on (two). Beside them the
// caller only formats Quantities, and the hashing goroutine needs about
// a third of what they do (0.34 against 0.88 CPU-s at 5,000 nodes /
// 150,000 pods).
const hashEncoders = 2

// hashUnit is a chunk of sorted objects and the batch its hash input is
// encoded into.
type hashUnit struct {
	cells []cell
	hb    *hashBatch
	err   error         // the object the batch stops before
	done  chan struct{} // closed once encoded
}

// encode encodes the chunk into its batch, up to the first object that
// cannot be encoded.
func (u *hashUnit) encode() {
	defer close(u.done)
	for _, c := range u.cells {
		if u.err = u.hb.add(c); u.err != nil {
			return
		}
	}
}

// sortCells sends the objects of content to todo in "Kind/key" order, in
// chunks of hashChunk, and closes it. Each kind is sorted by a goroutine
// of its own, all at once: the largest kinds (Pods, Events) sort side by
// side, and the kinds before them are handed on, to be encoded and
// hashed, while they sort (one goroutine sorting everything kept the
// caller waiting for all of it: 0.49 s at 150,000 pods).
func sortCells(content iter.Seq[cell], todo chan<- []cell) {
	defer close(todo)
	kinds := byKind(content)
	done := make([]chan struct{}, len(kinds))
	for i, k := range kinds {
		done[i] = make(chan struct{})
		go func() {
			defer close(done[i])
			sortKeys(k)
		}()
	}
	for i := range kinds {
		<-done[i]
		items := kinds[i]
		for len(items) > 0 {
			n := min(len(items), hashChunk)
			todo <- items[:n:n]
			items = items[n:]
		}
	}
}

// sortKeys sorts the objects of one kind by key, in place. The keys are
// first copied side by side into one string, and the sort moves small
// pointer-free records of where each key lies in it: the store's keys lie
// each beside its object, scattered over the heap, so comparing them was
// mostly cache misses, and moving the cells themselves (three pointers
// each) write barriers while the collector runs. The cells are then put
// in that order by following the permutation's cycles (a sorted copy was
// 30 MB more at the end of a run at 5,000 nodes / 150,000 pods), and
// given their keys in that string: the caller reads them from there, to
// hash them. (At 2,000 nodes / 60,000 pods the caller's CPU per hash went
// from 0.36 to 0.28 s.)
func sortKeys(cells []cell) {
	type place struct {
		at   int // in keys
		n, i int32
	}
	places := make([]place, len(cells))
	var b strings.Builder
	size := 0
	for _, c := range cells {
		size += len(c.key)
	}
	b.Grow(size)
	for i, c := range cells {
		places[i] = place{b.Len(), int32(len(c.key)), int32(i)}
		b.WriteString(c.key)
	}
	keys := b.String()
	key := func(p place) string { return keys[p.at : p.at+int(p.n)] }
	slices.SortFunc(places, func(a, b place) int { return strings.Compare(key(a), key(b)) })
	for start := range places { // cells[j] becomes the cell at places[j].i
		if places[start].i < 0 {
			continue // placed
		}
		first := cells[start]
		j := start
		for {
			from := int(places[j].i)
			places[j].i = -1
			if from == start {
				cells[j] = first
				break
			}
			cells[j], j = cells[from], from
		}
	}
	for j, p := range places {
		cells[j].key = key(p)
	}
}

// byKind is the objects of content by kind, the kinds in order.
func byKind(content iter.Seq[cell]) [][]cell {
	var names []string
	var counts []int
	for c := range content {
		k := slices.Index(names, c.kind) // a few kinds, their names mostly the same strings
		if k < 0 {
			k = len(names)
			names, counts = append(names, c.kind), append(counts, 0)
		}
		counts[k]++
	}
	kinds := make([][]cell, len(names))
	for k, n := range counts {
		kinds[k] = make([]cell, 0, n)
	}
	for c := range content {
		k := slices.Index(names, c.kind)
		kinds[k] = append(kinds[k], c)
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	out := make([][]cell, len(order))
	for i, k := range order {
		out[i] = kinds[k]
	}
	return out
}

// cmpCell orders objects by kind, then key: the order of their "Kind/key"
// strings (kinds are letters only and '/' sorts before every letter).
func cmpCell(a, b cell) int {
	if c := strings.Compare(a.kind, b.kind); c != 0 {
		return c
	}
	return strings.Compare(a.key, b.key)
}

// sameContent reports whether f holds exactly what o holds, deciding it
// by identity: the same batches applied and either the same history (the
// same content at the same version) or, in different histories, the same
// keys with each value the same object (members that applied the same
// entries share them). It may answer false for equal content held in
// different copies (a member restored from a snapshot); its hash is then
// computed.
func (f *fsm) sameContent(o *fsm) bool {
	if f == o {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	if f.err != nil || o.err != nil || f.applied != o.applied || f.rev != o.rev {
		return false
	}
	fh := f.lockHist()
	defer fh.mu.Unlock()
	if fh == o.h && o.h.evicted[o] == nil {
		return true
	}
	oh := o.lockHist()
	defer oh.mu.Unlock()
	fd, od := fh.at(f.applied), oh.at(o.applied)
	if len(fd) < len(od) {
		fd, od = od, fd
	}
	for i, c := range fd {
		if i >= len(od) {
			if c.v != nil {
				return false
			}
			continue
		}
		if c != od[i] {
			return false
		}
	}
	return true
}

// objects decodes the whole content (etcdctl snapshot save), in key order.
func (f *fsm) objects() ([]store.Object, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.lockHist()
	defer h.mu.Unlock()
	var cells []cell
	for _, c := range h.at(f.applied) {
		if c.v != nil {
			cells = append(cells, c)
		}
	}
	slices.SortFunc(cells, cmpCell)
	out := make([]store.Object, 0, len(cells))
	var buf []byte
	for _, c := range cells {
		var err error
		if buf, err = encode(buf[:0], c.v); err != nil {
			return nil, 0, err
		}
		obj, err := decodeObject(c.kind, buf)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, obj)
	}
	return out, f.rev, nil
}

// get returns the encoding of an object held (tests: no acknowledged
// write lost).
func (f *fsm) get(kind, key string) ([]byte, bool) {
	v, ok := f.value(kind, key)
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
	h := f.lockHist()
	defer h.mu.Unlock()
	return h.lookup(f.applied, kind, key)
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
