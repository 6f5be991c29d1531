package live

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/runner"
)

// TestStartTimeIsRecordedAndReplayed: a session that starts at a given
// instant (kubesim serve starts at the wall-clock time it began) writes
// its timestamps from there, saves the instant as startTime, and the saved
// scenario replays to the same trace.
func TestStartTimeIsRecordedAndReplayed(t *testing.T) {
	sc, err := scenarios.LoadLibrary("node-failure")
	require.NoError(t, err)
	start := time.Date(2026, 12, 4, 1, 5, 0, 0, time.UTC)
	sc.StartTime = start
	s, err := New(sc, Options{Paused: true})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.RunFor(40*time.Second))
	_, err = s.Do(Command{Verb: "scale", Name: "web", Replicas: 5})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(20*time.Second))
	var created time.Time
	s.With(func(c *cluster.Cluster) {
		n, ok := c.Store.Get("Node", "", "general-1")
		require.True(t, ok)
		created = n.GetCreationTimestamp().Time
	})
	require.Equal(t, start, created, "the nodes are created at virtual time zero")

	require.NoError(t, s.RunFor(s.Scenario().Duration-s.Snapshot().Time))
	want := s.Snapshot().TraceHash
	path, err := s.Save(t.TempDir(), "session")
	require.NoError(t, err)
	replay, err := scenarios.Load(path)
	require.NoError(t, err)
	require.Equal(t, start, replay.StartTime, "the saved scenario records the start")
	rep, err := runner.Run(replay, runner.Options{})
	require.NoError(t, err)
	require.Equal(t, want, rep.TraceHash, "the replay starts at the same instant and reproduces the session")

	replay.StartTime = time.Time{}
	other, err := runner.Run(replay, runner.Options{})
	require.NoError(t, err)
	require.NotEqual(t, want, other.TraceHash, "the start is part of the trace")
}
