package live

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDescribeLikeKubectl(t *testing.T) {
	s := newSession(t, "unschedulable-pod")
	require.NoError(t, s.RunFor(time.Minute))
	v := s.Snapshot()
	node := v.Nodes[0]
	d := s.Describe("Node", "", node.Name)
	require.Regexp(t, `^Name:\s+`+node.Name+`\n`, d)
	for _, want := range []string{"Taints:", "Conditions:", "Ready", "Allocatable:",
		"Non-terminated Pods:", "Allocated resources:", "cpu ", "Events:"} {
		require.Contains(t, d, want)
	}
	require.Regexp(t, `\n  cpu\s+\S+ \(\d+%\)`, d, "requests as a share of allocatable")

	require.NotEmpty(t, v.Pending)
	p := v.Pending[0]
	d = s.Describe("Pod", p.Namespace, p.Name)
	require.Regexp(t, `\nNode:\s+<none>\n`, d)
	require.Contains(t, d, "FailedScheduling", "the scheduler's event explains why it is pending")
	require.Contains(t, d, "default-scheduler")
	require.Regexp(t, `\nStatus:\s+Pending\n`, d)

	running := node.Pods[0]
	d = s.Describe("Pod", running.Namespace, running.Name)
	require.Regexp(t, `\nNode:\s+`+node.Name+`/\d+\.\d+`, d, "node/hostIP")
	require.Regexp(t, `\n    State:\s+Running\n`, d)

	for _, w := range v.Workloads {
		d = s.Describe(w.Kind, w.Namespace, w.Name)
		require.True(t, strings.HasPrefix(d, "Name:"), "%s/%s: %s", w.Kind, w.Name, d)
	}
	require.Equal(t, `Error from server (NotFound): nodes "nope" not found`, s.Describe("Node", "", "nope"))
}
