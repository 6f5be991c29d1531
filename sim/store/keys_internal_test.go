package store

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// A keyMap finds, refuses to insert twice and removes every key, whether
// the keys' hashes differ or collide (then all but one key of a hash
// are spilled): each step of a case is an insert, a removal or a check
// of which keys are there, the hashes given by the case.
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
		{"collision spills the second key", map[string]uint64{"a": 7, "b": 7},
			[]step{{"insert", "a"}, {"insert", "b"}, {"dup", "a"}, {"dup", "b"}},
			[]string{"a", "b"}},
		{"removing the spilled key", map[string]uint64{"a": 7, "b": 7},
			[]step{{"insert", "a"}, {"insert", "b"}, {"remove", "b"}, {"insert", "b"}},
			[]string{"a", "b"}},
		{"removing the first key leaves the spilled one found", map[string]uint64{"a": 7, "b": 7, "c": 7},
			[]step{{"insert", "a"}, {"insert", "b"}, {"remove", "a"}, {"dup", "b"}, {"insert", "c"}, {"insert", "a"}},
			[]string{"a", "b", "c"}},
		{"everything removed", map[string]uint64{"a": 7, "b": 7, "c": 8},
			[]step{{"insert", "a"}, {"insert", "b"}, {"insert", "c"}, {"remove", "a"}, {"remove", "b"}, {"remove", "c"}},
			nil},
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
