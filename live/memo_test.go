package live

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// TestMemoisedViewEqualsAFreshOne: a refresh that rebuilds only what the
// watches saw change gives exactly the view a refresh from nothing gives
// (counts, pending list, owners, nodes and their pods),
// second by second through stories that change pods, nodes and owners
// (a node failing and its pods evicted, a rollout, a drain, Deployments
// deleted with their ReplicaSets orphaned, a rewind).
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
				s.memo.forget()
				s.refreshLocked()
				fresh := *s.view.Load()
				record(fresh)
				memoised.Version = fresh.Version
				memoised.Nodes = unstamped(memoised.Nodes)
				fresh.Nodes = unstamped(fresh.Nodes)
				require.Equal(t, fresh, memoised, "at %s", fresh.Time)
			}
			for range 14 * 60 {
				require.NoError(t, s.RunFor(time.Second))
				check()
			}
			// Deployments deleted with their ReplicaSets orphaned: the
			// garbage collector drops the ReplicaSets' owner, and their pods
			// (unchanged themselves) are owned by the ReplicaSets now.
			var deployments []string
			s.With(func(c *cluster.Cluster) {
				for _, o := range c.Store.List("Deployment", "") {
					deployments = append(deployments, store.KeyOf(o))
				}
			})
			require.NotEmpty(t, deployments)
			for _, key := range deployments {
				ns, name := store.SplitKey(key)
				_, err := s.APIWrite(func(*cluster.Cluster) (*scenarios.APIRequest, error) {
					return &scenarios.APIRequest{Verb: "delete", Kind: "Deployment", Namespace: ns, Name: name, Propagation: "Orphan"}, nil
				})
				require.NoError(t, err)
			}
			for range 30 {
				require.NoError(t, s.RunFor(time.Second))
				check()
			}
			orphans := 0
			for _, nv := range s.Snapshot().Nodes {
				for _, pv := range nv.Pods {
					if strings.HasPrefix(pv.Owner, "ReplicaSet/") {
						orphans++
					}
				}
			}
			require.Positive(t, orphans, "pods owned by orphaned ReplicaSets")
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
