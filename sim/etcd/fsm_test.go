package etcd

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
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

	// Once raft released an image no store kept, the history stops
	// recording for it.
	require.Len(t, f.h.images, 2)
	img.Release()
	require.Len(t, f.h.images, 1)

	// An FSM replaced wholesale (a snapshot installed from the leader)
	// reads a history of its own; its kept images still read the old one.
	img2.(*fsmSnapshot).kept = true
	img2.Release()
	require.Len(t, f.h.images, 1)
	other := newFSM(newSharedTable())
	var oseq uint64
	applyAll(t, other, &oseq, []store.Mutation{w.put("z", "9")})
	oimg, err := other.Snapshot()
	require.NoError(t, err)
	ob, err := oimg.(*fsmSnapshot).encode()
	require.NoError(t, err)
	old := f.h
	require.NoError(t, f.Restore(io.NopCloser(bytes.NewReader(ob))))
	require.NotSame(t, old, f.h)
	require.Empty(t, f.h.images)
	require.Empty(t, old.users, "the old history keeps only what the image reads")
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

// A history's undo log keeps a key's first record only once it grows: a
// key changed many times while an image is kept costs it one record, and
// the image still holds the value from when it was taken. Once the image
// is dropped, the records go.
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
	require.Empty(t, f.h.undo, "nothing reads an older version")
	want := f.state()
	img, err := f.Snapshot()
	require.NoError(t, err)
	churn(5 * minUndo)
	u := f.h.undo
	require.LessOrEqual(t, len(u), minUndo, "12 keys changed: their first records and what came after the last compaction")
	first := map[int32]bool{}
	for _, r := range u[:12] {
		first[r.slot] = true
	}
	require.Len(t, first, 12, "the first records of the 12 keys stay first")
	require.Equal(t, want.Hash, restored(t, img).state().Hash)

	img.Release()
	require.Empty(t, f.h.undo)
	want2 := f.state()
	img2, err := f.Snapshot()
	require.NoError(t, err)
	require.Empty(t, f.h.undo)
	churn(3)
	require.Equal(t, want2.Hash, restored(t, img2).state().Hash)
	require.NotEqual(t, want2.Hash, f.state().Hash)
}

// Members sharing a history hold, at every point, exactly what a member
// applying the same entries alone holds: the first to apply an entry
// writes it, the others (one far behind, with images of old versions
// kept) read the versions they applied; once all caught up they hold the
// same objects and the log is empty. With a short log (compacted often)
// the members that fall behind are evicted to histories of their own, and
// still hold exactly that.
func TestSharedHistoryIsEachMembersContent(t *testing.T) {
	for _, short := range []bool{false, true} {
		t.Run(fmt.Sprint("short=", short), func(t *testing.T) { testSharedHistory(t, short) })
	}
}

func testSharedHistory(t *testing.T, short bool) {
	if short {
		defer func(n int) { minUndo = n }(minUndo)
		minUndo = 16
	}
	w := newWriter()
	shared := newSharedTable()
	var logs []*raft.Log
	for seq := uint64(1); seq <= 300; seq++ {
		i := int(seq)
		b := []store.Mutation{w.put("k"+strconv.Itoa(i%7), strconv.Itoa(i)), w.put("n"+strconv.Itoa(i), "x")}
		if i%5 == 0 {
			b = append(b, w.del("n"+strconv.Itoa(i-3)))
		}
		if i%11 == 0 {
			b = append(b, w.del("k"+strconv.Itoa(i%7)))
		}
		data, vals, err := encodeBatch(nil, nil, seq, b)
		require.NoError(t, err)
		shared.put(seq, vals)
		logs = append(logs, &raft.Log{Type: raft.LogCommand, Data: data})
	}
	alone := newFSM(shared)
	var want []state // what a member alone holds after each entry
	for _, l := range logs {
		require.Nil(t, alone.Apply(l))
		want = append(want, alone.state())
	}

	h := newHistory(nil, 0)
	a, b, c := joinFSM(shared, h), joinFSM(shared, h), joinFSM(shared, h)
	images := map[uint64]raft.FSMSnapshot{}
	for i, l := range logs { // a leads, b follows closely, c lags
		require.Nil(t, a.Apply(l))
		if i >= 3 {
			require.Nil(t, b.Apply(logs[i-3]))
		}
		if i%2 == 1 {
			require.Nil(t, c.Apply(logs[i/2]))
		}
		if i%40 == 0 {
			img, err := b.Snapshot()
			require.NoError(t, err)
			images[b.applied] = img
		}
		require.Equal(t, want[i], a.state())
		if i >= 3 {
			require.Equal(t, want[i-3], b.state())
		}
		if i%2 == 1 {
			require.Equal(t, want[i/2], c.state())
		}
	}
	for at, img := range images {
		if at > 0 {
			require.Equal(t, want[at-1].Hash, restored(t, img).state().Hash, "the image of version %d", at)
		}
		img.Release()
	}
	for _, l := range logs {
		require.Nil(t, b.Apply(l)) // its applied ones are skipped
		require.Nil(t, c.Apply(l))
	}
	last := want[len(want)-1]
	for _, f := range []*fsm{a, b, c} {
		require.Equal(t, last, f.state())
	}
	require.True(t, b.sameContent(c))
	require.Empty(t, h.undo, "every member is at the last version and no image is kept")
	va, _ := a.value("ConfigMap", "default/n300")
	vc, _ := c.value("ConfigMap", "default/n300")
	require.Same(t, va.(*corev1.ConfigMap), vc.(*corev1.ConfigMap), "the objects are shared")
	if short {
		require.NotSame(t, h, c.h, "the member far behind was evicted")
		return
	}
	require.Same(t, h, c.h)

	// A member that left (restarted) no longer holds the log back.
	img, err := c.Snapshot()
	require.NoError(t, err)
	c.retire()
	require.Len(t, h.users, 2)
	img.Release()
	require.Empty(t, h.images)
}

// An entry that fails its check on the first member to apply it writes
// nothing into the shared content: the next member applies it whole.
func TestFailedEntryWritesNothingShared(t *testing.T) {
	w := newWriter()
	shared := newSharedTable()
	data, vals, err := encodeBatch(nil, nil, 1, []store.Mutation{w.put("a", "1"), w.put("b", "1")})
	require.NoError(t, err)
	l := &raft.Log{Type: raft.LogCommand, Data: data}
	h := newHistory(nil, 0)
	a, b := joinFSM(shared, h), joinFSM(shared, h)
	shared.put(1, vals[:1]) // the second write's object is missing for a
	require.ErrorIs(t, a.Apply(l).(error), errCorrupt)
	require.Zero(t, h.v)
	require.Empty(t, h.pages)
	shared.put(1, vals)
	require.Nil(t, b.Apply(l))
	require.Equal(t, 2, b.len())
	require.Equal(t, 0, a.len(), "the failed member still reads the version it had")
}

// updateEntries are 4,096 raft entries of 8 updates each to a thousand
// keys, and the shared table their values are in.
func updateEntries(b *testing.B) (*sharedTable, []*raft.Log) {
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
	return shared, logs
}

// BenchmarkApplyWithImage is a member applying entries of updates to a
// thousand keys while an image of it is kept (as nearly always: the
// latest snapshot's), snapshotting every 512 entries of 8 updates (the
// cluster snapshots every few thousand updates).
func BenchmarkApplyWithImage(b *testing.B) {
	shared, logs := updateEntries(b)
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

// BenchmarkApplyThreeMembers is three members applying the entries of
// BenchmarkApplyWithImage (the leader first, the followers an entry
// behind), each with its latest image kept: shared, one history as a
// cluster's members have; alone, one history each.
func BenchmarkApplyThreeMembers(b *testing.B) {
	shared, logs := updateEntries(b)
	for _, mode := range []string{"shared", "alone"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				var fs [3]*fsm
				h := newHistory(nil, 0)
				for k := range fs {
					if mode == "shared" {
						fs[k] = joinFSM(shared, h)
					} else {
						fs[k] = newFSM(shared)
					}
				}
				var imgs [3]raft.FSMSnapshot
				for k, f := range fs {
					imgs[k], _ = f.Snapshot()
				}
				for i := range logs {
					for k, f := range fs {
						if i-k < 0 {
							continue
						}
						if (i-k) > 0 && (i-k)%512 == 0 {
							next, _ := f.Snapshot()
							imgs[k].Release()
							imgs[k] = next
						}
						if r := f.Apply(logs[i-k]); r != nil {
							b.Fatal(r)
						}
					}
				}
				for _, img := range imgs {
					img.Release()
				}
			}
		})
	}
}

// The pipelined content hash hashes the same bytes as one goroutine
// walking the content in "Kind/key" order, over several chunks, batches
// and kinds, typed objects and encodings held as bytes; an object without
// an encoding fails it, and no goroutine is left behind (TestMain
// checks).
func TestHashContentIsTheSequentialHash(t *testing.T) {
	data := map[string]map[string]value{"ConfigMap": {}, "Event": {}, "Secret": {}}
	for i := range 2*hashChunk + 7 {
		key := "default/cm-" + strconv.Itoa(i)
		data["ConfigMap"][key] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cm-" + strconv.Itoa(i)}}
	}
	for i := range hashChunk + 3 { // encodings held as bytes, hashed by reference, across batches
		data["Event"]["default/e-"+strconv.Itoa(i)] = &encoded{b: bytes.Repeat([]byte{byte(i)}, 40+i%50)}
	}
	data["Secret"]["default/s"] = &store.Encoding{Bytes: []byte("packed bytes")}
	data["Secret"]["default/empty"] = &encoded{} // still length-prefixed
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
	require.NoError(t, hashContent(got, contentOf(data)))
	require.Equal(t, want.Sum(nil), got.Sum(nil))

	data["ConfigMap"]["default/cm-5"] = struct{}{}
	require.ErrorContains(t, hashContent(sha256.New(), contentOf(data)), "ConfigMap default/cm-5")
}

// contentOf is content by kind and key as a history holds it, in slots
// in no particular order, with empty slots among them.
func contentOf(data map[string]map[string]value) iter.Seq[cell] {
	cells := []cell{{}}
	for kind, m := range data {
		for key, v := range m {
			cells = append(cells, cell{kind, key, v}, cell{})
		}
	}
	return newHistory(cells, 0).content(0)
}

// hashContent is startHash in one call: the sequential reference the
// tests compare the end-of-run hash with.
func hashContent(h io.Writer, content iter.Seq[cell]) error { return startHash(h, content)() }
