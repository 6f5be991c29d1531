package live

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/runner"
)

// TestSaveWritesEveryAction: a session's actions are written back by their
// registry entries. The saver used to have its own switch, which dropped
// `partition` and wrote `etcd: {}` for a snapshot or restore; now every
// recorded action reloads as the same action and the replay reproduces
// the session's trace.
func TestSaveWritesEveryAction(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(30*time.Second))
	steps := []struct {
		name  string
		value any
	}{
		{"etcd", map[string]any{"snapshot": "calm"}},
		{"partition", map[string]any{"zone": "us-east-1b", "for": "45s"}},
		{"drain", map[string]any{"node": "general-3"}},
		{"etcd", map[string]any{"stop": "etcd-3"}},
		{"etcd", map[string]any{"start": "etcd-3"}},
		{"etcd", map[string]any{"restore": "calm"}},
		{"uncordon", map[string]any{"node": "general-3"}},
		{"delete", map[string]any{"kind": "Pod", "selector": "app=web"}},
		{"kubectl", "scale deployment/web --replicas=2"},
	}
	for _, st := range steps {
		_, err := s.Act(st.name, st.value)
		require.NoError(t, err, st.name)
		require.NoError(t, s.RunFor(20*time.Second))
	}
	_, err := s.Act("etcd", map[string]any{"restore": "never-taken"})
	require.ErrorContains(t, err, `no snapshot "never-taken"`)
	_, err = s.Act("partition", map[string]any{"zone": "us-east-1z"})
	require.ErrorContains(t, err, `no zone "us-east-1z"`)
	_, err = s.Act("fial", map[string]any{"node": "general-1"})
	require.ErrorContains(t, err, `did you mean "fail"?`)
	recorded := s.Recorded()
	require.Len(t, recorded, len(steps))
	require.NoError(t, s.RunFor(s.Scenario().Duration-s.Snapshot().Time))
	want := s.Snapshot().TraceHash

	path, err := s.Save(t.TempDir(), "session")
	require.NoError(t, err)
	replay, err := scenarios.Load(path)
	require.NoError(t, err, "the saved scenario loads")
	require.Len(t, replay.Timeline, len(s.Scenario().Timeline)+len(recorded))
	for i, r := range recorded {
		found := false
		for _, a := range replay.Timeline {
			found = found || (a.At == r.At && reflect.DeepEqual(a.Do, r.Action.Do))
		}
		require.True(t, found, "%s at %s: recorded %#v is not in the saved timeline", steps[i].name, r.At, r.Action.Do)
	}
	rep, err := runner.Run(replay, runner.Options{})
	require.NoError(t, err)
	require.Equal(t, want, rep.TraceHash, "the replay reproduces the session")
}

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
