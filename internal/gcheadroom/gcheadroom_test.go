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
		live, headroom uint64
		want           int
	}{
		{0, 768 << 20, 100},
		{500 << 20, 768 << 20, 100},
		{768 << 20, 768 << 20, 100},
		{1536 << 20, 768 << 20, 50},
		{3 << 30, 768 << 20, 25},
		{100 << 30, 768 << 20, minPercent},
	} {
		require.Equal(t, c.want, percentFor(c.live, c.headroom), "live %d MiB", c.live>>20)
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
	Start(16 << 20)
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
