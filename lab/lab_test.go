package lab

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLibraryParses(t *testing.T) {
	labs, err := Library()
	require.NoError(t, err)
	require.NotEmpty(t, labs)
	for _, l := range labs {
		require.NotEmpty(t, l.Solution, l.Name)
	}
}
