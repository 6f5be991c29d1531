package etcd

import (
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
