package gcheadroom

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercentFor(t *testing.T) {
	for _, c := range []struct {
		live, headroom, room uint64
		want                 int
	}{
		{0, 768 << 20, 0, 100},
		{500 << 20, 768 << 20, 0, 100},
		{768 << 20, 768 << 20, 0, 100},
		{1536 << 20, 768 << 20, 0, 50},
		{3 << 30, 768 << 20, 0, 25},
		{100 << 30, 768 << 20, 0, minPercent},
		// Room lets a small heap grow by up to twice itself...
		{0, 768 << 20, 2 << 30, 100},
		{100 << 20, 768 << 20, 2 << 30, maxPercent},
		// ...and a bigger one up to room in all,
		{512 << 20, 768 << 20, 2 << 30, maxPercent},
		{768 << 20, 512 << 20, 2 << 30, 166},
		{1 << 30, 768 << 20, 2 << 30, 100},
		// until headroom allows more than what is left of room.
		{1536 << 20, 768 << 20, 2 << 30, 50},
		{1792 << 20, 512 << 20, 2 << 30, 28},
		{3 << 30, 768 << 20, 2 << 30, 25},
	} {
		require.Equal(t, c.want, percentFor(c.live, c.headroom, c.room), "live %d MiB", c.live>>20)
	}
}

// TestStartLowersThePercentOnABigHeap keeps 64 MiB live with a headroom
// of 16 MiB: after a few collections the percentage is about 25 (a little
// less: the test binary's own heap is live too), and once the
// heap is dropped it goes back to 100. (GOGC and GOMEMLIMIT must not be
// set for this test: go test does not set them.)
func TestStartLowersThePercentOnABigHeap(t *testing.T) {
	if Percent() != 100 {
		t.Skip("GOGC is set in this environment")
	}
	t.Cleanup(func() { debug.SetGCPercent(100) })
	Start(16<<20, 0)
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	require.Eventually(t, func() bool { runtime.GC(); p := Percent(); return p >= 20 && p <= 25 }, 10*time.Second, 10*time.Millisecond)
	runtime.KeepAlive(live)
	clear(live)
	require.Eventually(t, func() bool { runtime.GC(); return Percent() == 100 }, 10*time.Second, 10*time.Millisecond)

	// Someone else sets the percentage (a plan sweep's batch): the
	// pacer leaves it alone from then on, even on a big heap.
	debug.SetGCPercent(200)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	for range 5 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the finalizer's turn
	}
	require.Equal(t, 200, Percent(), "the other setting stands")
	runtime.KeepAlive(live)
}
