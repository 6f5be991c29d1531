package podutil

import (
	"maps"
	"testing"
)

// TestEqualMaps: EqualMaps answers as maps.Equal, whether the two are one
// map, equal copies, or differ in a key, a value or their length (nil
// and empty alike).
func TestEqualMaps(t *testing.T) {
	m := map[string]string{"app": "web", "tier": "front"}
	for _, tc := range []struct {
		name string
		a, b map[string]string
	}{
		{"one map", m, m},
		{"equal copy", m, maps.Clone(m)},
		{"other value", m, map[string]string{"app": "web", "tier": "back"}},
		{"other key", m, map[string]string{"app": "web", "zone": "front"}},
		{"shorter", m, map[string]string{"app": "web"}},
		{"nil and empty", nil, map[string]string{}},
		{"nil and some", nil, m},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := EqualMaps(tc.a, tc.b), maps.Equal(tc.a, tc.b); got != want {
				t.Fatalf("EqualMaps = %v, maps.Equal = %v", got, want)
			}
			if got, want := EqualMaps(tc.b, tc.a), maps.Equal(tc.b, tc.a); got != want {
				t.Fatalf("swapped: EqualMaps = %v, maps.Equal = %v", got, want)
			}
		})
	}
}
