package etcd

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// Tests in this package do not run in parallel: goleak checks that every
// raft goroutine is gone once all of them finished.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writer produces ConfigMap mutations and remembers the encoding of every
// object as last written: the content every member must end up with.
type writer struct {
	rev   int64
	want  map[string][]byte // fsm key -> encoding; absent = deleted
	slots map[string]int32  // fsm key -> slot, as the store gives them
	free  []int32
}

// startCluster starts an n-member cluster that the test closes when it
// ends.
func startCluster(t *testing.T, n int) *Cluster {
	t.Helper()
	c, err := New(n)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func newWriter() *writer { return &writer{want: map[string][]byte{}, slots: map[string]int32{}} }

// slot is the slot of key, given it if new (the store's way: the slot
// freed last, else the next one never used).
func (w *writer) slot(key string) int32 {
	if s, ok := w.slots[key]; ok {
		return s
	}
	s := int32(len(w.slots) + len(w.free))
	if n := len(w.free); n > 0 {
		s = w.free[n-1]
		w.free = w.free[:n-1]
	}
	w.slots[key] = s
	return s
}

func (w *writer) put(name, value string) store.Mutation {
	w.rev++
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name,
		ResourceVersion: fmt.Sprint(w.rev)}, Data: map[string]string{"v": value}}
	b, err := cm.Marshal()
	if err != nil {
		panic(err)
	}
	typ := store.Modified
	if _, ok := w.want[fsmKey("ConfigMap", "default/"+name)]; !ok {
		typ = store.Added
	}
	w.want[fsmKey("ConfigMap", "default/"+name)] = b
	return store.Mutation{Rev: w.rev, Type: typ, Kind: "ConfigMap", Key: "default/" + name, Object: cm,
		Slot: w.slot(fsmKey("ConfigMap", "default/"+name))}
}

func (w *writer) del(name string) store.Mutation {
	w.rev++
	k := fsmKey("ConfigMap", "default/"+name)
	delete(w.want, k)
	slot := w.slot(k)
	delete(w.slots, k)
	w.free = append(w.free, slot)
	return store.Mutation{Rev: w.rev, Type: store.Deleted, Kind: "ConfigMap", Key: "default/" + name, Slot: slot}
}

// requireConverged checks that every member holds exactly what was
// written, and that their content hashes agree.
func requireConverged(t *testing.T, c *Cluster, w *writer) {
	t.Helper()
	st, err := c.Status()
	require.NoError(t, err)
	for _, m := range c.members {
		require.NotNil(t, m.fsm)
		got := m.fsm.len()
		require.Equal(t, len(w.want), got, "%s holds %d objects, want %d", m.name, got, len(w.want))
		for k, v := range w.want {
			b, ok := m.fsm.get("ConfigMap", k[len("ConfigMap/"):])
			require.True(t, ok, "%s lost %s", m.name, k)
			require.Equal(t, v, b, "%s holds a stale %s", m.name, k)
		}
	}
	for _, s := range st[1:] {
		require.Equal(t, st[0].Hash, s.Hash, "%s and %s differ", st[0].Name, s.Name)
		require.Equal(t, st[0].Applied, s.Applied)
		require.Equal(t, st[0].Revision, s.Revision)
	}
	require.Equal(t, w.rev, st[0].Revision)
}

func TestMemberCount(t *testing.T) {
	for _, tc := range []struct {
		n       int
		wantErr bool
	}{{0, true}, {1, false}, {2, true}, {3, false}, {4, true}, {5, false}, {6, true}} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			c, err := New(tc.n)
			if tc.wantErr {
				require.ErrorContains(t, err, "must be 1, 3 or 5")
				return
			}
			require.NoError(t, err)
			defer c.Close()
			require.Equal(t, tc.n, c.Members())
			require.Equal(t, 0, c.raftLeader(), "etcd-1 leads a new cluster")
		})
	}
}

func TestCodecRoundTrip(t *testing.T) {
	w := newWriter()
	batch := []store.Mutation{w.put("a", "1"), w.put("b", "2"), w.del("a")}
	data, vals, err := encodeBatch(nil, nil, 7, batch)
	require.NoError(t, err)
	require.Len(t, vals, 3)
	// A second batch in the same raft entry.
	data, vals, err = encodeBatch(data, vals, 8, []store.Mutation{w.put("c", "3")})
	require.NoError(t, err)
	require.Len(t, vals, 4)
	var got []entry
	seq, rest, err := decodeBatch(data, func(_ uint64, e entry) { got = append(got, e) })
	require.NoError(t, err)
	require.Equal(t, uint64(7), seq)
	require.Len(t, got, 3)
	require.Equal(t, store.Deleted, got[2].typ)
	require.Nil(t, vals[2].value)
	require.Same(t, batch[1].Object, vals[1].value, "the entry refers to the store's object")
	b, err := encode(nil, vals[1].value)
	require.NoError(t, err)
	require.Equal(t, w.want["ConfigMap/default/b"], b)
	obj, err := decodeObject("ConfigMap", b)
	require.NoError(t, err)
	require.Equal(t, "2", obj.(*corev1.ConfigMap).Data["v"])
	require.Equal(t, "2", obj.GetResourceVersion())
	require.Equal(t, "default/b", vals[1].key)

	// A packed object's encoding is shared as it is; an object without a
	// protobuf encoding fails when it is written.
	packed := store.Mutation{Rev: 9, Type: store.Added, Kind: "ConfigMap", Key: "default/p", Object: batch[0].Object, Encoded: &store.Encoding{Bytes: b}}
	_, pv, err := encodeBatch(nil, nil, 9, []store.Mutation{packed})
	require.NoError(t, err)
	require.Same(t, packed.Encoded, pv[0].value)
	_, _, err = encodeBatch(nil, nil, 10, []store.Mutation{{Rev: 10, Type: store.Added, Kind: "X", Key: "x", Object: &noProto{}}})
	require.ErrorContains(t, err, "X x has no protobuf encoding")

	require.Equal(t, "default/a", string(got[2].key), "a deletion names its key")
	require.Empty(t, got[1].key, "a write is named by its value")
	seq, rest, err = decodeBatch(rest, func(_ uint64, e entry) { require.Equal(t, store.Added, e.typ) })
	require.NoError(t, err)
	require.Equal(t, uint64(8), seq)
	require.Empty(t, rest)
	last, err := lastSeq(data)
	require.NoError(t, err)
	require.Equal(t, uint64(8), last)

	_, _, err = decodeBatch(data[:len(data)-3], func(uint64, entry) {})
	require.NoError(t, err, "the first batch is whole")
	_, err = lastSeq(data[:len(data)-3])
	require.ErrorIs(t, err, errCorrupt)
}

func TestBadMemberOperations(t *testing.T) {
	c := startCluster(t, 3)
	for _, tc := range []struct {
		name string
		op   func() error
		want string
	}{
		{"unknown member", func() error { return c.Stop("etcd-4") }, `no member "etcd-4"`},
		{"start a running member", func() error { return c.Start("etcd-2") }, "already running"},
		{"heal a connected member", func() error { return c.Heal("etcd-2") }, "not partitioned"},
		{"stop twice", func() error {
			require.NoError(t, c.Stop("etcd-3"))
			return c.Stop("etcd-3")
		}, "already stopped"},
		{"partition twice", func() error {
			require.NoError(t, c.Partition("etcd-2"))
			return c.Partition("etcd-2")
		}, "already partitioned"},
		{"leader of unknown member", func() error { return c.SetLeader("etcd-9") }, `no member "etcd-9"`},
	} {
		t.Run(tc.name, func(t *testing.T) { require.ErrorContains(t, tc.op(), tc.want) })
	}
}

// TestLeaderKillAndRestart: the leader stops, the others go on, the
// leader the simulation picks is the one raft has, and the stopped
// member catches up from the log when it starts again.
func TestLeaderKillAndRestart(t *testing.T) {
	c := startCluster(t, 3)
	w := newWriter()
	for i := 0; i < 20; i++ {
		require.NoError(t, c.Append([]store.Mutation{w.put(fmt.Sprint("cm-", i%7), fmt.Sprint(i))}))
	}
	require.NoError(t, c.Stop("etcd-1"))
	require.NoError(t, c.SetLeader("etcd-3"))
	require.Equal(t, 2, c.raftLeader())
	for i := 0; i < 20; i++ {
		require.NoError(t, c.Append([]store.Mutation{w.put(fmt.Sprint("cm-", i%5), fmt.Sprint("x", i)), w.del(fmt.Sprint("cm-", (i+3)%7))}))
	}
	st, err := c.Status()
	require.NoError(t, err)
	require.Equal(t, uint64(20), st[0].Applied, "a stopped member reports the state it stopped with")
	require.NotEqual(t, st[0].Hash, st[1].Hash)
	require.NoError(t, c.Start("etcd-1"))
	requireConverged(t, c, w)
}

// TestNoQuorumQueues: without a quorum batches wait, in order, and
// commit when the quorum returns.
func TestNoQuorumQueues(t *testing.T) {
	c := startCluster(t, 3)
	w := newWriter()
	require.NoError(t, c.Append([]store.Mutation{w.put("a", "1")}))
	require.NoError(t, c.Stop("etcd-2"))
	require.NoError(t, c.Partition("etcd-1"))
	require.NoError(t, c.Append([]store.Mutation{w.put("a", "2")}))
	require.NoError(t, c.Append([]store.Mutation{w.put("b", "3")}))
	require.Equal(t, 2, c.Pending())
	require.NoError(t, c.Start("etcd-2"))
	require.NoError(t, c.Sync())
	require.Equal(t, 0, c.Pending())
	require.Equal(t, uint64(3), c.Committed())
	require.NoError(t, c.Heal("etcd-1"))
	requireConverged(t, c, w)
}

// TestCatchUpFromSnapshot: the leader compacted its log past what a
// stopped member has, so the member is sent a snapshot; a member that
// restarts restores its own snapshot first.
func TestCatchUpFromSnapshot(t *testing.T) {
	defer func(l uint64, g int) { trailingLogs, groupBatches = l, g }(trailingLogs, groupBatches)
	trailingLogs, groupBatches = 4, 1 // one batch per raft entry
	c := startCluster(t, 3)
	w := newWriter()
	write := func(n int) {
		for i := 0; i < n; i++ {
			require.NoError(t, c.Append([]store.Mutation{w.put(fmt.Sprint("cm-", w.rev%11), fmt.Sprint(w.rev))}))
		}
	}
	write(30)
	require.NoError(t, c.Sync())
	require.NoError(t, c.members[2].raft.Snapshot().Error())
	require.NoError(t, c.Stop("etcd-3"))
	write(60)
	require.NoError(t, c.Sync()) // Append does not wait for the commit
	// Both live members compact: whichever leads when etcd-3 returns
	// (leadership moves on a rejoin, see rejoined) has only a snapshot
	// of what etcd-3 missed.
	require.NoError(t, c.members[0].raft.Snapshot().Error())
	require.NoError(t, c.members[1].raft.Snapshot().Error())
	write(5)
	require.NoError(t, c.Start("etcd-3"))
	requireConverged(t, c, w)
	latest := c.members[2].snaps.latest
	require.NotNil(t, latest)
	require.Nil(t, latest.image, "etcd-3's latest snapshot came from the leader as bytes")
	require.Greater(t, latest.buf.Len(), 0)
}

// TestNoAcknowledgedWriteLost drives clusters of 3 and 5 members through
// random member stops, leader kills, partitions and heals while writing;
// after everything is back, every member holds exactly every write that
// was acknowledged, and their content hashes agree.
func TestNoAcknowledgedWriteLost(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for seed := 1; seed <= seeds; seed++ {
		n := 3
		if seed%3 == 0 {
			n = 5
		}
		t.Run(fmt.Sprintf("seed=%d/members=%d", seed, n), func(t *testing.T) {
			chaos(t, uint64(seed), n, 80)
		})
	}
}

// pickMember is a member of c for which ok holds, drawn from rnd, or ""
// when there is none.
func pickMember(rnd *rand.Rand, c *Cluster, ok func(*member) bool) string {
	var names []string
	for _, m := range c.members {
		if ok(m) {
			names = append(names, m.name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return names[rnd.IntN(len(names))]
}

func chaos(t *testing.T, seed uint64, n, steps int) {
	rnd := rand.New(rand.NewPCG(seed, 0))
	c := startCluster(t, n)
	w := newWriter()
	pick := func(ok func(*member) bool) string { return pickMember(rnd, c, ok) }
	for step := 0; step < steps; step++ {
		switch rnd.IntN(20) {
		case 0:
			if l := c.raftLeader(); l >= 0 {
				require.NoError(t, c.Stop(c.members[l].name), "kill the leader")
			}
		case 1:
			if name := pick((*member).running); name != "" {
				require.NoError(t, c.Stop(name))
			}
		case 2, 3:
			if name := pick(func(m *member) bool { return !m.running() }); name != "" {
				require.NoError(t, c.Start(name))
			}
		case 4:
			if name := pick(func(m *member) bool { return !m.partitioned }); name != "" {
				require.NoError(t, c.Partition(name))
			}
		case 5, 6:
			if name := pick(func(m *member) bool { return m.partitioned }); name != "" {
				require.NoError(t, c.Heal(name))
			}
		case 7:
			if name := pick((*member).live); name != "" {
				require.NoError(t, c.SetLeader(name))
			}
		default:
			var batch []store.Mutation
			for i := rnd.IntN(4); i >= 0; i-- {
				name := fmt.Sprint("cm-", rnd.IntN(15))
				if rnd.IntN(5) == 0 {
					if _, ok := w.want[fsmKey("ConfigMap", "default/"+name)]; ok {
						batch = append(batch, w.del(name))
						continue
					}
				}
				batch = append(batch, w.put(name, fmt.Sprint(seed, "/", step, "/", i)))
			}
			require.NoError(t, c.Append(batch))
		}
	}
	for _, m := range c.members {
		if !m.running() {
			require.NoError(t, c.Start(m.name))
		}
		if m.partitioned {
			require.NoError(t, c.Heal(m.name))
		}
	}
	requireConverged(t, c, w)
}

// TestInstantsShareRaftEntries: consecutive batches travel in one raft
// entry, and the members still count and apply every batch.
func TestInstantsShareRaftEntries(t *testing.T) {
	c := startCluster(t, 3)
	w := newWriter()
	require.NoError(t, c.Sync())
	before := c.members[0].raft.LastIndex()
	for i := 0; i < 50; i++ {
		require.NoError(t, c.Append([]store.Mutation{w.put(fmt.Sprint("cm-", i%7), fmt.Sprint(i))}))
	}
	requireConverged(t, c, w)
	st, err := c.Status()
	require.NoError(t, err)
	require.Equal(t, uint64(50), st[0].Applied, "every batch counts")
	// raft may add entries of its own (a leader elected under load
	// appends one): count the commands.
	commands := 0
	for i := before + 1; i <= c.members[0].raft.LastIndex(); i++ {
		var l raft.Log
		require.NoError(t, c.members[0].logs.GetLog(i, &l))
		if l.Type == raft.LogCommand {
			commands++
		}
	}
	require.Equal(t, 1, commands, "50 small batches made one raft entry")
}

// TestMembersShareObjects: the members hold the store's objects, one
// copy between them, not one each, and the raft entries refer to them;
// a member that applies the entries later (from the leader's log) shares
// them too. Once every log dropped the entries, the shared table forgets
// them.
func TestMembersShareObjects(t *testing.T) {
	defer func(b, g int, l uint64) { compactMutations, groupBatches, trailingLogs = b, g, l }(compactMutations, groupBatches, trailingLogs)
	compactMutations, groupBatches, trailingLogs = 1<<30, 1, 4
	c := startCluster(t, 3)
	w := newWriter()
	require.NoError(t, c.Append([]store.Mutation{w.put("a", "1"), w.put("b", "2")}))
	require.NoError(t, c.Stop("etcd-3"))
	put := w.put("a", "3")
	require.NoError(t, c.Append([]store.Mutation{put}))
	require.NoError(t, c.Sync())
	v1, ok := c.Lookup("etcd-1", "ConfigMap", "default/a")
	require.True(t, ok)
	require.Equal(t, w.want["ConfigMap/default/a"], v1)
	for _, m := range c.members[:2] {
		v, ok := m.fsm.value("ConfigMap", "default/a")
		require.True(t, ok)
		require.Same(t, put.Object, v, "%s holds the store's object", m.name)
	}
	var l raft.Log
	last, err := c.members[0].logs.LastIndex()
	require.NoError(t, err)
	for i := last; ; i-- {
		require.NoError(t, c.members[0].logs.GetLog(i, &l))
		if l.Type == raft.LogCommand {
			break
		}
	}
	require.Less(t, len(l.Data), len(v1), "the raft entry refers to the object, it holds no encoding")
	require.NotZero(t, c.shared.held(), "the logs hold the entries: their objects are kept")
	require.NoError(t, c.Start("etcd-3"))
	requireConverged(t, c, w)
	v3, ok := c.members[2].fsm.value("ConfigMap", "default/a")
	require.True(t, ok)
	require.Same(t, put.Object, v3, "etcd-3 applied the entry late, from the leader's log: the same object")

	// Enough writes for every member to snapshot and drop the old entries
	// from its log: the shared table holds only what the logs still hold.
	compactMutations = 20
	for i := 0; i < 200; i++ {
		require.NoError(t, c.Append([]store.Mutation{w.put(fmt.Sprint("cm-", i%13), fmt.Sprint(i))}))
	}
	require.NoError(t, c.Sync())
	require.Eventually(t, func() bool {
		for _, m := range c.members {
			if first, err := m.logs.FirstIndex(); err != nil || first < 100 {
				return false
			}
		}
		return c.shared.held() < 100
	}, 20*time.Second, 10*time.Millisecond, "the dropped entries' objects are forgotten")
	requireConverged(t, c, w)
}

// TestLogTruncatedAsItGrows: once enough was replicated, every member
// snapshots and raft drops the old entries from its log.
func TestLogTruncatedAsItGrows(t *testing.T) {
	defer func(b, g int, l uint64) { compactMutations, groupBatches, trailingLogs = b, g, l }(compactMutations, groupBatches, trailingLogs)
	compactMutations, groupBatches, trailingLogs = 20, 1, 4
	c := startCluster(t, 3)
	w := newWriter()
	for i := 0; i < 200; i++ {
		require.NoError(t, c.Append([]store.Mutation{w.put(fmt.Sprint("cm-", i%13), fmt.Sprint(i))}))
	}
	require.NoError(t, c.Sync())
	for _, m := range c.members {
		require.Eventually(t, func() bool {
			first, err := m.logs.FirstIndex()
			return err == nil && first > 100
		}, 20*time.Second, 10*time.Millisecond, "%s truncated its log", m.name)
	}
	requireConverged(t, c, w)
}

// TestStatusHashesSharedContentOnce: members holding the same objects
// report the hash computed once; a member holding equal bytes in copies
// of its own, or different content, is hashed on its own, so a hash
// still tells members apart.
func TestStatusHashesSharedContentOnce(t *testing.T) {
	w := newWriter()
	a, b := newFSM(newSharedTable()), newFSM(newSharedTable())
	batch := []store.Mutation{w.put("x", "1"), w.put("y", "2")}
	data, vals, err := encodeBatch(nil, nil, 1, batch)
	require.NoError(t, err)
	apply := func(f *fsm, shared []sharedVal) {
		f.shared.put(1, shared)
		require.Nil(t, f.Apply(&raft.Log{Type: raft.LogCommand, Data: data}))
	}
	apply(a, vals)
	apply(b, vals)
	require.True(t, a.sameContent(b), "the same shared objects")
	require.Equal(t, a.state().Hash, b.state().Hash)

	img, err := a.Snapshot()
	require.NoError(t, err)
	c := restored(t, img) // restored from a snapshot: copies of its own
	require.False(t, a.sameContent(c), "equal content in other memory is not decided by identity")
	require.Equal(t, a.state().Hash, c.state().Hash, "but hash the same")

	d := newFSM(newSharedTable())
	apply(d, vals)
	data2, vals2, err := encodeBatch(nil, nil, 2, []store.Mutation{w.put("x", "changed")})
	require.NoError(t, err)
	d.shared.put(2, vals2)
	require.Nil(t, d.Apply(&raft.Log{Type: raft.LogCommand, Data: data2}))
	require.False(t, a.sameContent(d))
	require.NotEqual(t, a.state().Hash, d.state().Hash)

	// Through the cluster: the members agree, and a stopped member that
	// missed a write reports its own (frozen) hash.
	cl, err := New(3)
	require.NoError(t, err)
	defer cl.Close()
	w = newWriter()
	require.NoError(t, cl.Append([]store.Mutation{w.put("a", "1")}))
	require.NoError(t, cl.Stop("etcd-3"))
	require.NoError(t, cl.Append([]store.Mutation{w.put("a", "2")}))
	st, err := cl.Status()
	require.NoError(t, err)
	require.Equal(t, st[0].Hash, st[1].Hash)
	require.NotEqual(t, st[0].Hash, st[2].Hash, "etcd-3 stopped before the second write")
	require.Equal(t, cl.members[1].fsm.state().Hash, st[1].Hash, "the shared hash is etcd-2's own")
}

// An entry starts with the capacity of the last one encoded, so that it
// is not grown from nothing by appends.
func TestEntryStartsWithTheLastOnesCapacity(t *testing.T) {
	w := newWriter()
	full := &draft{first: 1}
	for i := range 4 {
		full.add([]store.Mutation{w.put("a", strconv.Itoa(i)), w.put("b"+strconv.Itoa(i), "x")})
	}
	var enc encoder
	data, vals, err := enc.encode(full)
	require.NoError(t, err)
	require.Len(t, vals, 8)
	next := &draft{first: 5}
	next.add([]store.Mutation{w.put("a", "next")})
	data2, vals2, err := enc.encode(next)
	require.NoError(t, err)
	require.Equal(t, len(data), cap(data2))
	require.Equal(t, len(vals), cap(vals2))
	require.Len(t, vals2, 1)
}

// The simulation fills a draft of the open entry; the pipeline encodes
// it, gives it back emptied (no object kept alive), and the next entry
// reuses it; what the members apply is what was appended.
func TestDraftsAreEncodedByThePipelineAndReused(t *testing.T) {
	defer func(g int) { groupBatches = g }(groupBatches)
	groupBatches = 4
	cl := startCluster(t, 1)
	w := newWriter()
	var first *draft
	for i := range 4 {
		if i == 1 {
			first = cl.open
		}
		require.NoError(t, cl.Append([]store.Mutation{w.put("a", strconv.Itoa(i)), w.put("b"+strconv.Itoa(i), "x")}))
	}
	require.Nil(t, cl.open, "four batches fill an entry, handed in")
	require.NoError(t, cl.Sync())
	require.Empty(t, first.muts)
	require.Equal(t, make([]store.Mutation, 8), first.muts[:8], "the objects are let go")
	require.NoError(t, cl.Append([]store.Mutation{w.put("a", "next")}))
	require.Same(t, first, cl.open, "the encoded draft is reused")
	require.Equal(t, uint64(5), cl.open.first)
	require.Equal(t, []int32{1}, cl.open.sizes)
	require.NoError(t, cl.Sync())
	for k, want := range w.want {
		got, ok := cl.members[0].fsm.get("ConfigMap", k[len("ConfigMap/"):])
		require.True(t, ok, k)
		require.Equal(t, want, got, k)
	}
}

// A write of an object without a protobuf encoding fails the Append that
// writes it, not the later one that waits for its entry.
func TestAppendFailsAnUnencodableWrite(t *testing.T) {
	cl := startCluster(t, 1)
	err := cl.Append([]store.Mutation{{Rev: 1, Type: store.Added, Kind: "X", Key: "x", Object: &noProto{}}})
	require.ErrorContains(t, err, "X x has no protobuf encoding")
	require.Nil(t, cl.open, "nothing of it is handed in")
}

// noProto is an object without a protobuf encoding.
type noProto struct{ corev1.ConfigMap }

func (noProto) Size() {}

// A leader sends a member a snapshot (raft's goroutine opens it, which
// encodes every object) only while the simulation waits for raft:
// encoding writes to objects the simulation reads (a Quantity caches its
// string form), so opened while the simulation runs, the snapshot is
// refused, and raft tries again later.
func TestSnapshotOpenedOnlyWhileSimulationWaits(t *testing.T) {
	c := startCluster(t, 3)
	limit := resource.NewQuantity(1<<30, resource.BinarySI) // its string is not cached yet
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "p", ResourceVersion: "1"},
		Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "scratch",
			VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: limit}}}}}}
	require.NoError(t, c.Append([]store.Mutation{{Rev: 1, Type: store.Added, Kind: "Pod", Key: "default/p", Object: pod}}))
	require.NoError(t, c.Sync())
	m := c.members[0]
	require.NoError(t, m.raft.Snapshot().Error())
	metas, err := m.snaps.List()
	require.NoError(t, err)
	require.Len(t, metas, 1)
	open := func() ([]byte, error) { // as raft's replication goroutine does
		type res struct {
			b   []byte
			err error
		}
		done := make(chan res)
		go func() {
			_, rc, err := m.snaps.Open(metas[0].ID)
			var b []byte
			if err == nil {
				b, err = io.ReadAll(rc)
			}
			done <- res{b, err}
		}()
		r := <-done
		return r.b, r.err
	}
	_, err = open()
	require.ErrorIs(t, err, errNotNow)
	require.EqualValues(t, 1, c.gate.refused.Load())
	require.Equal(t, "1Gi", limit.String(), "the simulation formats the quantity")

	c.gate.wait()
	b, err := open()
	c.gate.resume()
	require.NoError(t, err)
	f := newFSM(newSharedTable())
	require.NoError(t, f.Restore(io.NopCloser(bytes.NewReader(b))))
	got, err := f.state(), f.err
	require.NoError(t, err)
	require.Equal(t, m.fsm.state().Hash, got.Hash, "the snapshot is the member's content")
}
