package apiserver

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// hashKey is hash/fnv's New64a over each part and a zero byte.
func TestHashKeyIsFNV1a(t *testing.T) {
	for _, parts := range [][]string{
		nil, {""}, {"", ""}, {"a"}, {"a", "b"}, {"ab"}, {"Pod", "default", "web-1", "uid", "Normal", "Pulled", "msg", "kubelet/n-1"},
		{"héllo\x00\xff", "spam"},
	} {
		h := fnv.New64a()
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		require.Equal(t, h.Sum64(), hashKey(parts...), "%q", parts)
	}
	require.NotEqual(t, hashKey("ab", "c"), hashKey("a", "bc"))
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

func TestHashMoreContinuesHashKey(t *testing.T) {
	require.Equal(t, hashKey("Pod", "default", "p", "u", "Normal", "Pulled", "spam"),
		hashMore(hashKey("Pod", "default", "p", "u", "Normal"), "Pulled", "spam"))
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
		gotMsg, gotKey := r.aggregate(of, reason, message, "c")

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
		wantMsg, wantKey := message, hashMore(of, reason, message, "c")
		if len(m.local) >= aggregateMaxEvents {
			m.local = slices.Delete(m.local, 0, 1)
			wantMsg, wantKey = aggregatePrefix+message, aggKey
		}
		require.Equal(t, wantMsg, gotMsg, "step %d", i)
		require.Equal(t, wantKey, gotKey, "step %d", i)
	}
}
