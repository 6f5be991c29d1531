package etcd

import (
	"iter"
	"slices"
	"sync"
)

// history is the content of the members that share it: one array of
// objects for all of them instead of one each.
//
// Every member applies the same committed raft entries in the same
// order, and a batch's sequence number names one batch (a retried entry
// carries the same bytes), so the content after batch n is the same on
// every member. The first member to apply a batch (the leader, nearly
// always) writes it into data; a member that applies it later only checks
// the entry as before and moves its own applied index on. A member (or a
// snapshot image) behind the first one reads data overlaid with undo: for
// each key changed since its version, what the key held then. Three
// members' maps were 163 MiB of pointer-dense live heap at 5,000 nodes /
// 150,000 pods, and the three members' map writes and lookups most of
// what etcd's goroutines cost.
//
// A member that starts afresh (a restart) or restores a snapshot gets a
// history of its own: it does not share values with the others (its
// content is compared by hash, as any copy is).
//
// The content is an array by the store's slot of each object
// (store.Mutation.Slot), not a map by kind and key: every write of a map
// of 150,000 pods looked a cold bucket up twice (what the key held, then
// the store), hashing the key each time, 1.8 CPU-s of raft's goroutines
// at 5,000 nodes; a write by slot is one store into the array. The array
// is in pages of cellPage slots, which never move: one array grown by
// append copied itself over and over as the cluster grew (a third of
// what writes cost).
type history struct {
	mu    sync.Mutex
	pages [][]cell // by slot, at version v; a slot beyond them is empty
	n     int      // objects held
	v     uint64   // sequence number of the last batch written
	// users are the members reading through the history, each at the
	// batch it applied last (their own index, copied here under mu so
	// that any member can find the oldest); images are the snapshot
	// images taken of it.
	users  []pin
	images []*fsmSnapshot
	// undo records, in the order of the changes, what each slot changed
	// after the oldest version still read (by a user or an image) held
	// before the change, and in which batch it changed. The content at a
	// version a is cells overlaid with, for each slot, the first record
	// of a batch after a. Records no version needs any more are dropped as
	// the readers move on (trim); the redundant ones of a long-kept
	// version are dropped when the log reaches compactAt (compact), which
	// then doubles what it kept, so the log stays within twice the keys
	// changed (or minUndo) at an amortized constant cost per change.
	undo      []undoRec
	compactAt int
	// evicted are the users that fell so far behind that their records
	// would outgrow a copy of the content, each with the history of its
	// own it moves to (fsm.lockHist).
	evicted map[*fsm]*history
}

// pin is a user of a history and the version it reads.
type pin struct {
	f  *fsm
	at uint64
}

// cell is what a slot holds: an object's kind, key and value (nil:
// the slot is empty).
type cell struct {
	kind, key string
	v         value
}

// cellPage is the number of slots in a page of a history.
const cellPage = 1024

// newHistory returns a history holding cells (by slot) at version v.
func newHistory(cells []cell, v uint64) *history {
	h := &history{v: v, compactAt: minUndo}
	for slot, c := range cells {
		if c.v != nil {
			*h.cell(int32(slot)) = c
			h.n++
		}
	}
	return h
}

// cell is the cell of slot, its page added if new. The caller holds
// h.mu.
func (h *history) cell(slot int32) *cell {
	p := int(slot) / cellPage
	for p >= len(h.pages) {
		h.pages = append(h.pages, make([]cell, cellPage))
	}
	return &h.pages[p][int(slot)%cellPage]
}

// join makes f a user of h at version at. The caller holds h.mu.
func (h *history) join(f *fsm, at uint64) {
	h.users = append(h.users, pin{f, at})
}

// leave stops f reading through h. The caller holds h.mu.
func (h *history) leave(f *fsm) {
	h.users = slices.DeleteFunc(h.users, func(p pin) bool { return p.f == f })
	h.trim(false)
}

// moved records that user f now reads version at. The caller holds h.mu.
func (h *history) moved(f *fsm, at uint64) {
	for i := range h.users {
		if h.users[i].f == f {
			h.users[i].at = at
		}
	}
}

// write sets slot to key of kind holding v (nil: deleted, the slot
// emptied) in batch seq, recording what the slot held before if a user
// or image reads an earlier version. The caller holds h.mu and is the
// only user at version v.
func (h *history) write(seq uint64, slot int32, kind, key string, v value) {
	c := h.cell(slot)
	if len(h.users) > 1 || len(h.images) > 0 {
		if len(h.undo) >= h.compactAt {
			h.compact()
		}
		h.undo = append(h.undo, undoRec{seq: seq, slot: slot, cell: *c})
	}
	if c.v != nil {
		h.n--
	}
	if v == nil {
		*c = cell{}
		return
	}
	*c = cell{kind, key, v}
	h.n++
}

// oldestUser is the version the furthest-behind user reads (v without
// users). The caller holds h.mu.
func (h *history) oldestUser() uint64 {
	oldest := h.v
	for _, p := range h.users {
		oldest = min(oldest, p.at)
	}
	return oldest
}

// trim drops the undo records of batches every reader already has
// (records that old are harmless to every other method but compact's).
// The log is moved down in place, so that it keeps its capacity; unless
// forced, that waits until the records dropped are at least half of it
// (amortized: a member a few entries behind would move the rest at every
// entry). The caller holds h.mu.
func (h *history) trim(force bool) {
	oldest := h.oldestUser()
	for _, img := range h.images {
		oldest = min(oldest, img.applied)
	}
	n := 0
	for n < len(h.undo) && h.undo[n].seq <= oldest {
		n++
	}
	if n == 0 || (!force && n < len(h.undo) && 2*n < len(h.undo)) {
		return
	}
	k := copy(h.undo, h.undo[n:])
	clear(h.undo[k:]) // let go of the values
	h.undo = h.undo[:k]
}

// compact drops the records no reader needs and sets the length of the
// next compaction to twice what is left. A user moves on through every
// version after its own, and may need any record after it; an image
// reads one version, so between an image's version and the next image's
// (or the oldest user's) only each slot's first record matters. A user so
// far behind that the records after it outnumber the objects (a copy of
// its content would be smaller) is evicted first. The caller holds h.mu.
func (h *history) compact() {
	h.trim(true)
	if len(h.undo) > max(minUndo, h.n) {
		h.evict()
	}
	users := h.oldestUser()
	var pins []uint64 // the images' versions before users, in order, each once
	for _, img := range h.images {
		if img.applied < users {
			pins = append(pins, img.applied)
		}
	}
	slices.Sort(pins)
	pins = append(slices.Compact(pins), users)
	seen := make(map[int32]struct{})
	kept := h.undo[:0]
	p := 0 // the records of batches in (pins[p], pins[p+1]] are read only by pins[p]
	for _, r := range h.undo {
		if r.seq > users {
			kept = append(kept, r)
			continue
		}
		for p+1 < len(pins) && r.seq > pins[p+1] {
			p++
			clear(seen)
		}
		if _, dup := seen[r.slot]; !dup {
			seen[r.slot] = struct{}{}
			kept = append(kept, r)
		}
	}
	clear(h.undo[len(kept):]) // let go of the dropped values
	h.undo = kept
	h.compactAt = max(minUndo, 2*len(kept))
}

// evict gives the users at the oldest version before v (a member stopped
// or cut off) a history of their own holding a copy of their content,
// and drops the records only they needed. The caller holds h.mu.
func (h *history) evict() {
	oldest := h.oldestUser()
	if oldest == h.v {
		return
	}
	h.users = slices.DeleteFunc(h.users, func(p pin) bool {
		if p.at != oldest {
			return false
		}
		own := newHistory(h.at(oldest), oldest) // a copy each: they move on separately
		own.join(p.f, oldest)
		if h.evicted == nil {
			h.evicted = map[*fsm]*history{}
		}
		h.evicted[p.f] = own
		return true
	})
	h.trim(true)
}

// at is a copy of the content at version a (at most v), by slot: the
// pages overlaid with what the slots changed since a held at a. The
// caller holds h.mu.
func (h *history) at(a uint64) []cell {
	out := make([]cell, 0, len(h.pages)*cellPage)
	for _, p := range h.pages {
		out = append(out, p...)
	}
	seen := map[int32]bool{}
	for _, r := range h.undo {
		if r.seq > a && !seen[r.slot] {
			seen[r.slot] = true
			out[r.slot] = r.cell
		}
	}
	return out
}

// content is the objects held at version a (at most v), in slot order:
// the non-empty cells of at(a), read in place instead of copied (at the
// end of a run the copy was a fifth of what gathering the content for
// its hash cost). It may be ranged over more than once. The caller holds
// h.mu until it is done with it.
func (h *history) content(a uint64) iter.Seq[cell] {
	var over map[int32]cell // the first record of each slot changed after a
	for _, r := range h.undo {
		if r.seq <= a {
			continue
		}
		if over == nil {
			over = map[int32]cell{}
		}
		if _, ok := over[r.slot]; !ok {
			over[r.slot] = r.cell
		}
	}
	return func(yield func(cell) bool) {
		for p, page := range h.pages {
			for i, c := range page {
				if o, ok := over[int32(p*cellPage+i)]; ok {
					c = o
				}
				if c.v != nil && !yield(c) {
					return
				}
			}
		}
	}
}

// lookup is what key of kind held at version a. The caller holds h.mu.
func (h *history) lookup(a uint64, kind, key string) (value, bool) {
	for _, c := range h.at(a) {
		if c.v != nil && c.kind == kind && c.key == key {
			return c.v, true
		}
	}
	return nil, false
}
