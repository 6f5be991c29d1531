package live

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/runner"
)

func newSession(t *testing.T, name string) *Session {
	t.Helper()
	sc, err := scenarios.LoadLibrary(name)
	require.NoError(t, err)
	s, err := New(sc, Options{Paused: true})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// TestSavedSessionReplaysToTheSameTrace is the live session's contract:
// commands injected at arbitrary virtual times, saved as a scenario file,
// replay through the plain runner to the same trace hash.
func TestSavedSessionReplaysToTheSameTrace(t *testing.T) {
	s := newSession(t, "node-failure") // refers to manifests/web.yaml: Save must carry it
	require.NoError(t, s.RunFor(37*time.Second+123*time.Millisecond))
	_, err := s.Do(Command{Verb: "scale", Name: "web", Replicas: 8})
	require.NoError(t, err)
	s.Step()
	s.Step()
	_, err = s.Do(Command{Verb: "cordon", Node: "general-3"})
	require.NoError(t, err)
	_, err = s.Do(Command{Verb: "etcd-partition", Member: "etcd-2"})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(20*time.Second))
	require.Equal(t, "partitioned", s.Snapshot().Etcd.Members[1].State)
	_, err = s.Do(Command{Verb: "etcd-heal", Member: "etcd-2"})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(3*time.Minute))
	_, err = s.Do(Command{Verb: "apply", Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n"})
	require.NoError(t, err)
	pod := s.Snapshot().Nodes[0].Pods[0]
	_, err = s.Do(Command{Verb: "delete-pod", Namespace: pod.Namespace, Name: pod.Name})
	require.NoError(t, err)
	_, err = s.Do(Command{Verb: "fail", Node: "no-such-node"})
	require.ErrorContains(t, err, `no node "no-such-node"`)
	_, err = s.Do(Command{Verb: "scale", Name: "no-such-deployment", Replicas: 2})
	require.ErrorContains(t, err, "not found", "the cluster's refusal is an error")
	require.Len(t, s.Recorded(), 7, "a refusal by the cluster is recorded (it is part of the story); an impossible command is not")
	require.NoError(t, s.RunFor(s.Scenario().Duration-s.Snapshot().Time))
	want := s.Snapshot().TraceHash

	dir := t.TempDir()
	path, err := s.Save(dir, "session")
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(dir, "manifests", "web.yaml"))
	replay, err := scenarios.Load(path)
	require.NoError(t, err, "the saved scenario loads")
	rep, err := runner.Run(replay, runner.Options{})
	require.NoError(t, err)
	require.Equal(t, want, rep.TraceHash, "the replay reproduces the session")

	// A different command sequence gives a different trace.
	other := newSession(t, "node-failure")
	require.NoError(t, other.RunFor(s.Scenario().Duration))
	require.NotEqual(t, want, other.Snapshot().TraceHash)
}

func TestPacingPauseAndSpeed(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	sc, err := scenarios.LoadLibrary("demo")
	require.NoError(t, err)
	s, err := New(sc, Options{Speed: 1000, Tick: 5 * time.Millisecond})
	require.NoError(t, err)
	feed, cancel := s.Subscribe(4)
	s.Start()
	require.Eventually(t, func() bool { return s.Snapshot().Time > 2*time.Second }, 5*time.Second, 5*time.Millisecond)
	select {
	case c := <-feed:
		require.NotZero(t, c.Version)
	case <-time.After(time.Second):
		t.Fatal("no change on the feed")
	}
	s.Pause()
	paused := s.Snapshot().Time
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, paused, s.Snapshot().Time, "pause stops virtual time")
	require.True(t, s.Snapshot().Paused)

	s.SetSpeed(1)
	s.Faster()
	require.Equal(t, 2.0, s.Snapshot().Speed)
	s.Slower()
	s.Slower()
	require.Equal(t, 0.5, s.Snapshot().Speed)
	s.SetSpeed(AsFastAsPossible)
	s.Resume()
	require.Eventually(t, func() bool { return s.Snapshot().Paused }, 10*time.Second, 5*time.Millisecond,
		"as fast as possible reaches the scenario's end and pauses there")
	require.Equal(t, sc.Duration, s.Snapshot().Time)
	cancel()
	s.Close()
	_, err = s.Do(Command{Verb: "cordon", Node: "general-1"})
	require.ErrorIs(t, err, ErrClosed)
}

func TestViewShowsNodesPodsAndPending(t *testing.T) {
	s := newSession(t, "unschedulable-pod")
	require.NoError(t, s.RunFor(time.Minute))
	v := s.Snapshot()
	require.NotEmpty(t, v.Nodes)
	require.Equal(t, v.Counts.Nodes, len(v.Nodes))
	require.NotEmpty(t, v.Pending, "the scenario's pod does not fit")
	require.Contains(t, v.Pending[0].Reason, "nodes are available")
	var owners []string
	for _, p := range v.Nodes[0].Pods {
		owners = append(owners, p.Owner)
	}
	require.Contains(t, owners, "DaemonSet/kube-proxy")
	require.NotEmpty(t, v.Events)
	require.Equal(t, "leader", v.Etcd.Members[0].State)
}

func TestBadCommands(t *testing.T) {
	s := newSession(t, "demo")
	for _, c := range []Command{
		{Verb: "explode"},
		{Verb: "fail"},
		{Verb: "scale", Name: "web", Replicas: -1},
		{Verb: "apply", Manifest: "kind: Pod\n"},
		{Verb: "kubectl", Line: "scal deployment/web"},
		{Verb: "cordon", Node: "general-9"},
		{Verb: "etcd-stop", Member: "etcd-7"},
	} {
		_, err := s.Do(c)
		require.Error(t, err, "%+v", c)
	}
	require.Empty(t, s.Recorded(), "rejected before reaching the cluster: nothing recorded")
	_ = os.Remove
}

// TestRewindShowsThePastAndResumesFromIt travels back before a node
// failure: the node is Ready again, the view equals a fresh run to that
// time, and the session goes on from there.
func TestRewindShowsThePastAndResumesFromIt(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(time.Minute))
	_, err := s.Do(Command{Verb: "scale", Name: "web", Replicas: 9})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(2*time.Minute)) // the scenario fails general-1 at 2m
	at90 := func() string {
		fresh := newSession(t, "node-failure")
		require.NoError(t, fresh.RunFor(time.Minute))
		_, err := fresh.Do(Command{Verb: "scale", Name: "web", Replicas: 9})
		require.NoError(t, err)
		require.NoError(t, fresh.RunFor(30*time.Second))
		return fresh.Snapshot().TraceHash
	}()
	require.NotEmpty(t, s.History())
	require.NoError(t, s.Rewind(90*time.Second))
	v := s.Snapshot()
	require.Equal(t, 90*time.Second, v.Time)
	require.True(t, v.Paused)
	require.Equal(t, at90, v.TraceHash, "the past is exactly what a run to that time gives")
	require.Len(t, s.Recorded(), 1, "the command before the rewind point is kept")
	for _, smp := range s.History() {
		require.LessOrEqual(t, smp.T, 90*time.Second)
	}
	require.NoError(t, s.Rewind(10*time.Second))
	require.Empty(t, s.Recorded(), "commands after the rewind point are dropped")
	require.NoError(t, s.RunFor(time.Minute))
	require.Equal(t, 70*time.Second, s.Snapshot().Time)
}

// TestStepRunsOneEvent: a person pressing "step" sees one event at a
// time, also among the watch deliveries the engine runs from one slot.
func TestStepRunsOneEvent(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(37*time.Second))
	_, err := s.Do(Command{Verb: "scale", Name: "web", Replicas: 8})
	require.NoError(t, err)
	for i := range 500 {
		before := s.c.Engine.Events()
		require.True(t, s.Step())
		require.Equal(t, before+1, s.c.Engine.Events(), "step %d", i)
	}
}
