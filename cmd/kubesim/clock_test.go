package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServeClockStartsNow: `kubesim serve` starts its virtual clock at the
// wall-clock time it began, so the timestamps kubectl reads and the ages
// it computes itself (describe's events) are minutes, not the "336d" of a
// fixed epoch.
func TestServeClockStartsNow(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	kc := filepath.Join(t.TempDir(), "kc")
	before := time.Now().UTC().Truncate(time.Second)
	startServer(t, "serve", writeScenario(t, strings.Replace(small, "REPLICAS", "3", 1)), "--speed", "10",
		"--listen", "127.0.0.1:0", "--kubeconfig", kc)
	after := time.Now().UTC()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(kubectl, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kc, "HOME="+filepath.Dir(kc))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "kubectl %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}
	ts := run("get", "nodes", "-o", "jsonpath={.items[0].metadata.creationTimestamp}")
	created, err := time.Parse(time.RFC3339, ts)
	require.NoError(t, err, ts)
	require.False(t, created.Before(before), "node created %s, server started after %s", created, before)
	require.False(t, created.After(after.Add(time.Minute)), "node created %s, server started by %s", created, after)

	var events string
	require.Eventually(t, func() bool {
		out := run("describe", "pods", "-l", "app=web")
		_, events, _ = strings.Cut(out, "Events:")
		return strings.Contains(events, "Scheduled")
	}, 60*time.Second, 500*time.Millisecond)
	require.NotRegexp(t, regexp.MustCompile(`\s\d+d\s`), events, "event ages in days:\n%s", events)
	require.Regexp(t, regexp.MustCompile(`Normal\s+Scheduled\s+\d+(s|m\d*s?)\s`), events)
}
