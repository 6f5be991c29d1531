package store

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim"
)

// sameMap tells the same map from an equal one: only the same map may
// skip the comparison of entries.
func TestSameMap(t *testing.T) {
	a := map[string]string{"app": "web"}
	b := map[string]string{"app": "web"}
	require.True(t, sameMap(a, a))
	require.False(t, sameMap(a, b), "equal, not the same")
	require.False(t, sameMap(nil, map[string]string{}), "nil and empty: compared by entries")
	require.True(t, sameMap(nil, nil))
}

// table finds, for the kinds it tells apart by a switch, the table the
// map of tables holds.
func TestTableOfKind(t *testing.T) {
	s := New(sim.NewEngine(1))
	for _, k := range Kinds() {
		require.Same(t, s.tables[k], s.table(k), k)
	}
	require.Nil(t, s.table("NoSuchKind"))
}
