package etcd

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"
)

// The content hash stops at the first object (in key order) it cannot
// encode and names it: a later unencodable object in the same chunk must
// neither be hashed past the first nor replace its error.
func TestHashContentStopsAtFirstUnencodable(t *testing.T) {
	data := map[string]map[string]value{
		"Pod": {"default/a": 1, "default/b": 2},
	}
	err := hashContent(sha256.New(), contentOf(data))
	require.ErrorContains(t, err, "Pod default/a")
	require.NotContains(t, err.Error(), "default/b")
}
