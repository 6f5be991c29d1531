package etcd

import (
	"strconv"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/store"
)

// A history that compacts and evicts while its writer is in the
// middle of a raft entry of several batches (the normal grouping, see
// groupBatches) must not evict the writer at the version it had when the
// entry began: it would move on to a history frozen at that version while
// its applied index runs ahead, and never write again.
//
// Two members sharing one history, both caught up before each entry, with
// an old image kept (a stopped member's snapshot store keeps its last one
// for good), each entry two batches that create a key and delete the
// previous one (few objects, many records).
func TestEvictionMidEntryKeepsWriterContent(t *testing.T) {
	defer func(n int) { minUndo = n }(minUndo)
	minUndo = 4
	w := newWriter()
	shared := newSharedTable()
	var logs []*raft.Log
	seq := uint64(0)
	for e := 0; e < 60; e++ {
		var data []byte
		var vals []sharedVal
		first := seq + 1
		for range 2 {
			seq++
			b := []store.Mutation{w.put("n"+strconv.FormatUint(seq, 10), "x")}
			if seq > 1 {
				b = append(b, w.del("n"+strconv.FormatUint(seq-1, 10)))
			}
			var err error
			data, vals, err = encodeBatch(data, vals, seq, b)
			require.NoError(t, err)
		}
		shared.put(first, vals)
		logs = append(logs, &raft.Log{Type: raft.LogCommand, Data: data})
	}
	alone := newFSM(shared)
	h := newHistory(nil, 0)
	a, b := joinFSM(shared, h), joinFSM(shared, h)
	require.Nil(t, a.Apply(logs[0]))
	require.Nil(t, b.Apply(logs[0]))
	require.Nil(t, alone.Apply(logs[0]))
	img, err := a.Snapshot() // kept, as a stopped member's store keeps its last image
	require.NoError(t, err)
	img.(*fsmSnapshot).kept = true
	for i, l := range logs[1:] {
		require.Nil(t, alone.Apply(l))
		require.Nil(t, a.Apply(l))
		require.Nil(t, b.Apply(l))
		want := alone.state()
		require.Equal(t, want, a.state(), "leader after entry %d", i+1)
		require.Equal(t, want, b.state(), "follower after entry %d", i+1)
	}
}

// The same through a Cluster: a member stopped for long (its snapshot
// store keeps its last image), the others go on writing short-lived
// objects (fresh names, soon deleted, as Events are) in grouped entries;
// the live members must keep holding what was written. Once with a small
// minUndo and the stopped member started again, once with the real one.
func TestStoppedMemberLiveMembersStayRight(t *testing.T) {
	for _, tc := range []struct {
		name    string
		minUndo int // 0: the package's
		writes  int
		restart bool
	}{
		{name: "small log", minUndo: 8, writes: 400, restart: true},
		{name: "real limits", writes: 80000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.minUndo != 0 {
				defer func(n int) { minUndo = n }(minUndo)
				minUndo = tc.minUndo
			}
			c := startCluster(t, 3)
			w := newWriter()
			for i := 0; i < 10; i++ {
				require.NoError(t, c.Append([]store.Mutation{w.put("cm-"+strconv.Itoa(i), "x")}))
			}
			require.NoError(t, c.Sync())
			require.NoError(t, c.members[2].raft.Snapshot().Error())
			require.NoError(t, c.Stop("etcd-3"))
			for i := 10; i < tc.writes; i++ {
				require.NoError(t, c.Append([]store.Mutation{w.put("cm-"+strconv.Itoa(i), "x"), w.del("cm-" + strconv.Itoa(i-10))}))
			}
			require.NoError(t, c.Sync())
			for _, m := range c.members[:2] {
				require.Equal(t, len(w.want), m.fsm.len(), "%s holds what was written", m.name)
				for k, v := range w.want {
					b, ok := m.fsm.get("ConfigMap", k[len("ConfigMap/"):])
					require.True(t, ok, "%s lost %s", m.name, k)
					require.Equal(t, v, b, "%s holds a stale %s", m.name, k)
				}
			}
			if tc.restart {
				require.NoError(t, c.Start("etcd-3"))
				requireConverged(t, c, w)
			}
		})
	}
}
