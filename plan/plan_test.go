package plan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

// loadEdited loads testdata/small.yaml with from replaced by to, from a
// copy of testdata (the manifests it names beside it).
func loadEdited(t *testing.T, from, to string) (*Plan, error) {
	t.Helper()
	src, err := os.ReadFile("testdata/small.yaml")
	require.NoError(t, err)
	text := strings.Replace(string(src), from, to, 1)
	require.NotEqual(t, string(src), text, "the edit changes nothing")
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("testdata")))
	path := filepath.Join(dir, "small.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return Load(path)
}

// textOf is every report format of the merged partials, one after the
// other (text, JSON, HTML with its charts).
func textOf(t *testing.T, parts ...*Partial) string {
	t.Helper()
	rep, err := BuildReport(parts)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, rep.WriteText(&b))
	require.NoError(t, rep.WriteJSON(&b))
	require.NoError(t, rep.WriteHTML(&b))
	return b.String()
}

// TestSmallPlan: the best candidate is known by construction (see the
// plan's comment); the report is the same, byte for byte, with one worker
// or two and with one shard or three merged; a failing run's reproduce
// command reruns exactly that run.
func TestSmallPlan(t *testing.T) {
	pl, err := Load("testdata/small.yaml")
	require.NoError(t, err)
	out := t.TempDir()
	two, err := Sweep(pl, Options{Workers: 2, Out: out})
	require.NoError(t, err)
	rep, err := BuildReport([]*Partial{two})
	require.NoError(t, err)
	require.Equal(t, []string{"three", "xl"}, rep.Ranking, "cheapest passing first; two m5.large cannot lose a node")
	require.False(t, rep.Candidates[0].Passed)
	require.NotEmpty(t, rep.Candidates[0].Failures)

	want := textOf(t, two)
	one, err := Sweep(pl, Options{Workers: 1, Out: out})
	require.NoError(t, err)
	require.Equal(t, want, textOf(t, one), "--workers 1 and --workers 2 must give the same report")

	dir := t.TempDir()
	for i := range 3 {
		p, err := Sweep(pl, Options{Workers: 2, Shard: i, Shards: 3, Out: out})
		require.NoError(t, err)
		_, err = WritePartial(dir, p)
		require.NoError(t, err)
	}
	parts, err := ReadPartials([]string{dir})
	require.NoError(t, err)
	require.Len(t, parts, 3)
	require.Equal(t, want, textOf(t, parts...), "3 shards merged must give the single-machine report")

	// The failure's printed command reruns that run: same trace, same
	// failed expectation.
	require.NoError(t, pl.WriteScenarios(out, two))
	f := rep.Candidates[0].Failures[0]
	fields := strings.Fields(f.Reproduce)
	require.Equal(t, []string{"kubesim", "run"}, fields[:2])
	require.Equal(t, "--seed", fields[3])
	s, err := scenarios.Load(fields[2])
	require.NoError(t, err)
	var seed uint64
	for _, r := range two.Results {
		if !r.Passed && filepath.Join(out, r.Scenario) == fields[2] && fields[4] == formatUint(r.Seed) {
			seed = r.Seed
			again, err := runner.Run(s, runner.Options{Seed: &seed})
			require.NoError(t, err)
			require.Equal(t, r.TraceHash, again.TraceHash)
			require.False(t, again.Passed())
		}
	}
	require.NotZero(t, seed, "the reproduce command names a failed run")
}

func formatUint(u uint64) string { return itoa(u) }

func itoa(u uint64) string {
	if u == 0 {
		return "0"
	}
	var b []byte
	for u > 0 {
		b = append([]byte{byte('0' + u%10)}, b...)
		u /= 10
	}
	return string(b)
}

func TestMergeRefusesAnotherPlan(t *testing.T) {
	pl, err := Load("testdata/small.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	p := &Partial{Header: pl.header(2, 0, 2, 12, "")}
	_, err = WritePartial(dir, p)
	require.NoError(t, err)
	q := &Partial{Header: pl.header(2, 1, 2, 12, "")}
	q.Header.Digest = "sha256:0123456789abcdef"
	_, err = WritePartial(dir, q)
	require.NoError(t, err)
	_, err = ReadPartials([]string{dir})
	require.ErrorContains(t, err, filepath.Join(dir, "partial-1-of-2.json")+":4:")
	require.ErrorContains(t, err, "cannot be merged")
}

func TestBadPlans(t *testing.T) {
	cases := []struct{ name, from, to, want string }{
		{"unknown instance type", "instanceType: m5.xlarge", "instanceType: m5.xlarg",
			`small.yaml:16:34: candidates[1].nodeGroups[0]: unknown instance type "m5.xlarg"` + "\n  hint: did you mean \"m5.xlarge\"?"},
		{"SLO on a missing workload", "deployment: web,", "deployment: wbe,",
			`small.yaml:25:29: slos[1].available: no Deployment "wbe" in namespace default among the workloads` + "\n  hint: did you mean \"web\"?"},
		{"zero seeds", "seeds: 2", "seeds: 0", "small.yaml:7:8: seeds: 0 runs nothing"},
		{"unknown field", "settle: 2m", "setle: 2m", `small.yaml:6:1: unknown field "setle" in plan` + "\n  hint: did you mean \"settle\"?"},
		{"unknown fault", "anyNode: true", "anyNod: true", `small.yaml:22:5: unknown field "anyNod" in faults[1]` + "\n  hint: did you mean \"anyNode\"?"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadEdited(t, tc.from, tc.to)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestShardOutOfRange(t *testing.T) {
	pl, err := Load("testdata/small.yaml")
	require.NoError(t, err)
	_, err = Sweep(pl, Options{Shard: 3, Shards: 3})
	require.ErrorContains(t, err, "shard 3 out of range 0..2")
}

func TestRegionPricesAndZones(t *testing.T) {
	pl, err := loadEdited(t, "seeds: 2", "seeds: 2\nregion: eu-west-1")
	require.NoError(t, err)
	h := pl.header(1, 0, 1, 0, "")
	require.InDelta(t, 2*0.107, h.Candidates[0].CostPerHour, 1e-9, "eu-west-1 charges $0.107 for an m5.large")
	data, _, err := pl.scenarioYAML(pl.Candidates[0], pl.variants(pl.Candidates[0])[0])
	require.NoError(t, err)
	require.Contains(t, string(data), "eu-west-1a")

	_, err = loadEdited(t, "seeds: 2", "seeds: 2\nregion: eu-west-9")
	require.ErrorContains(t, err, `region "eu-west-9" has no prices in the catalogue`)
}
