package kubeapi

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/store"
)

// TestDiscoveryServesEveryKind: every kind of the store's kind table is
// served under its own group/version with the table's names, so adding a
// kind to the store is all it takes to serve it.
func TestDiscoveryServesEveryKind(t *testing.T) {
	for _, kind := range store.Kinds() {
		info, _ := store.LookupKind(kind)
		r := resourceOfKind(kind)
		require.NotNil(t, r, kind)
		require.Equal(t, info.GroupVersion, r.gv, kind)
		require.Equal(t, info.Resource, r.plural, kind)
		require.Equal(t, info.Singular, r.singular, kind)
		require.Equal(t, info.ShortNames, r.short, kind)
		require.Equal(t, info.Categories, r.categories, kind)
		require.Equal(t, info.Subresources, r.subresources, kind)
		require.Equal(t, info.Namespaced, r.namespaced, kind)
		require.Same(t, r, lookup(info.GroupVersion, info.Resource), kind)
	}
}
