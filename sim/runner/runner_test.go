package runner_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestLibraryScenarios runs every library scenario twice (once with
// GOMAXPROCS=1) with the invariants checked after every event: the trace
// hashes must be equal, every expectation must hold, and the text report
// must match its golden file. The first runs are parallel; the
// GOMAXPROCS=1 runs come after them, one at a time (GOMAXPROCS is
// process-wide: toggling it inside parallel subtests would change the
// other subtests' runs too).
func TestLibraryScenarios(t *testing.T) {
	var mu sync.Mutex
	firsts := map[string]*runner.Report{}
	t.Run("parallel", func(t *testing.T) {
		for _, entry := range scenarios.Library() {
			t.Run(entry.Name, func(t *testing.T) {
				t.Parallel()
				s, err := scenarios.LoadLibrary(entry.Name)
				require.NoError(t, err)
				first, err := runner.Run(s, runner.Options{CheckInvariants: true})
				require.NoError(t, err)
				for _, e := range first.Expectations {
					require.True(t, e.Passed, "expectation %d (%s) failed: %s", e.Index, e.Description, e.Message)
				}
				var text bytes.Buffer
				require.NoError(t, first.WriteText(&text))
				golden(t, filepath.Join("testdata", entry.Name+".golden"), text.Bytes())
				mu.Lock()
				firsts[entry.Name] = first
				mu.Unlock()
			})
		}
	})
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	for _, entry := range scenarios.Library() {
		t.Run("GOMAXPROCS=1/"+entry.Name, func(t *testing.T) {
			first := firsts[entry.Name]
			if first == nil {
				t.Skipf("the first run of %s failed (see above)", entry.Name)
			}
			s, err := scenarios.LoadLibrary(entry.Name)
			require.NoError(t, err)
			// The second run is the one `--report json` makes: no
			// play-by-play, the same JSON report.
			second, err := runner.Run(s, runner.Options{NoPlayByPlay: true})
			require.NoError(t, err)
			require.Equal(t, first.TraceHash, second.TraceHash, "same scenario and seed must give the same trace")
			require.Equal(t, first.Events, second.Events)
			firstJSON, err := json.Marshal(first)
			require.NoError(t, err)
			secondJSON, err := json.Marshal(second)
			require.NoError(t, err)
			require.JSONEq(t, string(firstJSON), string(secondJSON))
			require.Nil(t, second.Placement)
			for _, e := range second.Timeline {
				require.Contains(t, []string{"Action", "Failed"}, e.Type, "no cluster Events in the timeline: %+v", e)
			}
		})
	}
}

func TestSeedChangesTheTrace(t *testing.T) {
	s, err := scenarios.LoadLibrary("demo")
	require.NoError(t, err)
	a, err := runner.Run(s, runner.Options{})
	require.NoError(t, err)
	seed := s.Seed + 1
	b, err := runner.Run(s, runner.Options{Seed: &seed})
	require.NoError(t, err)
	require.NotEqual(t, a.TraceHash, b.TraceHash)
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test ./sim/runner -update")
	require.Equal(t, string(want), string(got), "golden file %s differs; rerun with -update if the change is intended", path)
}

// TestNodeFailureGoldenTrace pins the whole canonical trace of one library
// scenario, line by line, so a change in behaviour shows as a readable
// diff (the other scenarios pin theirs through the traceHash in their
// golden reports).
func TestNodeFailureGoldenTrace(t *testing.T) {
	s, err := scenarios.LoadLibrary("node-failure")
	require.NoError(t, err)
	var trace bytes.Buffer
	rep, err := runner.Run(s, runner.Options{Trace: &trace})
	require.NoError(t, err)
	golden(t, filepath.Join("testdata", "node-failure.trace.jsonl"), trace.Bytes())
	sum := sha256.Sum256(trace.Bytes())
	require.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), rep.TraceHash, "traceHash is the SHA-256 of the trace lines")
}
