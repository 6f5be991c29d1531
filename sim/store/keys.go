package store

import "hash/maphash"

// keyMap is a table's entries by key: an open-addressed table of the
// keys' 64-bit hashes and their entries, probed linearly.
//
// A map keyed by the key strings hashed each key at every lookup and
// compared it whole with the key found, read from wherever the key's
// bytes were allocated; a create looked the key up, then hashed it again
// to insert it. A Go map keyed by the hash (what this was before) cost
// a walk through its directory and one of its tables to the group that
// holds the slot: two or three cold cache lines per lookup of a table of
// a million Events, where a slot of this table is found at its hash's
// place, one cold line (and the next, now and then). A slot holds the
// hash beside the entry, so that probing past other keys' slots reads
// none of their entries, and a create hashes its key once. Two keys
// with the same hash take two slots, told apart by the entries' keys.
//
// The hash places entries and nothing else: nothing reads the entries in
// the table's order (List sorts them), so the seed, chosen per process
// as Go's maps choose theirs, changes no outcome.
type keyMap struct {
	slots []keySlot // a power of two of them, or none
	n     int       // the slots in use
	// slab, for a kind kept packed, is the room the next entries are cut
	// from, nil for any other kind (see newEntry).
	slab []entry
}

// keySlot is one slot of a keyMap: an entry and its key's hash, e nil
// if the slot is free.
type keySlot struct {
	h uint64
	e *entry
}

// minKeySlots is the size of a keyMap's first array of slots.
const minKeySlots = 16

// keySeed seeds the hash of every table's keys.
var keySeed = maphash.MakeSeed()

// hashKey is the hash of key the map keeps its entry by.
func hashKey(key string) uint64 { return maphash.String(keySeed, key) }

// newKeyMap is an empty keyMap, its entries cut from slabs if packs.
func newKeyMap(packs bool) keyMap {
	m := keyMap{}
	if packs {
		m.slab = []entry{}
	}
	return m
}

// entrySlab is the number of entries in a slab of them (4.5 KiB).
const entrySlab = 64

// newEntry is a new entry for key. An Event's (a kind kept packed) is cut
// from a slab, as its encoding is (see encSlab): there are five or six a
// pod, each its own object was one more the collector found and swept,
// and Events are created and expire in time order, so a slab's entries
// go at about the same time (a removed one keeps only its key).
func (m *keyMap) newEntry(key string) *entry {
	if m.slab == nil {
		return &entry{key: key}
	}
	if len(m.slab) == 0 {
		m.slab = make([]entry, entrySlab)
	}
	e := &m.slab[0]
	m.slab = m.slab[1:]
	e.key = key
	return e
}

func (m *keyMap) len() int { return m.n }

// get is the entry of key, nil if there is none.
func (m *keyMap) get(key string) *entry { return m.getAt(hashKey(key), key) }

// getBytes is get of a key being built in a reused buffer: nothing is
// allocated to look it up (maphash.Bytes hashes as String does).
func (m *keyMap) getBytes(key []byte) *entry {
	return m.getBytesAt(maphash.Bytes(keySeed, key), key)
}

// insert adds a new entry for key and returns it; nil if key has an
// entry already. The key is hashed once.
func (m *keyMap) insert(key string) *entry { return m.insertAt(hashKey(key), key) }

// remove drops e, an entry of the map.
func (m *keyMap) remove(e *entry) { m.removeAt(hashKey(e.key), e) }

// each calls fn with every entry, in no particular order.
func (m *keyMap) each(fn func(*entry)) {
	for _, sl := range m.slots {
		if sl.e != nil {
			fn(sl.e)
		}
	}
}

// The methods below take the key's hash h: the tests give two keys one
// hash to exercise their probing.

// mask is the index of the last slot (the slots are a power of two).
func (m *keyMap) mask() uint64 { return uint64(len(m.slots) - 1) }

func (m *keyMap) getAt(h uint64, key string) *entry {
	if m.n == 0 {
		return nil
	}
	mask := m.mask()
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &m.slots[i]
		if sl.e == nil {
			return nil
		}
		if sl.h == h && sl.e.key == key {
			return sl.e
		}
	}
}

func (m *keyMap) getBytesAt(h uint64, key []byte) *entry {
	if m.n == 0 {
		return nil
	}
	mask := m.mask()
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &m.slots[i]
		if sl.e == nil {
			return nil
		}
		if sl.h == h && sl.e.key == string(key) {
			return sl.e
		}
	}
}

// insertAt probes once: the key is either found (then nil) or its
// probe ends at the free slot it takes.
func (m *keyMap) insertAt(h uint64, key string) *entry {
	if (m.n+1)*4 > len(m.slots)*3 {
		m.grow()
	}
	mask := m.mask()
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &m.slots[i]
		if sl.e == nil {
			e := m.newEntry(key)
			*sl = keySlot{h, e}
			m.n++
			return e
		}
		if sl.h == h && sl.e.key == key {
			return nil
		}
	}
}

// grow doubles the slots (at most three in four are used: a probe past
// a run of used slots stays short).
func (m *keyMap) grow() {
	old := m.slots
	m.slots = make([]keySlot, max(2*len(old), minKeySlots))
	mask := m.mask()
	for _, sl := range old {
		if sl.e == nil {
			continue
		}
		i := sl.h & mask
		for m.slots[i].e != nil {
			i = (i + 1) & mask
		}
		m.slots[i] = sl
	}
}

// removeAt frees e's slot, and moves back each slot of the run after it
// that its probe would not find past the free one (backward shift: no
// slot is marked deleted, so a probe still ends at the first free slot).
// e must be in the table (callers remove an entry they have just found):
// the probe for an absent one would not end.
func (m *keyMap) removeAt(h uint64, e *entry) {
	mask := m.mask()
	i := h & mask
	for m.slots[i].e != e {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; m.slots[j].e != nil; j = (j + 1) & mask {
		if home := m.slots[j].h & mask; between(i, home, j) {
			continue // found from its place before it reaches i
		}
		m.slots[i] = m.slots[j]
		i = j
	}
	m.slots[i] = keySlot{}
	m.n--
}

// between reports whether home lies in the cyclic range (i, j] of slot
// indexes: a slot at j whose probe starts at home passes i only if not.
func between(i, home, j uint64) bool {
	if i <= j {
		return i < home && home <= j
	}
	return i < home || home <= j
}
