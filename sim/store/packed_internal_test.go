package store

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// The slab hands out Encodings with disjoint room, each piece capped at its end (an
// append to one copies instead of writing over the next), starts a new
// slab when the room left is too small, and gives a large encoding a
// slice of its own.
func TestEncSlab(t *testing.T) {
	var s encSlab
	var got [][]byte
	hdrs := map[*Encoding]bool{}
	for i := range 300 { // more than a slab's worth of bytes and of headers
		n := 100 + i%300
		e := s.alloc(n)
		require.False(t, hdrs[e], "header %d handed out twice", i)
		hdrs[e] = true
		b := e.Bytes
		require.Len(t, b, n)
		require.Equal(t, n, cap(b))
		for j := range b {
			b[j] = byte(i)
		}
		got = append(got, b)
	}
	for i, b := range got {
		require.Equal(t, bytes.Repeat([]byte{byte(i)}, len(b)), b, "piece %d was written over", i)
	}
	grown := append(got[0], 0xff)
	require.Equal(t, byte(1), got[1][0], "an append to a piece wrote into the next")
	require.Len(t, grown, len(got[0])+1)

	big := s.alloc(encSlabBytes).Bytes
	require.Len(t, big, encSlabBytes)
	require.Equal(t, encSlabBytes, cap(big))
}
