package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExpiryQueue: expiries come out in the order they went in, across
// blocks and with pushes between pops, and spent blocks are let go.
func TestExpiryQueue(t *testing.T) {
	var q expiryQueue
	_, ok := q.front()
	require.False(t, ok)
	in, out := 0, 0
	push := func(n int) {
		for range n {
			q.push(expiry{due: time.Duration(in), key: fmt.Sprint(in)})
			in++
		}
	}
	pop := func(n int) {
		for range n {
			x, ok := q.front()
			require.True(t, ok)
			require.Equal(t, expiry{due: time.Duration(out), key: fmt.Sprint(out)}, x)
			q.pop()
			out++
		}
	}
	push(10)
	pop(10)
	_, ok = q.front()
	require.False(t, ok, "emptied")
	push(3*expiryBlock + 5)
	require.Len(t, q.blocks, 4)
	pop(expiryBlock + 2)
	require.Len(t, q.blocks, 3, "the spent block is let go")
	push(2 * expiryBlock)
	pop(q.len())
	require.Equal(t, in, out)
	_, ok = q.front()
	require.False(t, ok)
	require.LessOrEqual(t, len(q.blocks), 1)
	push(1)
	pop(1)
}
