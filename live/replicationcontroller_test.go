package live

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/internal/manifests"
)

// TestReplicationControllerInViews: an RC is a workload of the view (the
// TUI's workloads list, the web's), the describe pane shows it in
// kubectl describe rc's layout, and the TUI's scale command scales it.
func TestReplicationControllerInViews(t *testing.T) {
	s := newSession(t, "node-failure")
	_, err := s.Do(Command{Verb: "apply", Manifest: manifests.ReplicationController("legacy", 2, "{name: nginx, image: nginx:1.27}")})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(30*time.Second))
	find := func() *WorkloadView {
		for _, w := range s.Snapshot().Workloads {
			if w.Kind == "ReplicationController" && w.Name == "legacy" {
				return &w
			}
		}
		return nil
	}
	w := find()
	require.NotNil(t, w, "the RC is among the workloads")
	require.Equal(t, WorkloadView{"ReplicationController", "default", "legacy", 2, 2, 2, 2}, *w)

	d := s.Describe("ReplicationController", "default", "legacy")
	require.Regexp(t, `^Name:\s+legacy\n`, d)
	require.Regexp(t, `\nSelector:\s+app=legacy\n`, d)
	require.Regexp(t, `\nReplicas:\s+2 current / 2 desired\n`, d)
	require.Regexp(t, `\nPods Status:\s+2 Running / 0 Waiting / 0 Succeeded / 0 Failed\n`, d)
	require.Regexp(t, `Normal\s+SuccessfulCreate\s+.*Created pod: legacy-`, d)

	_, err = s.Do(Command{Verb: "scale", Kind: "replicationcontroller", Name: "legacy", Replicas: 3})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(30*time.Second))
	require.Equal(t, WorkloadView{"ReplicationController", "default", "legacy", 3, 3, 3, 3}, *find())
}
