package etcd

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// applyAll applies batches to f as raft would, one entry each.
func applyAll(t *testing.T, f *fsm, seq *uint64, batches ...[]store.Mutation) {
	t.Helper()
	for _, b := range batches {
		*seq++
		data, vals, err := encodeBatch(nil, nil, *seq, b)
		require.NoError(t, err)
		f.shared.put(*seq, vals)
		require.Nil(t, f.Apply(&raft.Log{Type: raft.LogCommand, Data: data}))
	}
}

// restored is a fresh FSM restored from the image's bytes.
func restored(t *testing.T, img raft.FSMSnapshot) *fsm {
	t.Helper()
	g := newFSM(newSharedTable())
	b, err := img.(*fsmSnapshot).encode()
	require.NoError(t, err)
	require.NoError(t, g.Restore(io.NopCloser(bytes.NewReader(b))))
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
	ob, err := oimg.(*fsmSnapshot).encode()
	require.NoError(t, err)
	require.NoError(t, f.Restore(io.NopCloser(bytes.NewReader(ob))))
	require.Empty(t, f.images)
	require.Equal(t, other.state().Hash, f.state().Hash)
	require.Equal(t, after.Hash, restored(t, img2).state().Hash)
}

// An entry whose shared objects are not held (or are not as many as its
// mutations, or a write's has no object) fails the member clearly instead
// of storing wrong ones; a deletion needs none.
func TestEntryWithoutEncodingsFails(t *testing.T) {
	w := newWriter()
	put := w.put("a", "1")
	data, vals, err := encodeBatch(nil, nil, 1, []store.Mutation{put})
	require.NoError(t, err)

	f := newFSM(newSharedTable())
	require.ErrorIs(t, f.Apply(&raft.Log{Type: raft.LogCommand, Data: data}).(error), errCorrupt)
	_, ok := f.get("ConfigMap", "default/a")
	require.False(t, ok)

	g := newFSM(newSharedTable())
	g.shared.put(1, append(slices.Clone(vals), vals[0]))
	require.ErrorIs(t, g.Apply(&raft.Log{Type: raft.LogCommand, Data: data}).(error), errCorrupt, "more values than the entry's mutations")
	g = newFSM(newSharedTable())
	vals[0].key, vals[0].value = put.Key, nil
	g.shared.put(1, vals)
	require.ErrorIs(t, g.Apply(&raft.Log{Type: raft.LogCommand, Data: data}).(error), errCorrupt, "no object for a write")

	del, _, err := encodeBatch(nil, nil, 1, []store.Mutation{w.del("a")})
	require.NoError(t, err)
	h := newFSM(newSharedTable())
	require.Nil(t, h.Apply(&raft.Log{Type: raft.LogCommand, Data: del}))
}

// An image's undo log keeps a key's first record only once it grows: a
// key changed many times while the image is kept costs it one record,
// and the image still holds the value from when it was taken. The log of
// an image dropped serves the next one, which starts empty.
func TestSnapshotUndoLogStaysBounded(t *testing.T) {
	defer func(n int) { minUndo = n }(minUndo)
	minUndo = 64
	w := newWriter()
	f := newFSM(newSharedTable())
	var seq uint64
	churn := func(n int) {
		for i := range n {
			b := []store.Mutation{w.put("a", strconv.Itoa(i+1)), w.put("k"+strconv.Itoa(i%10), strconv.Itoa(i))}
			if i%7 == 0 {
				b = append(b, w.del("b"), w.put("b", strconv.Itoa(i)))
			}
			applyAll(t, f, &seq, b)
		}
	}
	applyAll(t, f, &seq, []store.Mutation{w.put("a", "0"), w.put("b", "0")})
	want := f.state()
	img, err := f.Snapshot()
	require.NoError(t, err)
	churn(5 * minUndo)
	u := img.(*fsmSnapshot).undo
	require.LessOrEqual(t, len(u), minUndo, "12 keys changed: their first records and what came after the last compaction")
	first := map[undoKey]bool{}
	for _, r := range u[:12] {
		first[undoKey{r.kind, r.key}] = true
	}
	require.Len(t, first, 12, "the first records of the 12 keys stay first")
	require.Equal(t, want.Hash, restored(t, img).state().Hash)

	img.Release()
	require.Nil(t, img.(*fsmSnapshot).undo)
	require.Positive(t, cap(f.spare))
	want2 := f.state()
	img2, err := f.Snapshot()
	require.NoError(t, err)
	require.Empty(t, img2.(*fsmSnapshot).undo)
	require.Nil(t, f.spare)
	churn(3)
	require.Equal(t, want2.Hash, restored(t, img2).state().Hash)
	require.NotEqual(t, want2.Hash, f.state().Hash)
}

// BenchmarkApplyWithImage is a member applying entries of updates to a
// thousand keys while an image of it is kept (as nearly always: the
// latest snapshot's), snapshotting every 512 entries of 8 updates (the
// cluster snapshots every few thousand updates).
func BenchmarkApplyWithImage(b *testing.B) {
	w := newWriter()
	shared := newSharedTable()
	var logs []*raft.Log
	for seq := uint64(1); seq <= 4096; seq++ {
		var batch []store.Mutation
		for j := range 8 {
			batch = append(batch, w.put("k"+strconv.Itoa((int(seq)*8+j)%1000), strconv.Itoa(int(seq))))
		}
		data, vals, err := encodeBatch(nil, nil, seq, batch)
		require.NoError(b, err)
		shared.put(seq, vals)
		logs = append(logs, &raft.Log{Type: raft.LogCommand, Data: data})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f := newFSM(shared)
		img, _ := f.Snapshot()
		for i, l := range logs {
			if i > 0 && i%512 == 0 { // the next snapshot replaces the last
				next, _ := f.Snapshot()
				img.Release()
				img = next
			}
			if r := f.Apply(l); r != nil {
				b.Fatal(r)
			}
		}
		img.Release()
	}
}

// The pipelined content hash hashes the same bytes as one goroutine
// walking the content in "Kind/key" order, over several chunks and
// kinds; an object without an encoding fails it, and no goroutine is
// left behind (TestMain checks).
func TestHashContentIsTheSequentialHash(t *testing.T) {
	data := map[string]map[string]value{"ConfigMap": {}, "Event": {}, "Secret": {}}
	for i := range 2*hashChunk + 7 {
		key := "default/cm-" + strconv.Itoa(i)
		data["ConfigMap"][key] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cm-" + strconv.Itoa(i)}}
	}
	data["Event"]["default/e"] = &encoded{b: []byte("packed bytes")}
	want := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, kind := range []string{"ConfigMap", "Event", "Secret"} {
		keys := slices.Sorted(maps.Keys(data[kind]))
		for _, key := range keys {
			b, err := encode(nil, data[kind][key])
			require.NoError(t, err)
			want.Write(n[:binary.PutUvarint(n[:], uint64(len(kind)+1+len(key)))])
			want.Write([]byte(kind + "/" + key))
			want.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))])
			want.Write(b)
		}
	}
	got := sha256.New()
	require.NoError(t, hashContent(got, data))
	require.Equal(t, want.Sum(nil), got.Sum(nil))

	data["ConfigMap"]["default/cm-5"] = struct{}{}
	require.ErrorContains(t, hashContent(sha256.New(), data), "ConfigMap default/cm-5")
}
