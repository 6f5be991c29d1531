package sim

import (
	"hash/fnv"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat/distuv"
)

// TestKeyerDrawsAsKeyed pins that the reused generator of a Keyer gives
// exactly Keyed's numbers for every key, whatever was drawn before.
func TestKeyerDrawsAsKeyed(t *testing.T) {
	s := NewStreams(42)
	k := s.Keyer("metrics/noise")
	for key := range uint64(50) {
		want := s.Keyed("metrics/noise", key*7919)
		got := k.Rand(key * 7919)
		for range 3 {
			require.Equal(t, want.Uint64(), got.Uint64(), "key %d", key)
		}
		require.Equal(t, distuv.Normal{Mu: 1, Sigma: 0.05, Src: s.Keyed("metrics/noise", key)}.Rand(),
			distuv.Normal{Mu: 1, Sigma: 0.05, Src: k.Rand(key)}.Rand(), "key %d", key)
	}
	require.NotEqual(t, s.Keyed("other", 1).Uint64(), k.Rand(1).Uint64(), "the name seeds the streams")
}

func TestKeyerAllocatesNothing(t *testing.T) {
	k := NewStreams(1).Keyer("metrics/noise")
	var sum float64
	allocs := testing.AllocsPerRun(100, func() {
		for key := range uint64(10) {
			sum += distuv.Normal{Mu: 1, Sigma: 0.05, Src: k.Rand(key)}.Rand()
		}
	})
	require.Zero(t, allocs)
	require.NotZero(t, sum)
}

// TestInt64NIsTheStandardOne pins that Rand's own Int64N, Float64 and
// Uint64 draw what math/rand/v2's draw from the same generator, for
// bounds of every shape (powers of two, small, near 2^63, ones that
// reject often), interleaved with one another.
func TestInt64NIsTheStandardOne(t *testing.T) {
	got := NewStreams(7).Get("kubelet/n1/latency")
	want := rand.New(rand.NewPCG(7, func() uint64 { h := fnv.New64a(); h.Write([]byte("kubelet/n1/latency")); return h.Sum64() }()))
	bounds := []int64{1, 2, 3, 7, 8, 1 << 20, 400_000_001, 10_000_000_000, 1<<62 + 1, 1<<63 - 1, 3 << 61, 1 << 62}
	for i := range 20_000 {
		n := bounds[i%len(bounds)]
		require.Equal(t, want.Int64N(n), got.Int64N(n), "draw %d, bound %d", i, n)
		if i%7 == 0 {
			require.Equal(t, want.Float64(), got.Float64())
		}
		if i%5 == 0 {
			require.Equal(t, want.Uint64(), got.Uint64())
		}
	}
	require.Panics(t, func() { got.Int64N(0) })
}
