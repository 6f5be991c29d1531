package sim

import (
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
