package scenarios

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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

func actionSummary(a Action) string {
	b, _ := json.Marshal(a)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"Fail", "Recover", "Cordon", "Uncordon", "Drain", "Apply", "Delete", "Etcd", "Partition"} {
		if m[k] != nil {
			if k == "Apply" {
				return a.At.String() + " apply " + a.Apply.File + " " + strings.Join(objectSummaries(a.Apply.Objects), ", ")
			}
			v, _ := json.Marshal(m[k])
			return a.At.String() + " " + k + " " + string(v)
		}
	}
	return a.At.String() + " kubectl " + a.Kubectl
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
