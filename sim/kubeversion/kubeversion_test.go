package kubeversion

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The release follows the API types: bumping k8s.io/api in go.mod without
// moving GitVersion fails here.
func TestMatchesAPITypes(t *testing.T) {
	f, err := os.Open("../../go.mod")
	require.NoError(t, err)
	defer f.Close()
	var api string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "k8s.io/api" {
			api = fields[1]
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, api, "k8s.io/api not required in go.mod")
	require.Equal(t, "v1"+strings.TrimPrefix(api, "v0"), GitVersion)
	require.Equal(t, "v"+Major+"."+Minor, GitVersion[:strings.LastIndex(GitVersion, ".")])
}
