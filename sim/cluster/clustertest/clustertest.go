// Package clustertest starts whole simulated clusters for tests of the
// packages that run on one (networking, the in-pod commands, etcd).
package clustertest

import (
	"testing"

	"github.com/kubesim/kubesim/sim/cluster"
)

// New starts the cluster cfg describes, fails the test if it does not
// start, and closes its etcd when the test ends.
func New(tb testing.TB, cfg cluster.Config) *cluster.Cluster {
	tb.Helper()
	c, err := cluster.New(cfg)
	if err != nil {
		tb.Fatalf("cluster.New: %v", err)
	}
	tb.Cleanup(c.Etcd.Close)
	return c
}
