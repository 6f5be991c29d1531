package offload

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The work runs in the order handed over, all of it before Wait returns,
// however much is handed over between waits, with at most maxPending
// pieces waiting, and no goroutine left once it is done.
func TestQueueRunsInOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		waits []int // Wait after this many pieces
		total int
	}{
		{"none", nil, 0},
		{"one", []int{1}, 1},
		{"under the bound", []int{maxPending - 1}, maxPending - 1},
		{"at the bound", nil, maxPending},
		{"past the bound", nil, maxPending + 1},
		{"many, waits between", []int{1, 2, 100, 101, 700}, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := New()
			var ran []int // only the queue's goroutine appends
			for i := range tc.total {
				q.Do(func() { ran = append(ran, i) })
				q.mu.Lock()
				require.LessOrEqual(t, len(q.pending)-q.head, maxPending)
				require.LessOrEqual(t, len(q.pending), 2*maxPending)
				q.mu.Unlock()
				for _, w := range tc.waits {
					if w == i+1 {
						q.Wait()
						require.Len(t, ran, i+1)
					}
				}
			}
			q.Wait()
			require.Len(t, ran, tc.total)
			for i, r := range ran {
				require.Equal(t, i, r)
			}
			q.mu.Lock()
			require.False(t, q.busy)
			q.mu.Unlock()
		})
	}
}
