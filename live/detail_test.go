package live

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/cluster"
)

func TestDetail(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(3*time.Minute)) // general-1 failed at 2m: NotReady by now
	pod := s.Snapshot().Nodes[1].Pods[0]
	for _, tc := range []struct {
		kind, ns, name string
		yaml           []string
		condition      string // a condition type that must be there
		reason         string // an event reason that must be there
	}{
		{"Node", "", "general-1", []string{"apiVersion: v1", "kind: Node", "name: general-1"}, "Ready", "NodeNotReady"},
		{"Node", "ignored", "general-2", []string{"kind: Node"}, "MemoryPressure", "RegisteredNode"},
		{"Pod", pod.Namespace, pod.Name, []string{"kind: Pod", "name: " + pod.Name, "nodeName: general-2"}, "PodScheduled", "Scheduled"},
		{"Deployment", "", "web", []string{"apiVersion: apps/v1", "kind: Deployment"}, "Available", "ScalingReplicaSet"},
	} {
		d, err := s.Detail(tc.kind, tc.ns, tc.name)
		require.NoError(t, err, tc.name)
		for _, y := range tc.yaml {
			require.Contains(t, d.YAML, y, tc.name)
		}
		var types, reasons []string
		for _, c := range d.Conditions {
			types = append(types, c.Type)
		}
		for _, e := range d.Events {
			reasons = append(reasons, e.Reason)
			require.Contains(t, e.Object, "/"+tc.name, "only the object's own events")
		}
		require.Contains(t, types, tc.condition, tc.name)
		require.Contains(t, reasons, tc.reason, tc.name)
		for i := 1; i < len(d.Events); i++ {
			require.LessOrEqual(t, d.Events[i-1].Time, d.Events[i].Time, "oldest first")
		}
	}
	d, err := s.Detail("Node", "", "general-1")
	require.NoError(t, err)
	for _, c := range d.Conditions {
		if c.Type == "Ready" {
			require.Equal(t, "Unknown", c.Status, "the failed node stopped posting status")
			require.Greater(t, c.LastTransition, 2*time.Minute)
		}
	}

	_, err = s.Detail("Pod", "default", "nope")
	require.ErrorIs(t, err, ErrNoObject)
	_, err = s.Detail("Gadget", "", "x")
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrNoObject)
	_, err = s.Detail("Event", "default", "x")
	require.Error(t, err)
}

// TestEventIndexKeptFromTheStart: the session indexes events by involved
// object as they are written, so a drawer's first open finds a node's
// events without indexing the whole store then (438 ms at 200 nodes).
func TestEventIndexKeptFromTheStart(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(3*time.Minute))
	var n int
	s.With(func(c *cluster.Cluster) {
		n = len(c.Store.ByIndex("Event", eventObjectIndex, "default/Node/general-1")) // before any Detail call
	})
	require.Positive(t, n, "general-1's events are indexed before any drawer asked")
	d, err := s.Detail("Node", "", "general-1")
	require.NoError(t, err)
	require.Len(t, d.Events, n, "the drawer reads the index")
}

func TestEtcdMembers(t *testing.T) {
	s := newSession(t, "demo")
	require.NoError(t, s.RunFor(30*time.Second))
	_, err := s.Do(Command{Verb: "etcd-stop", Member: "etcd-3"})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(10*time.Second))
	ms, err := s.EtcdMembers()
	require.NoError(t, err)
	require.Len(t, ms, 3)
	require.Equal(t, "leader", ms[0].State)
	require.Equal(t, "down", ms[2].State)
	require.NotEmpty(t, ms[0].Zone)
	require.Positive(t, ms[0].AppliedIndex)
	require.Greater(t, ms[0].AppliedIndex, ms[2].AppliedIndex, "the stopped member fell behind")
	require.NoError(t, s.RunFor(time.Minute))

	plain := newSession(t, "demo") // the same story, nobody looking
	require.NoError(t, plain.RunFor(30*time.Second))
	_, err = plain.Do(Command{Verb: "etcd-stop", Member: "etcd-3"})
	require.NoError(t, err)
	require.NoError(t, plain.RunFor(70*time.Second))
	require.Equal(t, plain.Snapshot().TraceHash, s.Snapshot().TraceHash, "reading the status changes nothing")
}
