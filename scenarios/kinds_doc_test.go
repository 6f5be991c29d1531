package scenarios

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/store"
)

// TestEveryKindIsDocumented: the scenario format's table of kinds names
// every kind the store has, with its apiVersion, so a kind added to the
// simulation cannot go undocumented.
func TestEveryKindIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenario-format.md")
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(doc), "### Kinds")
	require.True(t, ok, "docs/scenario-format.md has a Kinds section")
	row := regexp.MustCompile("(?m)^\\| (.+?) \\| `([^`]+)` \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		for _, k := range regexp.MustCompile("`([A-Za-z0-9]+)`").FindAllStringSubmatch(m[1], -1) {
			documented[k[1]] = m[2]
		}
	}
	for _, k := range store.Kinds() {
		info, _ := store.LookupKind(k)
		gv, ok := documented[k]
		if !ok {
			t.Errorf("kind %s is not in the Kinds table of docs/scenario-format.md", k)
			continue
		}
		require.Equal(t, info.GroupVersion.String(), gv, "apiVersion of %s", k)
	}
}
