package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/internal/textdist"
)

func TestSuggest(t *testing.T) {
	fields := []string{"name", "instanceType", "capacity", "count", "min", "max", "zones", "labels", "taints"}
	tests := []struct{ word, want string }{
		{"instancetype", "instanceType"}, // case only
		{"cuont", "count"},
		{"lables", "labels"},
		{"zone", "zones"},
		{"replicas", ""}, // nothing close
		{string(make([]byte, 100)), ""},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, textdist.Suggest(tc.word, fields), tc.word)
	}
	require.Equal(t, 3, textdist.Levenshtein("kitten", "sitting"))
	require.Equal(t, 0, textdist.Levenshtein("", ""))
	require.Equal(t, 2, textdist.Levenshtein("né", "ne"+"x"), "counts runes, not bytes")
}
