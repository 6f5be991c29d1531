package etcd_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cluster/clustertest"
	"github.com/kubesim/kubesim/sim/runner"
)

// TestScenariosOverRaft runs the etcd library scenarios over raft and
// over the plain store: the traces are identical (nothing of raft's
// timing reaches them), the members that are in contact with the quorum
// end with equal content hashes, and no raft goroutine outlives the run.
func TestScenariosOverRaft(t *testing.T) {
	for _, name := range []string{"etcd-lose-one-member", "etcd-lose-quorum", "etcd-backup-restore"} {
		t.Run(name, func(t *testing.T) {
			s, err := scenarios.LoadLibrary(name)
			require.NoError(t, err)
			var c *cluster.Cluster
			rep, err := runner.Run(s, runner.Options{CheckInvariants: true, Observe: func(x *cluster.Cluster) { c = x }})
			require.NoError(t, err)
			require.True(t, rep.Passed())
			require.True(t, c.Etcd.Replicated())
			goleak.VerifyNone(t)

			members := rep.Etcd.MemberStatus
			require.Len(t, members, 3)
			var hash string
			for _, m := range members {
				if m.State == "down" || m.State == "partitioned" {
					continue
				}
				require.NotEmpty(t, m.FSMHash)
				if hash == "" {
					hash = m.FSMHash
				}
				require.Equal(t, hash, m.FSMHash, "%s diverged", m.Name)
				require.Positive(t, m.AppliedIndex)
			}

			plain, err := runner.Run(s, runner.Options{Observe: func(c *cluster.Cluster) { c.Etcd.DisableReplication() }})
			require.NoError(t, err)
			require.Equal(t, rep.TraceHash, plain.TraceHash, "raft must not change the trace")
			require.Empty(t, plain.Etcd.MemberStatus[0].FSMHash)
		})
	}
}

// TestRestartedMemberCatchesUp: etcd-1 stops while the cluster keeps
// writing; once started again its content hash equals the leader's.
func TestRestartedMemberCatchesUp(t *testing.T) {
	s, err := scenarios.LoadLibrary("etcd-lose-one-member")
	require.NoError(t, err)
	rep, err := runner.Run(s, runner.Options{})
	require.NoError(t, err)
	st := rep.Etcd.MemberStatus
	require.Equal(t, "follower", st[0].State)
	require.Equal(t, st[1].FSMHash, st[0].FSMHash)
	require.Equal(t, st[1].AppliedIndex, st[0].AppliedIndex)
}

// TestEtcdOperationErrors: refusals a person can run into at run time
// (the scenario loader catches the rest before the run).
func TestEtcdOperationErrors(t *testing.T) {
	c := clustertest.New(t, cluster.Config{Seed: 1, EtcdMembers: 3})
	c.Engine.RunUntil(1e9) // the raft cluster starts with the first commit
	require.NotNil(t, c.Etcd.Raft())
	e := c.Etcd
	for _, tc := range []struct {
		name string
		op   func() error
		want string
	}{
		{"unknown member", func() error { return e.Stop("etcd-7") }, `no etcd member "etcd-7"`},
		{"start a running member", func() error { return e.Start("etcd-1") }, "already running"},
		{"heal a connected member", func() error { return e.Heal("etcd-2") }, "not partitioned"},
		{"restore a snapshot never taken", func() error { _, err := e.Restore("nope"); return err }, `no etcd snapshot "nope" was taken`},
		{"stop twice", func() error {
			require.NoError(t, e.Stop("etcd-2"))
			return e.Stop("etcd-2")
		}, "already stopped"},
	} {
		t.Run(tc.name, func(t *testing.T) { require.ErrorContains(t, tc.op(), tc.want) })
	}
	require.NoError(t, e.Err())
}

// TestEvenMemberCountIsRejectedAtLoad: the loader refuses an even member
// count before anything runs (exit 2 in the CLI).
func TestEvenMemberCountIsRejectedAtLoad(t *testing.T) {
	_, err := scenarios.Parse("s.yaml", []byte("name: s\nduration: 1m\ncluster:\n  controlPlane: {etcdMembers: 4}\n  nodeGroups: [{name: g, instanceType: m5.large, count: 1}]\n"), nil)
	require.ErrorContains(t, err, "etcdMembers must be 1, 3 or 5, got 4")
}
