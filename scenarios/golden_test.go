package scenarios

import (
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/action"
	"github.com/kubesim/kubesim/sim/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenView is the parsed scenario in a stable, readable form.
type goldenView struct {
	Scenario  *Scenario
	NodeNames []string
	Zones     map[string]string
	Workloads []string // kind key @ source:pos
	Timeline  []string // at: action
	Expect    []string
}

func objectSummaries(objs []Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = store.MustKind(o.Obj) + " " + store.KeyOf(o.Obj) + " @ " + o.Source + ":" + o.Pos.String()
	}
	return out
}

// actionSummary is the action as it would be written back, plus the
// objects an apply decoded.
func actionSummary(a Action) string {
	v, err := action.Write(a.Do)
	if err != nil {
		return a.At.String() + " " + err.Error()
	}
	b, _ := json.Marshal(v)
	out := a.At.String() + " " + a.Do.ActionName() + " " + string(b)
	if ap, ok := a.Do.(*action.Apply); ok && ap.File != "" {
		for _, o := range ap.Objects {
			out += ", " + store.MustKind(o) + " " + store.KeyOf(o)
		}
	}
	return out
}

func TestGoldenFull(t *testing.T) {
	s, err := Load("testdata/golden/full.yaml")
	require.NoError(t, err)
	v := goldenView{Scenario: s, NodeNames: s.NodeNames(), Zones: map[string]string{}, Workloads: objectSummaries(s.Workloads)}
	for _, g := range s.Cluster.NodeGroups {
		for i := 1; i <= g.Count; i++ {
			v.Zones[g.NodeName(i)] = g.ZoneOf(i)
		}
	}
	for _, a := range s.Timeline {
		v.Timeline = append(v.Timeline, actionSummary(a))
	}
	for _, e := range s.Expect {
		v.Expect = append(v.Expect, e.Description())
	}
	got, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	const golden = "testdata/golden/full.golden.json"
	if *update {
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))
}
