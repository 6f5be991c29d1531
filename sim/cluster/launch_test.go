package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/podutil"
)

func newTestCluster(t *testing.T, seed uint64) *Cluster {
	t.Helper()
	c, err := New(Config{Seed: seed, EtcdMembers: 1, NodeGroups: []NodeGroup{{Name: "ng", InstanceType: "m5.large", Count: 1, Max: 5}}})
	require.NoError(t, err)
	t.Cleanup(c.Etcd.Close)
	return c
}

func nodeReady(c *Cluster, name string) bool {
	o, ok := c.Store.Get("Node", "", name)
	return ok && podutil.NodeReady(o.(*corev1.Node)) == corev1.ConditionTrue
}

// A launched instance goes pending -> running -> the kubelet registers ->
// Ready inside the 25-45 s window, for every seed.
func TestLaunchedNodeBecomesReadyInWindow(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		c := newTestCluster(t, seed)
		g := c.Config().NodeGroups[0]
		start := c.Engine.Elapsed()
		n, err := c.LaunchNode(g, "us-east-1b")
		require.NoError(t, err)
		require.Equal(t, "ng-2", n.Name)
		require.Equal(t, cloud.Pending, n.Instance.State)
		_, registered := c.Store.Get("Node", "", n.Name)
		require.False(t, registered, "the autoscaler's request creates no Node object")
		require.True(t, c.Engine.RunWhile(start+2*time.Minute, func() bool { return !nodeReady(c, n.Name) }))
		took := c.Engine.Elapsed() - start
		require.GreaterOrEqual(t, took, 25*time.Second, "seed %d", seed)
		require.LessOrEqual(t, took, 45*time.Second, "seed %d", seed)
		require.Equal(t, cloud.Running, n.Instance.State)
		o, _ := c.Store.Get("Node", "", n.Name)
		require.Equal(t, "us-east-1b", o.GetLabels()[corev1.LabelTopologyZone])
	}
}

func TestInsufficientCapacityRefusesLaunchUntilItEnds(t *testing.T) {
	c := newTestCluster(t, 1)
	g := c.Config().NodeGroups[0]
	c.EC2.InsufficientCapacity("m5.large", "us-east-1a", 10*time.Minute)
	_, err := c.LaunchNode(g, "us-east-1a")
	var ice *cloud.InsufficientCapacityError
	require.ErrorAs(t, err, &ice)
	require.Contains(t, err.Error(), "InsufficientInstanceCapacity")
	require.Len(t, c.Nodes(), 1, "no machine is added on ICE")
	_, err = c.LaunchNode(g, "us-east-1b")
	require.NoError(t, err, "another zone has capacity")
	c.Engine.RunUntil(c.Engine.Elapsed() + 10*time.Minute)
	_, err = c.LaunchNode(g, "us-east-1a")
	require.NoError(t, err, "capacity is back after the fault")
}

func TestTerminatedNodeIsDeletedAndStopsBilling(t *testing.T) {
	c := newTestCluster(t, 1)
	c.Engine.RunUntil(time.Minute)
	require.True(t, nodeReady(c, "ng-1"))
	require.NoError(t, c.TerminateNode("ng-1"))
	c.Engine.RunUntil(c.Engine.Elapsed() + 30*time.Second)
	_, ok := c.Store.Get("Node", "", "ng-1")
	require.False(t, ok, "the cloud node lifecycle controller deletes the Node")
	require.Empty(t, c.Nodes())
	in, _ := c.EC2.Instance("ng-1")
	require.Equal(t, cloud.Terminated, in.State)
	hours := in.Hours(c.Engine.Elapsed())
	c.Engine.RunUntil(c.Engine.Elapsed() + time.Hour)
	require.Equal(t, hours, in.Hours(c.Engine.Elapsed()), "no billing after termination")
	require.InDelta(t, 0.096*hours, in.Cost(c.Engine.Elapsed()), 1e-12)
}

// A node group's diskSize is its nodes' root volume: ephemeral-storage
// capacity, and allocatable less kube-reserved 1Gi and the 10% nodefs
// threshold (the Cluster Autoscaler's template node too); without it,
// EKS's 20 GiB.
func TestNodeGroupDiskSize(t *testing.T) {
	c, err := New(Config{Seed: 1, EtcdMembers: 1, NodeGroups: []NodeGroup{
		{Name: "big", InstanceType: "m5.large", Count: 1, DiskGiB: 100}, {Name: "std", InstanceType: "m5.large", Count: 1}}})
	require.NoError(t, err)
	t.Cleanup(c.Etcd.Close)
	c.Engine.RunUntil(time.Minute)
	for name, want := range map[string][2]string{"big-1": {"100Gi", "89Gi"}, "std-1": {"20Gi", "17Gi"}} {
		o, ok := c.Store.Get("Node", "", name)
		require.True(t, ok, name)
		st := o.(*corev1.Node).Status
		capacity, allocatable := st.Capacity[corev1.ResourceEphemeralStorage], st.Allocatable[corev1.ResourceEphemeralStorage]
		require.Equal(t, want[0], capacity.String(), name)
		require.Equal(t, want[1], allocatable.String(), name)
	}
	tmpl := (&caCloud{c: c}).template(c.Config().NodeGroups[0])
	capacity := tmpl.Status.Capacity[corev1.ResourceEphemeralStorage]
	require.Equal(t, "100Gi", capacity.String())
}
