package store

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// A keyMap finds, refuses to insert twice and removes every key, whether
// the keys' hashes differ, collide, or place keys in one run of slots
// (at the end of the array, wrapping round to its start): each step of a
// case is an insert, a removal or a check of which keys are there, the
// hashes given by the case. A first array has minKeySlots slots, so 15
// is the last slot's place and 31 the same place again.
func TestKeyMap(t *testing.T) {
	type step struct {
		op  string // "insert", "dup" (an insert refused), "remove"
		key string
	}
	cases := []struct {
		name  string
		hash  map[string]uint64
		steps []step
		want  []string // the keys there at the end
	}{
		{"distinct hashes", map[string]uint64{"a": 1, "b": 2, "c": 3},
			[]step{{"insert", "a"}, {"insert", "b"}, {"dup", "a"}, {"insert", "c"}, {"remove", "b"}},
			[]string{"a", "c"}},
		{"collision takes the next slot", map[string]uint64{"a": 7, "b": 7},
			[]step{{"insert", "a"}, {"insert", "b"}, {"dup", "a"}, {"dup", "b"}},
			[]string{"a", "b"}},
		{"removing the second key of a hash", map[string]uint64{"a": 7, "b": 7},
			[]step{{"insert", "a"}, {"insert", "b"}, {"remove", "b"}, {"insert", "b"}},
			[]string{"a", "b"}},
		{"removing the first key leaves the others found", map[string]uint64{"a": 7, "b": 7, "c": 7},
			[]step{{"insert", "a"}, {"insert", "b"}, {"remove", "a"}, {"dup", "b"}, {"insert", "c"}, {"insert", "a"}},
			[]string{"a", "b", "c"}},
		{"everything removed", map[string]uint64{"a": 7, "b": 7, "c": 8},
			[]step{{"insert", "a"}, {"insert", "b"}, {"insert", "c"}, {"remove", "a"}, {"remove", "b"}, {"remove", "c"}},
			nil},
		{"a run wraps round the end of the array", map[string]uint64{"a": 15, "b": 31, "c": 14, "d": 0},
			[]step{{"insert", "a"}, {"insert", "b"}, {"insert", "c"}, {"insert", "d"}, {"remove", "a"},
				{"dup", "b"}, {"dup", "d"}, {"remove", "c"}, {"dup", "b"}, {"insert", "a"}},
			[]string{"a", "b", "d"}},
		{"a slot at its own place is not moved back", map[string]uint64{"a": 3, "b": 3, "c": 4, "d": 5},
			[]step{{"insert", "a"}, {"insert", "c"}, {"insert", "b"}, {"insert", "d"}, {"remove", "a"},
				{"dup", "b"}, {"dup", "c"}, {"dup", "d"}, {"remove", "c"}, {"dup", "d"}},
			[]string{"b", "d"}},
	}
	for _, c := range cases {
		for _, packs := range []bool{false, true} { // entries allocated one by one, or cut from slabs
			t.Run(fmt.Sprintf("%s/packs=%v", c.name, packs), func(t *testing.T) {
				m := newKeyMap(packs)
				ents := map[string]*entry{}
				for _, st := range c.steps {
					h := c.hash[st.key]
					switch st.op {
					case "insert":
						e := m.insertAt(h, st.key)
						require.NotNil(t, e, st.key)
						require.Equal(t, st.key, e.key)
						ents[st.key] = e
					case "dup":
						require.Nil(t, m.insertAt(h, st.key), st.key)
					case "remove":
						m.removeAt(h, ents[st.key])
						delete(ents, st.key)
					}
				}
				var got []string
				m.each(func(e *entry) { got = append(got, e.key) })
				slices.Sort(got)
				require.Equal(t, c.want, got)
				require.Equal(t, len(c.want), m.len())
				for key, h := range c.hash {
					want := ents[key] // nil if not there
					require.Same(t, want, m.getAt(h, key), key)
					require.Same(t, want, m.getBytesAt(h, []byte(key)), key)
				}
			})
		}
	}
}

// The map's own hash finds a key from its string and from its bytes.
func TestKeyMapHashesStringsAndBytesAlike(t *testing.T) {
	m := newKeyMap(false)
	e := m.insert("default/web-1")
	require.Same(t, e, m.get("default/web-1"))
	require.Same(t, e, m.getBytes([]byte("default/web-1")))
	require.Nil(t, m.get("default/web-2"))
	require.Nil(t, m.insert("default/web-1"))
	m.remove(e)
	require.Nil(t, m.getBytes([]byte("default/web-1")))
	require.Zero(t, m.len())
}

// A keyMap grows past its first array and through many removals keeps
// finding every key it holds, and none it does not.
func TestKeyMapGrowsAndShrinks(t *testing.T) {
	m := newKeyMap(false)
	ents := map[string]*entry{}
	for i := range 1000 {
		key := fmt.Sprintf("default/pod-%d", i)
		ents[key] = m.insert(key)
		require.NotNil(t, ents[key], key)
	}
	for i := 0; i < 1000; i += 3 {
		key := fmt.Sprintf("default/pod-%d", i)
		m.remove(ents[key])
		delete(ents, key)
	}
	require.Equal(t, len(ents), m.len())
	for i := range 1000 {
		key := fmt.Sprintf("default/pod-%d", i)
		require.Same(t, ents[key], m.get(key), key)
	}
}

// BenchmarkKeyMap creates as many Events as a 5,000-node run keeps
// (five a pod) and looks each up once: lookups of a table far larger
// than the caches.
func BenchmarkKeyMap(b *testing.B) {
	const n = 750_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("default/web-%d-%x.%x", i/5, i*2654435761, i)
	}
	b.ReportAllocs()
	for b.Loop() {
		m := newKeyMap(true)
		for _, k := range keys {
			m.insert(k)
		}
		for _, k := range keys {
			if m.get(k) == nil {
				b.Fatal(k)
			}
		}
	}
}
