package scenarios_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

// TestExportAndInlineRunLikeTheLibrary: every library scenario, exported
// with its manifests as files or shown with them inline, loads on its own
// from outside the library and replays to the library's own trace hash.
func TestExportAndInlineRunLikeTheLibrary(t *testing.T) {
	for _, e := range scenarios.Library() {
		t.Run(e.Name, func(t *testing.T) {
			lib, err := scenarios.LoadLibrary(e.Name)
			require.NoError(t, err)
			want, err := runner.Run(lib, runner.Options{})
			require.NoError(t, err)

			dir := filepath.Join(t.TempDir(), "out")
			written, err := scenarios.ExportLibrary(e.Name, dir)
			require.NoError(t, err)
			files, err := scenarios.LibraryFiles(e.Name)
			require.NoError(t, err)
			require.Len(t, written, 1+len(files), "the scenario and each file it names")
			for _, f := range files {
				require.FileExists(t, filepath.Join(dir, filepath.FromSlash(f)))
			}
			exported, err := scenarios.Load(filepath.Join(dir, e.Name+".yaml"))
			require.NoError(t, err)
			got, err := runner.Run(exported, runner.Options{})
			require.NoError(t, err)
			require.Equal(t, want.TraceHash, got.TraceHash, "the exported scenario runs like the library's")

			_, err = scenarios.ExportLibrary(e.Name, dir)
			require.ErrorContains(t, err, "already exists", "export never overwrites")

			inline, err := scenarios.InlineLibrary(e.Name)
			require.NoError(t, err)
			if len(files) > 0 {
				require.NotContains(t, string(inline), "file: manifests/", "manifests are inline")
			}
			p := filepath.Join(t.TempDir(), "my.yaml") // a directory without the manifests
			require.NoError(t, os.WriteFile(p, inline, 0o644))
			shown, err := scenarios.Load(p)
			require.NoError(t, err)
			var libTrace, inTrace bytes.Buffer
			_, err = runner.Run(lib, runner.Options{Trace: &libTrace})
			require.NoError(t, err)
			got, err = runner.Run(shown, runner.Options{Trace: &inTrace})
			require.NoError(t, err)
			require.True(t, got.Passed(), "the inlined scenario's expectations hold")
			// The trace names an applied file ("apply manifests/web-v2.yaml");
			// inline, there is no file to name. Everything else is the same.
			a, b := strings.Split(libTrace.String(), "\n"), strings.Split(inTrace.String(), "\n")
			require.Equal(t, len(a), len(b))
			for i := range a {
				if a[i] != b[i] {
					require.Contains(t, a[i], `"o":"apply manifests/`, "line %d", i+1)
					require.Equal(t, applyLabel.ReplaceAllString(a[i], ""), applyLabel.ReplaceAllString(b[i], ""), "line %d", i+1)
				}
			}
			if !strings.Contains(libTrace.String(), `"o":"apply manifests/`) {
				require.Equal(t, want.TraceHash, got.TraceHash, "the inlined scenario runs like the library's")
			}
			require.True(t, strings.HasPrefix(string(inline), "# The library scenario "+e.Name))
		})
	}
}

// applyLabel is the object of an apply action in a trace line.
var applyLabel = regexp.MustCompile(`"o":"apply [^"]*"`)
