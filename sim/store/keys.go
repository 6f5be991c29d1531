package store

import "hash/maphash"

// keyMap is a table's entries by key, kept by a 64-bit hash of the key.
//
// A map keyed by the key strings hashed each key at every lookup and
// compared it whole with the key found, read from wherever the key's
// bytes were allocated; a create looked the key up, then hashed it again
// to insert it, and every growth of the map (the Event table grows to
// five or six entries per pod) moved 24-byte slots and rehashed every key
// with them. Keyed by the hash, a slot is 16 bytes, growth rehashes a
// word, and a create hashes its key once. Two keys of one table with the
// same hash (about one chance in 10^8 in a run of a million objects) are
// told apart by spill, which holds every entry whose hash another
// entry's key holds in byHash.
//
// The hash places entries and nothing else: nothing reads the entries in
// the map's order (List sorts them), so the seed, chosen per process as
// Go's maps choose theirs, changes no outcome.
type keyMap struct {
	byHash map[uint64]*entry
	spill  map[string]*entry
	// slab, for a kind kept packed, is the room the next entries are cut
	// from, nil for any other kind (see newEntry).
	slab []entry
}

// keySeed seeds the hash of every table's keys.
var keySeed = maphash.MakeSeed()

// hashKey is the hash of key the map keeps its entry by.
func hashKey(key string) uint64 { return maphash.String(keySeed, key) }

// newKeyMap is an empty keyMap, its entries cut from slabs if packs.
func newKeyMap(packs bool) keyMap {
	m := keyMap{byHash: map[uint64]*entry{}}
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

func (m *keyMap) len() int { return len(m.byHash) + len(m.spill) }

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
	for _, e := range m.byHash {
		fn(e)
	}
	for _, e := range m.spill {
		fn(e)
	}
}

// The methods below take the key's hash h: the tests give two keys one
// hash to exercise spill.

func (m *keyMap) getAt(h uint64, key string) *entry {
	if e := m.byHash[h]; e != nil && e.key == key {
		return e
	}
	if len(m.spill) > 0 {
		return m.spill[key]
	}
	return nil
}

func (m *keyMap) getBytesAt(h uint64, key []byte) *entry {
	if e := m.byHash[h]; e != nil && e.key == string(key) {
		return e
	}
	if len(m.spill) > 0 {
		return m.spill[string(key)]
	}
	return nil
}

func (m *keyMap) insertAt(h uint64, key string) *entry {
	head := m.byHash[h]
	if head == nil {
		if len(m.spill) > 0 && m.spill[key] != nil {
			return nil // spilled while another key held h; that one went since
		}
		e := m.newEntry(key)
		m.byHash[h] = e
		return e
	}
	if head.key == key || m.spill[key] != nil {
		return nil
	}
	e := m.newEntry(key)
	if m.spill == nil {
		m.spill = map[string]*entry{}
	}
	m.spill[key] = e
	return e
}

func (m *keyMap) removeAt(h uint64, e *entry) {
	if m.byHash[h] == e {
		delete(m.byHash, h)
		return
	}
	delete(m.spill, e.key)
}
