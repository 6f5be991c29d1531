package cost

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/store"
)

// TestCompareKeysOrdersAsKeys: Summary adds the charges up in the order
// of the pods' "namespace/name" keys, which compareKeys gives without
// building them ("a-b/x" before "a/x": '-' sorts before '/').
func TestCompareKeysOrdersAsKeys(t *testing.T) {
	keys := []podKey{{"a", "x"}, {"a-b", "x"}, {"a", "x-1"}, {"a", "x/"}, {"ab", ""}, {"", "a"}, {"a", "y"}, {"b", "a"}, {"a", "x"}}
	for _, a := range keys {
		for _, b := range keys {
			want := strings.Compare(store.Key(a.namespace, a.name), store.Key(b.namespace, b.name))
			require.Equal(t, want, compareKeys(a, b), "%v %v", a, b)
		}
	}
}
