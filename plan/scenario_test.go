package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
)

// TestFaultsBecomeTimelines: every fault kind expands to the scenario
// entries it promises, named "fault" for the SLOs' after:.
func TestFaultsBecomeTimelines(t *testing.T) {
	src, err := os.ReadFile("testdata/small.yaml")
	require.NoError(t, err)
	faults := `faults:
  - none: true
  - anyNode: true
  - eachZone: true
    for: 5m
  - etcdMember: true
    at: 3m
  - name: drain-two
    timeline:
      - {at: 3m, drain: {node: ng-1}}
      - {at: 4m, drain: {node: ng-2}}
slos:`
	text := string(src)
	text = text[:strings.Index(text, "faults:")] + faults + text[strings.Index(text, "slos:")+len("slos:"):]
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("testdata")))
	path := filepath.Join(dir, "faults.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	pl, err := Load(path)
	require.NoError(t, err)

	three := pl.Candidates[2]
	var names []string
	load := map[string]*scenarios.Scenario{}
	for _, v := range pl.variants(three) {
		names = append(names, v.Name)
		data, _, err := pl.scenarioYAML(three, v)
		require.NoError(t, err)
		s, err := scenarios.Parse(three.file(v), data, nil)
		require.NoError(t, err, string(data))
		load[v.Name] = s
	}
	require.Equal(t, []string{"none", "anyNode-ng-1", "eachZone-us-east-1a", "eachZone-us-east-1b", "eachZone-us-east-1c", "etcdMember", "drain-two"}, names)
	require.Empty(t, load["none"].Timeline)
	require.Equal(t, "fault", load["anyNode-ng-1"].Timeline[0].Name)
	require.Equal(t, "fail", scenarios.ActionKind(load["anyNode-ng-1"].Timeline[0]))
	require.Equal(t, "partition", scenarios.ActionKind(load["eachZone-us-east-1b"].Timeline[0]))
	require.Equal(t, "etcd", scenarios.ActionKind(load["etcdMember"].Timeline[0]))
	require.Equal(t, 3*60.0, load["etcdMember"].Timeline[0].At.Seconds())
	require.Len(t, load["drain-two"].Timeline, 2)
	require.Equal(t, "fault", load["drain-two"].Timeline[0].Name)
	// allReady under a fault is measured from it; under none, from the start.
	require.Equal(t, "fault", load["anyNode-ng-1"].Expect[0].After)
	require.NotNil(t, load["none"].Expect[0].By)

	// anyNode picks another victim for each seed.
	v := pl.variants(three)[1]
	require.Equal(t, "anyNode-ng-2", v.forSeed(three, 2).Name)
	require.Equal(t, "anyNode-ng-1", v.forSeed(three, 4).Name)
}
