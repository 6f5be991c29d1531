package etcd

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/store"
)

// TestCodecTakesLentEncoding: an object a writer lent the store
// (store.CreateFrom) comes with its encoding and no object; the batch
// shares that encoding as the object's value, and it is a write, not a
// deletion.
func TestCodecTakesLentEncoding(t *testing.T) {
	enc := &store.Encoding{Bytes: []byte("an Event's encoding")}
	batch := []store.Mutation{{Rev: 5, Type: store.Added, Kind: "Event", Key: "default/e.1", Encoded: enc}}
	data, vals, err := encodeBatch(nil, nil, 1, batch)
	require.NoError(t, err)
	require.Len(t, vals, 1)
	require.Same(t, enc, vals[0].value, "the store's encoding, shared as it is")
	got0, err := encode(nil, vals[0].value)
	require.NoError(t, err)
	require.Equal(t, enc.Bytes, got0)
	var got []entry
	_, _, err = decodeBatch(data, func(_ uint64, e entry) { got = append(got, e) })
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, store.Added, got[0].typ)
	require.Equal(t, "default/e.1", vals[0].key)
}

// TestEncodingWithRoomToSpare: the content hash encodes a typed object at
// the end of all the room its buffer has and moves it to its place
// (appendMarshaled); for every kind the store holds, that is exactly the
// encoding of the object sized first, whether the buffer has room to
// spare, is too small for the object (a marshaller then fails, and the
// object is sized), or has none.
func TestEncodingWithRoomToSpare(t *testing.T) {
	rooms := []struct {
		name      string
		len, room int
	}{
		{"room to spare", 3, 1 << 16},
		{"too small for the object", 3, minRoom},
		{"below minRoom", 3, minRoom - 1},
		{"no spare capacity", 0, 0},
	}
	for _, kind := range store.Kinds() {
		info, _ := store.LookupKind(kind)
		obj := info.New()
		obj.SetNamespace("default")
		obj.SetName("an-object")
		obj.SetLabels(map[string]string{"app": "web"})
		obj.SetAnnotations(map[string]string{"note": strings.Repeat("x", 2*minRoom)}) // larger than minRoom
		m, ok := obj.(protoMarshaler)
		if !ok {
			continue
		}
		want := make([]byte, m.Size())
		_, err := m.MarshalToSizedBuffer(want)
		require.NoError(t, err, kind)
		want = append(binary.AppendUvarint([]byte("pfx"), uint64(len(want))), want...)
		for _, r := range rooms {
			buf := append(make([]byte, 0, r.len+r.room), "pfx"[:r.len]...)
			got, err := appendEncoding(buf, obj, true)
			require.NoError(t, err, "%s, %s", kind, r.name)
			require.Equal(t, want[3-r.len:], got, "%s, %s", kind, r.name)
		}
	}
}
