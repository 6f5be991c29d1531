package etcd

import (
	"maps"
	"slices"
	"sync"
)

// history is the content of the members that share it: one map of
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
type history struct {
	mu   sync.Mutex
	data map[string]map[string]value // kind -> key -> object, at version v
	v    uint64                      // sequence number of the last batch written into data
	// users are the members reading through the history, each at the
	// batch it applied last (their own index, copied here under mu so
	// that any member can find the oldest); images are the snapshot
	// images taken of it.
	users  []pin
	images []*fsmSnapshot
	// undo records, in the order of the changes, what each key changed
	// after the oldest version still read (by a user or an image) held
	// before the change, and in which batch it changed. The content at a
	// version a is data overlaid with, for each key, the first record of
	// a batch after a. Records no version needs any more are dropped as
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

func newHistory(data map[string]map[string]value, v uint64) *history {
	if data == nil {
		data = map[string]map[string]value{}
	}
	return &history{data: data, v: v, compactAt: minUndo}
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

// write sets key of kind to v (nil: deleted) in batch seq, recording what
// it held before if a user or image reads an earlier version. The caller
// holds h.mu and is the only user at version v.
func (h *history) write(seq uint64, kind, key string, v value) {
	m := h.data[kind]
	if m == nil {
		m = map[string]value{}
		h.data[kind] = m
	}
	if len(h.users) > 1 || len(h.images) > 0 {
		old, had := m[key]
		if len(h.undo) >= h.compactAt {
			h.compact()
		}
		h.undo = append(h.undo, undoRec{seq: seq, kind: kind, key: key, undoVal: undoVal{v: old, ok: had}})
	}
	if v == nil {
		delete(m, key)
	} else {
		m[key] = v
	}
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
// (or the oldest user's) only each key's first record matters. A user so
// far behind that the records after it outnumber the objects (a copy of
// its content would be smaller) is evicted first. The caller holds h.mu.
func (h *history) compact() {
	h.trim(true)
	if n := h.objects(); len(h.undo) > max(minUndo, n) {
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
	seen := make(map[undoKey]struct{})
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
		k := undoKey{r.kind, r.key}
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			kept = append(kept, r)
		}
	}
	clear(h.undo[len(kept):]) // let go of the dropped values
	h.undo = kept
	h.compactAt = max(minUndo, 2*len(kept))
}

// objects is the number of objects in data. The caller holds h.mu.
func (h *history) objects() int {
	n := 0
	for _, m := range h.data {
		n += len(m)
	}
	return n
}

// evict gives the users at the oldest version before v (a member stopped
// or cut off) a history of their own holding a copy of their content,
// and drops the records only they needed. The caller holds h.mu.
func (h *history) evict() {
	oldest := h.oldestUser()
	if oldest == h.v {
		return
	}
	var own *history
	h.users = slices.DeleteFunc(h.users, func(p pin) bool {
		if p.at != oldest {
			return false
		}
		if own == nil {
			own = newHistory(h.at(oldest), oldest)
		} else {
			own = newHistory(maps.Clone(own.data), oldest) // one each: they move on separately
			for kind, m := range own.data {
				own.data[kind] = maps.Clone(m)
			}
		}
		own.join(p.f, oldest)
		if h.evicted == nil {
			h.evicted = map[*fsm]*history{}
		}
		h.evicted[p.f] = own
		return true
	})
	h.trim(true)
}

// taken is, for every key changed after version a, what it held at a:
// kind -> key -> value. The caller holds h.mu.
func (h *history) taken(a uint64) map[string]map[string]undoVal {
	out := map[string]map[string]undoVal{}
	for _, r := range h.undo {
		if r.seq <= a {
			continue
		}
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

// each calls fn for every object of the content at version a (at most
// v), in no particular order. The caller holds h.mu.
func (h *history) each(a uint64, fn func(kind, key string, v value)) {
	if a == h.v {
		for kind, m := range h.data {
			for k, v := range m {
				fn(kind, k, v)
			}
		}
		return
	}
	undo := h.taken(a)
	for kind, m := range h.data {
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
		m := h.data[kind]
		for k, old := range u {
			if _, now := m[k]; !now && old.ok {
				fn(kind, k, old.v) // deleted since
			}
		}
	}
}

// at is the content at version a: data itself at v, else a copy. The
// caller holds h.mu and does not change the result.
func (h *history) at(a uint64) map[string]map[string]value {
	if a == h.v {
		return h.data
	}
	out := map[string]map[string]value{}
	h.each(a, func(kind, key string, v value) {
		if out[kind] == nil {
			out[kind] = map[string]value{}
		}
		out[kind][key] = v
	})
	return out
}

// lookup is what key of kind held at version a. The caller holds h.mu.
func (h *history) lookup(a uint64, kind, key string) (value, bool) {
	if a < h.v {
		for _, r := range h.undo {
			if r.seq > a && r.kind == kind && r.key == key {
				return r.v, r.ok
			}
		}
	}
	v, ok := h.data[kind][key]
	return v, ok
}
