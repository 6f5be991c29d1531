package render

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/sim/store"
)

// TestViewNamesFromTheKindTable: every name kubectl accepts for a kind
// with a view opens it (`:po`, `:statefulsets`, `:deployments.apps`), and
// a kind without a view is refused.
func TestViewNamesFromTheKindTable(t *testing.T) {
	v := &live.View{}
	for kind, mode := range viewModes {
		info, ok := store.LookupKind(kind)
		require.True(t, ok, kind)
		for _, name := range append(info.Names(), info.Kind) {
			n, err := Nav{}.Command(v, name)
			require.NoError(t, err, name)
			require.Equal(t, mode, n.Mode, name)
			if mode == ModeWorkloads {
				require.Equal(t, kind, n.Kind, name)
			}
		}
	}
	_, err := Nav{}.Command(v, "cm")
	require.ErrorContains(t, err, "unknown view")
}
