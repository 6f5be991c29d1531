package apiserver

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// hashKey reads every byte of every part, and where the parts end: a
// change of any byte, of a string's length (an added zero byte) or of a
// boundary between parts gives another hash, for strings of every length
// around the eight-byte words it reads.
func TestHashKeyTellsInputsApart(t *testing.T) {
	seen := map[uint64][]string{}
	add := func(parts ...string) {
		h := hashKey(parts...)
		if prev, ok := seen[h]; ok && !slices.Equal(prev, parts) {
			t.Fatalf("hashKey(%q) == hashKey(%q)", parts, prev)
		}
		seen[h] = parts
	}
	add()
	for n := 0; n <= 40; n++ {
		s := make([]byte, n)
		for i := range s {
			s[i] = byte('a' + i%26)
		}
		add(string(s))
		add(string(s) + "\x00")
		add(string(s), "")
		add("", string(s))
		for i := range s {
			for _, c := range []byte{0, 'A', 0xff} {
				m := slices.Clone(s)
				m[i] = c
				add(string(m))
			}
			add(string(s[:i]), string(s[i:]))
		}
	}
	require.Equal(t, hashKey("Pod", "default", "p", "u", "Normal", "Pulled", "spam"),
		hashMore(hashKey("Pod", "default", "p", "u", "Normal"), "Pulled", "spam"))
}

// The correlator's keys of a large run's events (six reasons for each of
// 300,000 pods, the pods' names and UIDs as a run makes them) do not
// collide.
func TestHashKeyNoCollisionsAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("1.8 million hashes")
	}
	seen := make(map[uint64]struct{}, 1<<21)
	reasons := []string{"SuccessfulCreate", "Scheduled", "Pulling", "Pulled", "Created", "Started"}
	for i := range 300000 {
		name := "web-" + strconv.Itoa(i/100) + "-7d9f8c6b5-" + strconv.FormatInt(int64(i), 36)
		uid := "6f1c4a2e-0000-4000-8000-" + strconv.FormatInt(int64(1e11+i), 10)
		of := hashKey("Pod", "default", name, uid, "Normal")
		for _, r := range reasons {
			k := dedupKey(of, r, "Started container app", "kubelet/node-1")
			if _, ok := seen[k]; ok {
				t.Fatalf("collision at pod %d reason %s", i, r)
			}
			seen[k] = struct{}{}
		}
	}
}

// name is the object's name, the first time seen in nanoseconds and the
// sequence number in hex, as it was built by concatenation.
func TestEventNameFormat(t *testing.T) {
	e := sim.NewEngine(1)
	s := New(e, store.New(e))
	long := string(make([]byte, 200))
	for _, tc := range []struct {
		name  string
		first time.Duration
		seq   uint32
	}{{"p", 0, 1}, {"web-7d9f8c6b5-x2k4q", 90*time.Second + 7, 0xabcdef}, {long, time.Hour, 1<<32 - 1}} {
		obj := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: tc.name}}
		want := tc.name + "." + strconv.FormatInt(e.Start().Add(tc.first).UnixNano(), 16) + strconv.FormatUint(uint64(tc.seq), 16)
		require.Equal(t, want, s.events.name(obj, eventLog{first: tc.first, seq: tc.seq}))
	}
}

// aggregate keeps upstream's record as a set of at most ten messages,
// oldest first; a model of it as one slice (as it was first written)
// gives the same answers over a long random sequence of messages, times
// and objects.
func TestAggregateMatchesSliceModel(t *testing.T) {
	e := sim.NewEngine(1)
	s := New(e, store.New(e))
	r := &s.events
	type model struct {
		local []uint64
		last  time.Duration
	}
	models := map[uint64]*model{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		if rng.IntN(50) == 0 {
			e.RunUntil(e.Elapsed() + time.Duration(rng.IntN(400))*time.Second)
		}
		of := hashKey("Pod", "default", "p"+strconv.Itoa(rng.IntN(3)), "Normal")
		reason, message := "R"+strconv.Itoa(rng.IntN(2)), "m"+strconv.Itoa(rng.IntN(14))
		gotAgg, gotKey := r.aggregate(r.record(of), of, reason, message, "c")

		aggKey := hashMore(of, reason, "c", "aggregate")
		m := models[aggKey]
		if m == nil {
			m = &model{}
			models[aggKey] = m
		}
		now := e.Elapsed()
		if now-m.last > aggregateInterval {
			m.local = m.local[:0]
		}
		m.last = now
		if h := hashKey(message); !slices.Contains(m.local, h) {
			m.local = append(m.local, h)
		}
		wantAgg, wantKey := false, dedupKey(of, reason, message, "c")
		if len(m.local) >= aggregateMaxEvents {
			m.local = slices.Delete(m.local, 0, 1)
			wantAgg, wantKey = true, aggKey
		}
		require.Equal(t, wantAgg, gotAgg, "step %d", i)
		require.Equal(t, wantKey, gotKey, "step %d", i)
	}
}

// The per-object records give the answers the correlator's three maps
// (dedup, aggregation, spam: one entry per key, never swept) gave, over a
// long random sequence of events about a few objects from a few sources,
// some with many messages (past maxSlots: the spilled logs), with the
// sweeps running in between.
func TestRecordsMatchThreeMaps(t *testing.T) {
	e := sim.NewEngine(1)
	s := New(e, store.New(e))
	r := &s.events
	type aggModel struct {
		local []uint64
		last  time.Duration
	}
	seen := map[uint64]eventLog{}
	similar := map[uint64]*aggModel{}
	spam := map[uint64]*bucket{}
	var seq uint32
	rng := rand.New(rand.NewPCG(3, 4))
	comps := []string{"kubelet/n1", "replicaset-controller", "default-scheduler"}
	steps := 0
	var step func()
	step = func() {
		for range rng.IntN(20) {
			of := hashKey("Pod", "default", "p"+strconv.Itoa(rng.IntN(4)), "u", "Normal")
			comp := comps[rng.IntN(len(comps))]
			reason, message := "R"+strconv.Itoa(rng.IntN(3)), "m"+strconv.Itoa(rng.IntN(90))
			o := r.record(of)
			gotAgg, gotKey := r.aggregate(o, of, reason, message, comp)
			gotLog := r.observe(o, gotKey)
			gotAllowed := r.allow(o, of, comp)

			now := e.Elapsed()
			wantAgg, wantKey := false, dedupKey(of, reason, message, comp)
			if !eventsV1(comp) {
				aggKey := hashMore(of, reason, comp, "aggregate")
				m := similar[aggKey]
				if m == nil {
					m = &aggModel{}
					similar[aggKey] = m
				}
				if now-m.last > aggregateInterval {
					m.local = m.local[:0]
				}
				m.last = now
				if h := hashKey(message); !slices.Contains(m.local, h) {
					m.local = append(m.local, h)
				}
				if len(m.local) >= aggregateMaxEvents {
					m.local = slices.Delete(m.local, 0, 1)
					wantAgg, wantKey = true, aggKey
				}
			}
			l, ok := seen[wantKey]
			if !ok {
				seq++
				l = eventLog{first: now, seq: seq}
			}
			l.count++
			seen[wantKey] = l
			wantAllowed := true
			if !eventsV1(comp) {
				k := hashMore(of, comp, "spam")
				b := spam[k]
				if b == nil {
					b = &bucket{tokens: spamBurst}
					spam[k] = b
				}
				wantAllowed = b.take(now)
			}
			require.Equal(t, wantAgg, gotAgg, "step %d", steps)
			require.Equal(t, wantKey, gotKey, "step %d", steps)
			require.Equal(t, l, gotLog, "step %d", steps)
			require.Equal(t, wantAllowed, gotAllowed, "step %d", steps)
			steps++
		}
		if steps < 30000 {
			// Bursts and quiet spells: buckets run dry and refill
			// partly, aggregation records go stale.
			pause := time.Duration(rng.IntN(120)) * time.Second
			if rng.IntN(8) == 0 {
				pause = time.Duration(rng.IntN(2400)) * time.Second
			}
			e.After(pause, "step", step)
		}
	}
	e.After(0, "step", step)
	e.RunUntil(1000 * time.Hour)
	require.GreaterOrEqual(t, steps, 30000)
	require.NotEmpty(t, r.spilled, "some object spilled its logs")
	swept := 0
	for _, o := range r.objs {
		swept += cap(o.slots)
	}
	require.Less(t, swept, 4*len(seen), "the sweeps gave room back")
}

// record hands back the one record of each hash whether it is found in
// recent or in the map: hashes sharing recent's place (the same low bits)
// evict each other there and keep their own records, and a record's
// slots are its own even when cut from the slab beside another's.
func TestRecordThroughRecent(t *testing.T) {
	e := sim.NewEngine(1)
	s := New(e, store.New(e))
	r := &s.events
	a, b := uint64(7), uint64(7+recentSize) // one place in recent
	for _, tc := range []struct {
		name string
		of   uint64
	}{{"a new", a}, {"a again", a}, {"b evicts a", b}, {"a from the map", a}, {"b from the map", b}} {
		t.Run(tc.name, func(t *testing.T) {
			require.Same(t, r.lookup(tc.of), r.record(tc.of))
		})
	}
	oa, ob := r.record(a), r.record(b)
	require.NotSame(t, oa, ob)
	for i := range podSlots + 1 { // one past the room cut for it
		oa.add(slot{key: uint64(i) << 2})
	}
	ob.add(slot{key: 99 << 2})
	require.Len(t, oa.slots, podSlots+1)
	for i, sl := range oa.slots {
		require.Equal(t, uint64(i)<<2, sl.key)
	}
	require.Equal(t, []slot{{key: 99 << 2}}, ob.slots)
}

// uuidText writes the text uuid.UUID.String makes, for the UUIDs
// newUUID draws and for ones of all-zero, all-one and mixed bytes.
func TestUUIDText(t *testing.T) {
	s := &Server{uids: sim.NewEngine(7).Rand("apiserver/uid")}
	cases := []uuid.UUID{{}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}}
	for range 20 {
		cases = append(cases, s.newUUID(nil))
	}
	for _, u := range cases {
		var b [36]byte
		uuidText(&b, u)
		require.Equal(t, u.String(), string(b[:]))
	}
}
