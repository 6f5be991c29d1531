package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim"
)

// TestTableByKind: a store finds the table of every kind by its name,
// whether the name is the literal the kind was registered with or a copy
// built at run time, and whatever was looked up before it in the same
// place of its recent tables; an unknown kind has none, also after a
// known kind took its place.
func TestTableByKind(t *testing.T) {
	s := New(sim.NewEngine(1))
	names := append([]string{}, kindOrder...)
	for _, k := range kindOrder {
		names = append(names, strings.Clone(k)) // another address, the same name
	}
	backwards := slices.Clone(names)
	slices.Reverse(backwards)
	cases := []struct {
		name  string
		kinds []string // looked up in this order, twice
	}{
		{"every kind", names},
		{"every kind backwards", backwards},
		{"unknown kinds between", []string{"ReplicaSet", "Replicaset", "", "ResourceQuota", "resourceQuota", "ReplicaSet"}},
		{"the hot kinds alternating", []string{"PodDisruptionBudget", "ServiceAccount", "PodDisruptionBudget", "Namespace", "StatefulSet", "Namespace"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for range 2 {
				for _, k := range c.kinds {
					want := s.tables[k] // nil if unknown
					require.Same(t, want, s.table(k), "kind %q", k)
				}
			}
		})
	}
}
