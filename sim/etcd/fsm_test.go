package etcd

import (
	"bytes"
	"io"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/store"
)

// applyAll applies batches to f as raft would, one entry each.
func applyAll(t *testing.T, f *fsm, seq *uint64, batches ...[]store.Mutation) {
	t.Helper()
	for _, b := range batches {
		*seq++
		data, vals, _, err := encodeBatch(nil, nil, *seq, b)
		require.NoError(t, err)
		f.shared.put(*seq, vals)
		require.Nil(t, f.Apply(&raft.Log{Type: raft.LogCommand, Data: data}))
	}
}

// restored is a fresh FSM restored from the image's bytes.
func restored(t *testing.T, img raft.FSMSnapshot) *fsm {
	t.Helper()
	g := newFSM(newSharedTable())
	require.NoError(t, g.Restore(io.NopCloser(bytes.NewReader(img.(*fsmSnapshot).encode()))))
	return g
}

// A snapshot is the content at the moment it was taken, whatever the FSM
// applies afterwards (updates, creations, deletions, a key deleted and
// created again), without copying the state when it is taken.
func TestSnapshotIsPointInTime(t *testing.T) {
	w := newWriter()
	f := newFSM(newSharedTable())
	var seq uint64
	applyAll(t, f, &seq, []store.Mutation{w.put("a", "1"), w.put("b", "1"), w.put("c", "1")})
	want := f.state()

	img, err := f.Snapshot()
	require.NoError(t, err)
	applyAll(t, f, &seq, []store.Mutation{w.put("a", "2"), w.del("b"), w.put("d", "1")},
		[]store.Mutation{w.del("c"), w.put("c", "3"), w.put("a", "3")})
	after := f.state()
	require.NotEqual(t, want.Hash, after.Hash)

	got := restored(t, img).state()
	require.Equal(t, want.Hash, got.Hash, "the image still holds what the FSM held when it was taken")
	require.Equal(t, want.Applied, got.Applied)
	require.Equal(t, want.Rev, got.Rev)

	// A second image taken now is the new content; both are kept.
	img2, err := f.Snapshot()
	require.NoError(t, err)
	applyAll(t, f, &seq, []store.Mutation{w.put("e", "1"), w.del("a")})
	require.Equal(t, after.Hash, restored(t, img2).state().Hash)
	require.Equal(t, want.Hash, restored(t, img).state().Hash)

	// Once raft released an image no store kept, the FSM stops recording
	// for it.
	require.Len(t, f.images, 2)
	img.Release()
	require.Len(t, f.images, 1)

	// An FSM replaced wholesale (a snapshot installed from the leader)
	// gives its kept images their own content first.
	img2.(*fsmSnapshot).kept = true
	img2.Release()
	require.Len(t, f.images, 1)
	other := newFSM(newSharedTable())
	var oseq uint64
	applyAll(t, other, &oseq, []store.Mutation{w.put("z", "9")})
	oimg, err := other.Snapshot()
	require.NoError(t, err)
	require.NoError(t, f.Restore(io.NopCloser(bytes.NewReader(oimg.(*fsmSnapshot).encode()))))
	require.Empty(t, f.images)
	require.Equal(t, other.state().Hash, f.state().Hash)
	require.Equal(t, after.Hash, restored(t, img2).state().Hash)
}

// An entry whose shared encodings are not held (or do not match what the
// entry names) fails the member clearly instead of storing wrong bytes;
// a deletion needs none.
func TestEntryWithoutEncodingsFails(t *testing.T) {
	w := newWriter()
	put := w.put("a", "1")
	data, vals, _, err := encodeBatch(nil, nil, 1, []store.Mutation{put})
	require.NoError(t, err)

	f := newFSM(newSharedTable())
	require.ErrorIs(t, f.Apply(&raft.Log{Type: raft.LogCommand, Data: data}).(error), errCorrupt)
	_, ok := f.get("ConfigMap", "default/a")
	require.False(t, ok)

	g := newFSM(newSharedTable())
	vals[0].value = vals[0].value[:len(vals[0].value)-1]
	g.shared.put(1, vals)
	require.ErrorIs(t, g.Apply(&raft.Log{Type: raft.LogCommand, Data: data}).(error), errCorrupt, "a shorter encoding than the entry names")

	del, _, _, err := encodeBatch(nil, nil, 1, []store.Mutation{w.del("a")})
	require.NoError(t, err)
	h := newFSM(newSharedTable())
	require.Nil(t, h.Apply(&raft.Log{Type: raft.LogCommand, Data: del}))
}
