package explain

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/runner"
)

// story runs a library scenario to at with cause links and also writes
// the canonical trace, to check every step against its line.
func story(t *testing.T, name string, at time.Duration) (*Recorder, []string) {
	t.Helper()
	s, err := scenarios.LoadLibrary(name)
	require.NoError(t, err)
	var buf bytes.Buffer
	var rec *Recorder
	r, err := runner.Start(s, runner.Options{Trace: &buf, Observe: func(c *cluster.Cluster) { rec = Attach(c.Engine.Trace()) }})
	require.NoError(t, err)
	r.Cluster.Engine.RunUntil(at)
	require.NoError(t, r.Cluster.Engine.Err())
	return rec, strings.Split(buf.String(), "\n")
}

// checkAgainstTrace: every step is the trace's line of its id, the chain
// runs forward in time, and each step's cause is an earlier line.
func checkAgainstTrace(t *testing.T, rec *Recorder, lines []string, chain []Step) {
	t.Helper()
	require.NotEmpty(t, chain)
	for i, s := range chain {
		r := s.Record
		require.Equal(t, lines[s.ID-1], string(r.AppendJSON(nil)), "step %d is line %d of the trace", i, s.ID)
		if i+1 < len(chain) {
			require.Less(t, chain[i+1].ID, s.ID, "causes come before their effects")
			require.LessOrEqual(t, chain[i+1].Record.T, r.T)
		}
	}
}

// find returns the chain's first step (oldest first) matching component
// prefix, verb, kind and a summary fragment, and its position.
func find(chain []Step, comp, verb, kind, has string) (Step, int) {
	for i := len(chain) - 1; i >= 0; i-- {
		r := chain[i].Record
		if strings.HasPrefix(r.Component, comp) && r.Verb == verb && r.Kind == kind && strings.Contains(r.Summary, has) {
			return chain[i], len(chain) - 1 - i
		}
	}
	return Step{}, -1
}

// newest returns the newest record of verb on kind whose name has prefix.
func newest(rec *Recorder, comp, verb, kind, prefix string) sim.Record {
	for i := len(rec.recs) - 1; i >= 0; i-- {
		r := rec.recs[i]
		if strings.HasPrefix(r.Component, comp) && r.Verb == verb && r.Kind == kind && strings.HasPrefix(r.Name, prefix) {
			return r
		}
	}
	return sim.Record{}
}

// newestPodChain tells the library scenario name up to at and returns the
// newest pod the ReplicaSet controller created (its name starting with
// prefix) and the chain that explains it, checked against the trace.
func newestPodChain(t *testing.T, name string, at time.Duration, prefix string) (sim.Record, []Step) {
	t.Helper()
	rec, lines := story(t, name, at)
	pod := newest(rec, "replicaset", "create", "Pod", prefix)
	chain := rec.Chain(rec.Target("Pod", "default", pod.Name, at))
	checkAgainstTrace(t, rec, lines, chain)
	return pod, chain
}

// TestNodeFailureChain: a replacement web pod at 9m is explained by the
// whole story, in order, with upstream's timings between the steps.
func TestNodeFailureChain(t *testing.T) {
	pod, chain := newestPodChain(t, "node-failure", 9*time.Minute, "web-")
	require.Greater(t, pod.T, 7*time.Minute, "a replacement created after the eviction")

	fail, a := find(chain, "chaos", "fail", "Node", "")
	unknown, b := find(chain, "node-lifecycle", "status", "Node", "ready=Unknown")
	taint, c := find(chain, "node-lifecycle", "update", "Node", "unreachable:NoExecute")
	evict, d := find(chain, "taint-eviction", "delete", "Pod", "")
	create, e := find(chain, "replicaset", "create", "Pod", "")
	bind, f := find(chain, "default-scheduler", "bind", "Pod", "")
	for i, pos := range []int{a, b, c, d, e, f} {
		require.GreaterOrEqual(t, pos, 0, "step %d missing:\n%s", i, Format(chain))
	}
	require.True(t, a < b && b < c && c < d && d < e && e < f, "in causal order:\n%s", Format(chain))
	require.Equal(t, fail.Record.Name, unknown.Record.Name)
	require.Equal(t, fail.Record.Name, taint.Record.Name)
	require.Equal(t, pod.Name, create.Record.Name)
	require.Equal(t, pod.Name, bind.Record.Name)
	require.NotContains(t, bind.Record.Summary, fail.Record.Name, "scheduled away from the dead node")
	grace := unknown.Record.T - fail.Record.T
	require.True(t, grace >= 50*time.Second && grace <= 55*time.Second, "node-monitor-grace-period 50s (+ the 5s monitor period): %s", grace)
	toleration := evict.Record.T - taint.Record.T
	require.True(t, toleration >= 300*time.Second && toleration <= 301*time.Second, "tolerationSeconds 300: %s", toleration)
	require.Contains(t, unknown.Rule, "node-monitor-grace-period")
	require.Contains(t, evict.Rule, "tolerationSeconds")
	require.Contains(t, Format(chain), "(+50s)")
}

// TestDrainChain: a pod replaced during the drain is explained by the
// drain's eviction of a pod on the drained node.
func TestDrainChain(t *testing.T) {
	rec, lines := story(t, "cordon-drain", 4*time.Minute)
	var pod sim.Record
	for _, r := range rec.recs {
		if r.Component == "replicaset-controller" && r.Verb == "create" && r.Kind == "Pod" && r.T >= 2*time.Minute {
			pod = r
			break
		}
	}
	require.NotEmpty(t, pod.Name, "the drain made the ReplicaSet create a replacement")
	chain := rec.Chain(rec.Target("Pod", "default", pod.Name, 4*time.Minute))
	checkAgainstTrace(t, rec, lines, chain)
	evict, a := find(chain, "kubectl", "delete", "Pod", "")
	_, b := find(chain, "replicaset", "create", "Pod", "")
	_, c := find(chain, "default-scheduler", "bind", "Pod", "")
	require.True(t, a >= 0 && a < b && b < c, "eviction → create → bind:\n%s", Format(chain))
	require.GreaterOrEqual(t, evict.Record.T, 2*time.Minute, "evicted by the drain at 2m")
	require.Contains(t, evict.Rule, "Eviction API")
}

// TestRolloutChain: a v2 pod is explained by the Deployment's new
// ReplicaSet, scaled by the rolling update started by the 2m apply.
func TestRolloutChain(t *testing.T) {
	pod, chain := newestPodChain(t, "rolling-update", 5*time.Minute, "web-")
	rs, a := find(chain, "deployment", "update", "ReplicaSet", "")
	create, b := find(chain, "replicaset", "create", "Pod", "")
	require.True(t, a >= 0 && a < b, "new ReplicaSet scaled → pod created:\n%s", Format(chain))
	require.True(t, strings.HasPrefix(create.Record.Name, rs.Record.Name+"-") || strings.HasPrefix(pod.Name, rs.Record.Name+"-"),
		"the pods belong to the ReplicaSet the Deployment scaled")
	require.Contains(t, rs.Rule, "maxSurge")
	require.GreaterOrEqual(t, rs.Record.T, 2*time.Minute, "the rollout began with the 2m apply")
}

// TestPendingPodChain: the unschedulable report pod is explained by its
// creation and the scheduler's failed attempt.
func TestPendingPodChain(t *testing.T) {
	_, chain := newestPodChain(t, "unschedulable-pod", 2*time.Minute, "report-")
	_, a := find(chain, "deployment", "create", "ReplicaSet", "")
	_, b := find(chain, "replicaset", "create", "Pod", "")
	st, c := find(chain, "default-scheduler", "status", "Pod", "Pending")
	require.True(t, a >= 0 && a < b && b < c, "deployment → replicaset → scheduler:\n%s", Format(chain))
	require.Contains(t, st.Rule, "Unschedulable")
	require.Equal(t, chain[0].ID, st.ID, "the scheduler's verdict is the pod's latest state")
}

func TestParseObject(t *testing.T) {
	for in, want := range map[string][2]string{"pod/web-1": {"Pod", "web-1"}, "po/x": {"Pod", "x"}, "node/general-2": {"Node", "general-2"},
		"deploy/web": {"Deployment", "web"}, "rs/web-abc": {"ReplicaSet", "web-abc"}, "Pod/a": {"Pod", "a"}} {
		k, n, err := ParseObject(in)
		require.NoError(t, err, in)
		require.Equal(t, want, [2]string{k, n}, in)
	}
	_, _, err := ParseObject("web-1")
	require.ErrorContains(t, err, "KIND/NAME")
	_, _, err = ParseObject("frob/x")
	require.ErrorContains(t, err, "unknown kind")
}

// TestBoundKeepsTheNewest: a bounded recorder (a live session's) keeps
// at least its bound of the newest records at their trace ids and drops
// the oldest, so memory stays flat over hours.
func TestBoundKeepsTheNewest(t *testing.T) {
	tr := sim.NewTrace()
	rec := Attach(tr)
	rec.Bound(10)
	for i := range 35 {
		tr.Add(sim.Record{T: time.Duration(i), Component: "c", Verb: "v", Kind: "Pod", Name: "p"})
	}
	require.LessOrEqual(t, len(rec.recs), 20, "at most twice the bound")
	for id := int64(26); id <= 35; id++ {
		r, ok := rec.Record(id)
		require.True(t, ok, "record %d kept", id)
		require.Equal(t, time.Duration(id-1), r.T, "record %d is the trace's line %d", id, id)
	}
	_, ok := rec.Record(1)
	require.False(t, ok, "the oldest record dropped")
}
