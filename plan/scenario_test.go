package plan

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
)

// TestFaultsBecomeTimelines: every fault kind expands to the scenario
// entries it promises, named "fault" for the SLOs' after:.
func TestFaultsBecomeTimelines(t *testing.T) {
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
	pl, err := loadEdited(t, "faults:\n  - none: true\n  - anyNode: true\nslos:", faults)
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
