package live

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMemoisedViewEqualsAFreshOne: a refresh that reuses the last one's
// pod and node views gives exactly the view a refresh from nothing gives,
// minute by minute through stories that change pods, nodes and owners
// (a node failing and its pods evicted, a rollout, a drain, a rewind).
func TestMemoisedViewEqualsAFreshOne(t *testing.T) {
	for _, name := range []string{"node-failure", "rolling-update", "cordon-drain"} {
		t.Run(name, func(t *testing.T) {
			s := newSession(t, name)
			check := func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				s.refreshLocked()
				memoised := *s.view.Load()
				s.memo = viewMemo{}
				s.refreshLocked()
				fresh := *s.view.Load()
				memoised.Version = fresh.Version
				require.Equal(t, fresh, memoised, "at %s", fresh.Time)
			}
			for range 14 {
				require.NoError(t, s.RunFor(time.Minute))
				check()
			}
			require.NoError(t, s.Rewind(3*time.Minute))
			check()
		})
	}
}
