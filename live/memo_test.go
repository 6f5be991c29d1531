package live

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMemoisedViewEqualsAFreshOne: a refresh that reuses the last one's
// pod and node views gives exactly the view a refresh from nothing gives,
// minute by minute through stories that change pods, nodes and owners
// (a node failing and its pods evicted, a rollout, a drain, a rewind).
// A node view's Stamp stays while the node's view is unchanged, changes
// when it changes, and is never reused (not even after a rewind).
func TestMemoisedViewEqualsAFreshOne(t *testing.T) {
	for _, name := range []string{"node-failure", "rolling-update", "cordon-drain"} {
		t.Run(name, func(t *testing.T) {
			s := newSession(t, name)
			seen := map[uint64]NodeView{} // every stamp handed out, with its view
			kept, changed := 0, 0
			record := func(v View) {
				for _, nv := range v.Nodes {
					if old, ok := seen[nv.Stamp]; ok {
						require.Equal(t, old, nv, "stamp %d reused for a different view at %s", nv.Stamp, v.Time)
						kept++
					} else {
						changed++
					}
					seen[nv.Stamp] = nv
				}
			}
			check := func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				s.refreshLocked()
				memoised := *s.view.Load()
				record(memoised)
				s.memo = viewMemo{stamps: s.memo.stamps}
				s.refreshLocked()
				fresh := *s.view.Load()
				record(fresh)
				memoised.Version = fresh.Version
				memoised.Nodes = unstamped(memoised.Nodes)
				fresh.Nodes = unstamped(fresh.Nodes)
				require.Equal(t, fresh, memoised, "at %s", fresh.Time)
			}
			for range 14 {
				require.NoError(t, s.RunFor(time.Minute))
				check()
			}
			require.NoError(t, s.Rewind(3*time.Minute))
			check()
			require.Positive(t, kept, "some node views kept their stamp")
			require.Positive(t, changed, "some node views got a new stamp")
		})
	}
}

func unstamped(nodes []NodeView) []NodeView {
	out := slices.Clone(nodes)
	for i := range out {
		out[i].Stamp = 0
	}
	return out
}
