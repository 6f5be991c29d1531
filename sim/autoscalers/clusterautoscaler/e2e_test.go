package clusterautoscaler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/autoscalers/clusterautoscaler"
	"github.com/kubesim/kubesim/sim/autoscalers/internal/e2e"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
)

func newCluster(t testing.TB, opts clusterautoscaler.Options, groups ...cluster.NodeGroup) *cluster.Cluster {
	return newClusterAddons(t, true, opts, groups...)
}

func newClusterAddons(t testing.TB, addons bool, opts clusterautoscaler.Options, groups ...cluster.NodeGroup) *cluster.Cluster {
	t.Helper()
	c, err := cluster.New(cluster.Config{Seed: 1, EtcdMembers: 1, Addons: addons, NodeGroups: groups, ClusterAutoscaler: &opts})
	require.NoError(t, err)
	t.Cleanup(c.Etcd.Close)
	return c
}

func readyNodes(c *cluster.Cluster) int {
	n := 0
	for _, o := range c.Store.List("Node", "") {
		if podutil.NodeReady(o.(*corev1.Node)) == corev1.ConditionTrue {
			n++
		}
	}
	return n
}

func scale(t testing.TB, c *cluster.Cluster, name string, n int32) {
	t.Helper()
	require.NoError(t, c.Client("kubectl").Scale("Deployment", "default", name, n))
}

// Pending pods make CA add nodes of the group; the machines boot through
// EC2 and register themselves; every pod runs; the pods carry
// TriggeredScaleUp with upstream's message.
func TestScaleUpFromPendingPods(t *testing.T) {
	c := newCluster(t, clusterautoscaler.Options{}, cluster.NodeGroup{Name: "ng", InstanceType: "m5.large", Count: 1, Min: 1, Max: 6})
	_, err := c.Client("kubectl").Create(e2e.Deployment("web", 6, "800m", "256Mi"))
	require.NoError(t, err)
	ok := c.Engine.RunWhile(5*time.Minute, func() bool { return e2e.RunningPods(c, "web") < 6 })
	require.True(t, ok, "all pods run within 5 minutes (running %d)", e2e.RunningPods(c, "web"))
	took := c.Engine.Elapsed()
	require.Greater(t, took, 30*time.Second, "a new node takes EC2 + kubelet time")
	// 800m pods: two per m5.large (1930m) beside the DaemonSet pods (175m);
	// the first node also holds both CoreDNS pods, so one web pod: one
	// scale-up of exactly the 3 nodes needed, none of them without a web pod.
	require.Equal(t, 4, readyNodes(c))
	require.Len(t, e2e.Events(c, "ScaledUpGroup"), 1)
	perNode := map[string]int{}
	for _, o := range c.Store.List("Pod", "default") {
		perNode[o.(*corev1.Pod).Spec.NodeName]++
	}
	for _, o := range c.Store.List("Node", "") {
		require.Positive(t, perNode[o.GetName()], "node %s has a web pod", o.GetName())
	}
	ev := e2e.Events(c, "TriggeredScaleUp")
	require.NotEmpty(t, ev)
	require.Regexp(t, `^pod triggered scale-up: \[\{ng 1->[0-9] \(max: 6\)\}\]$`, ev[0].Message)
	require.Equal(t, clusterautoscaler.Name, ev[0].Source.Component)
	cm, err := c.Client("test").Get("ConfigMap", "kube-system", clusterautoscaler.StatusConfigMap)
	require.NoError(t, err)
	require.Contains(t, cm.(*corev1.ConfigMap).Data["status"], "name: ng")
}

// After traffic falls, nodes go only once they have been unneeded for
// scale-down-unneeded-time (and scale-down-delay-after-add has passed),
// never below min.
func TestScaleDownOnlyAfterUnneededTime(t *testing.T) {
	c := newCluster(t, clusterautoscaler.Options{}, cluster.NodeGroup{Name: "ng", InstanceType: "m5.large", Count: 1, Min: 1, Max: 6})
	_, err := c.Client("kubectl").Create(e2e.Deployment("web", 6, "800m", "256Mi"))
	require.NoError(t, err)
	require.True(t, c.Engine.RunWhile(5*time.Minute, func() bool { return e2e.RunningPods(c, "web") < 6 }))
	peak := readyNodes(c)
	c.Engine.RunUntil(15 * time.Minute) // past delay-after-add
	require.Equal(t, peak, readyNodes(c), "nothing is unneeded while the pods run")
	scale(t, c, "web", 1)
	scaledIn := c.Engine.Elapsed()
	c.Engine.RunUntil(scaledIn + 9*time.Minute + 30*time.Second)
	require.Equal(t, peak, readyNodes(c), "no node goes before scale-down-unneeded-time")
	require.Empty(t, e2e.Events(c, "ScaleDownEmpty"))
	c.Engine.RunUntil(scaledIn + 25*time.Minute)
	require.Less(t, readyNodes(c), peak)
	require.GreaterOrEqual(t, readyNodes(c), 1)
	require.NotEmpty(t, append(e2e.Events(c, "ScaleDownEmpty"), e2e.Events(c, "ScaleDown")...))
	first := c.Engine.Elapsed()
	for _, e := range append(e2e.Events(c, "ScaleDownEmpty"), e2e.Events(c, "ScaleDown")...) {
		if at := e.FirstTimestamp.Sub(c.Engine.Now()) + c.Engine.Elapsed(); at < first {
			first = at
		}
	}
	require.GreaterOrEqual(t, first, scaledIn+10*time.Minute, "first scale-down at %v, scale-in at %v", first, scaledIn)
	require.Equal(t, 1, e2e.RunningPods(c, "web"))
}

// A node whose pod is covered by a PodDisruptionBudget that allows no
// disruption stays, however idle.
func TestPDBWithNoDisruptionsKeepsNode(t *testing.T) {
	c := newClusterAddons(t, false, clusterautoscaler.Options{ScaleDownUnneededTime: time.Minute, ScaleDownDelayAfterAdd: time.Minute},
		cluster.NodeGroup{Name: "ng", InstanceType: "m5.large", Count: 3, Min: 1, Max: 6})
	_, err := c.Client("kubectl").Create(e2e.Deployment("db", 1, "100m", "256Mi"))
	require.NoError(t, err)
	one := intstr.FromInt32(1)
	_, err = c.Client("kubectl").Create(&policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "db"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}})
	require.NoError(t, err)
	c.Engine.RunUntil(30 * time.Minute)
	var dbNode string
	for _, o := range c.Store.List("Pod", "default") {
		if p := o.(*corev1.Pod); p.Labels["app"] == "db" {
			dbNode = p.Spec.NodeName
		}
	}
	require.NotEmpty(t, dbNode)
	_, ok := c.Store.Get("Node", "", dbNode)
	require.True(t, ok, "the node of the PDB-protected pod stays")
	require.Equal(t, 1, e2e.RunningPods(c, "db"))
	var names []string
	for _, o := range c.Store.List("Node", "") {
		names = append(names, o.GetName())
	}
	require.Equal(t, []string{dbNode}, names, "the idle nodes went down to min 1, the protected one stayed: %s", strings.Join(names, ","))
	// The blocked node is simulated again only every
	// unremovable-node-recheck-timeout (5m), not on each 10 s loop: 180
	// loops in 30 minutes, at most one simulation per node per 5 minutes.
	sims := c.CA.Stats().RemovalSimulations
	require.Positive(t, sims)
	require.LessOrEqual(t, sims, 3*(30/5+1), "removal simulations in 30 minutes over 3 nodes")
}
