package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExplainPrintsTheChainFromTheTrace: `kubesim explain` on a pod the
// ReplicaSet created after node-failure's eviction prints the story from
// the node's failure to the pod running elsewhere, each step a record of
// the run's own trace (the same scenario and seed), in order, with the
// upstream rules; a name nothing happened to is refused with a hint.
func TestExplainPrintsTheChainFromTheTrace(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	_, stderr, code := kubesim(t, "run", "node-failure", "--trace", trace)
	require.Equal(t, 0, code, stderr)
	type rec struct{ T, C, V, K, O string }
	var recs []rec
	f, err := os.Open(trace)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct{ T, C, V, K, O string }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		recs = append(recs, rec(r))
	}
	var pod string
	for _, r := range recs {
		if r.C == "replicaset-controller" && r.V == "create" && r.K == "Pod" && strings.HasPrefix(r.T, "7m") {
			pod = strings.TrimPrefix(r.O, "default/")
		}
	}
	require.NotEmpty(t, pod, "a replacement pod created after the eviction")

	out, stderr, code := kubesim(t, "explain", "pod/"+pod, "--at", "9m", "node-failure")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "Why pod/"+pod+" is as it is at 9m0s (node-failure, seed 7)")
	step := regexp.MustCompile(`^\s*(\S+)(?: \(\+\S+\))?  (\S+) (\S+) (\w+)/(\S+?):? `)
	var steps []string
	at := 0 // the trace's records are in order: each step comes later
	for _, line := range strings.Split(out, "\n") {
		m := step.FindStringSubmatch(line)
		if m == nil || m[2] == "scenario" {
			continue
		}
		found := false
		for ; at < len(recs); at++ {
			r := recs[at]
			if sameTime(t, r.T, m[1]) && r.C == m[2] && r.V == m[3] && strings.EqualFold(r.K, m[4]) && strings.HasSuffix(r.O, m[5]) {
				found = true
				break
			}
		}
		require.True(t, found, "step %q is a record of the trace, after the step before", line)
		steps = append(steps, m[2]+" "+m[3]+" "+m[4])
	}
	require.Equal(t, []string{"chaos fail node", "node-lifecycle-controller status node", "node-lifecycle-controller update node",
		"taint-eviction-controller delete pod", "replicaset-controller create pod", "default-scheduler bind pod", "kubelet/general-2 status pod"}, steps)
	for _, rule := range []string{"node-monitor-grace-period (50s)", "tolerationSeconds (300s", "(+50s)"} {
		require.Contains(t, out, rule)
	}

	_, stderr, code = kubesim(t, "explain", "pod/nope", "--at", "9m", "node-failure")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, `nothing happened to Pod "nope" by 9m0s in node-failure`)
}

// sameTime: the trace's time and the explanation's, which rounds to the
// millisecond, are the same moment.
func sameTime(t *testing.T, trace, shown string) bool {
	a, err := time.ParseDuration(trace)
	require.NoError(t, err)
	b, err := time.ParseDuration(shown)
	require.NoError(t, err)
	return (a - b).Abs() < time.Millisecond
}
