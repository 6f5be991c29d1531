package karpenter_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/autoscalers/internal/e2e"
	"github.com/kubesim/kubesim/sim/autoscalers/karpenter"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
)

// newCluster is a cluster with a small system node group, Karpenter, an
// EC2NodeClass and the given NodePool.
func newCluster(t testing.TB, np *karpv1.NodePool) *cluster.Cluster {
	t.Helper()
	c, err := cluster.New(cluster.Config{Seed: 1, EtcdMembers: 1, Addons: true, Karpenter: &karpenter.Options{},
		NodeGroups: []cluster.NodeGroup{{Name: "system", InstanceType: "m5.large", Count: 1,
			Taints: []corev1.Taint{{Key: "CriticalAddonsOnly", Effect: corev1.TaintEffectNoSchedule}}}}})
	require.NoError(t, err)
	t.Cleanup(c.Etcd.Close)
	cl := c.Client("test")
	_, err = cl.Create(&karpv1.EC2NodeClass{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: karpv1.EC2NodeClassSpec{
		Role: "KarpenterNodeRole", AMISelectorTerms: []karpv1.AMISelectorTerm{{Alias: "al2023@latest"}},
		SubnetSelectorTerms:        []karpv1.SelectorTerm{{Tags: map[string]string{"karpenter.sh/discovery": "test"}}},
		SecurityGroupSelectorTerms: []karpv1.SelectorTerm{{Tags: map[string]string{"karpenter.sh/discovery": "test"}}}}})
	require.NoError(t, err)
	_, err = cl.Create(np)
	require.NoError(t, err)
	return c
}

func nodePool(consolidateAfter string, reqs ...karpv1.NodeSelectorRequirementWithMinValues) *karpv1.NodePool {
	return &karpv1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: karpv1.NodePoolSpec{
		Template: karpv1.NodeClaimTemplate{Spec: karpv1.NodeClaimTemplateSpec{Requirements: reqs,
			NodeClassRef: &karpv1.NodeClassReference{Group: "karpenter.k8s.aws", Kind: "EC2NodeClass", Name: "default"}}},
		Disruption: karpv1.Disruption{ConsolidateAfter: karpv1.NillableDuration(consolidateAfter)}}}
}

func req(key string, values ...string) karpv1.NodeSelectorRequirementWithMinValues {
	return karpv1.NodeSelectorRequirementWithMinValues{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}
}

func nodeClaims(c *cluster.Cluster) []*karpv1.NodeClaim {
	var out []*karpv1.NodeClaim
	for _, o := range c.Store.List("NodeClaim", "") {
		out = append(out, o.(*karpv1.NodeClaim))
	}
	return out
}

func karpenterNodes(c *cluster.Cluster) []*corev1.Node {
	var out []*corev1.Node
	for _, o := range c.Store.List("Node", "") {
		if n := o.(*corev1.Node); n.Labels[karpv1.LabelNodePool] != "" {
			out = append(out, n)
		}
	}
	return out
}

// daemonOverhead sums the requests of one pod of every DaemonSet.
func daemonOverhead(c *cluster.Cluster) podutil.Resources {
	var sum podutil.Resources
	for _, o := range c.Store.List("DaemonSet", "") {
		ds := o.(*appsv1.DaemonSet)
		sum = sum.Add(podutil.PodRequests(&corev1.Pod{Spec: ds.Spec.Template.Spec}))
	}
	return sum
}

// cheapestFitting is the brute-force answer: the cheapest catalogue type
// of the allowed categories and architecture, priced for capacityType,
// whose allocatable holds need.
func cheapestFitting(t *testing.T, categories []string, arch, capacityType string, need podutil.Resources) string {
	best, bestPrice := "", math.Inf(1)
	for _, name := range cloud.Names() {
		it, _ := cloud.Lookup(name)
		if it.Arch != arch || !slices.Contains(categories, it.Category()) {
			continue
		}
		a := it.Allocatable()
		if !need.Fits(podutil.Resources{MilliCPU: a.Cpu().MilliValue(), Memory: a.Memory().Value(), Pods: a.Pods().Value()}) {
			continue
		}
		p, err := cloud.Price(cloud.DefaultRegion, name, capacityType)
		require.NoError(t, err)
		if p < bestPrice {
			best, bestPrice = name, p
		}
	}
	require.NotEmpty(t, best)
	return best
}

// TestProvisionsCheapestFittingTypeForBatch: ten pending pods arrive in
// one batch; Karpenter launches one NodeClaim of the cheapest type that
// holds them all (with the DaemonSet pods), spot when the NodePool allows
// it, and every pod runs on it.
func TestProvisionsCheapestFittingTypeForBatch(t *testing.T) {
	for _, tc := range []struct {
		name, capacityType, label string
	}{
		{"on-demand", cloud.OnDemand, karpv1.CapacityTypeOnDemand},
		{"spot preferred", cloud.Spot, karpv1.CapacityTypeSpot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cts := []string{karpv1.CapacityTypeOnDemand}
			if tc.capacityType == cloud.Spot {
				cts = []string{karpv1.CapacityTypeSpot, karpv1.CapacityTypeOnDemand}
			}
			categories := []string{"c", "m", "r"}
			c := newCluster(t, nodePool("Never", req(karpv1.LabelCapacityType, cts...),
				req(karpv1.LabelInstanceCategory, categories...), req(corev1.LabelArchStable, "amd64")))
			c.Engine.RunUntil(5 * time.Second)
			_, err := c.Client("test").Create(e2e.Deployment("web", 10, "700m", "1Gi"))
			require.NoError(t, err)
			c.Engine.RunUntil(3 * time.Minute)

			claims := nodeClaims(c)
			require.Len(t, claims, 1, "one batch, one NodeClaim")
			one := podutil.PodRequests(&corev1.Pod{Spec: e2e.Deployment("web", 1, "700m", "1Gi").Spec.Template.Spec})
			need := daemonOverhead(c)
			for range 10 {
				need = need.Add(one)
			}
			want := cheapestFitting(t, categories, "amd64", tc.capacityType, need)
			require.Equal(t, want, claims[0].Labels[corev1.LabelInstanceTypeStable])
			require.Equal(t, tc.label, claims[0].Labels[karpv1.LabelCapacityType])
			no, ok := c.Store.Get("Node", "", claims[0].Status.NodeName)
			require.True(t, ok)
			require.Equal(t, tc.label, no.GetLabels()[karpv1.LabelCapacityType], "Karpenter's capacity-type label")
			require.NotContains(t, no.GetLabels(), cloud.LabelCapacityType, "the managed node group label is not on Karpenter's nodes")
			require.NotContains(t, no.GetLabels(), cloud.LabelNodeGroup)
			for _, cond := range []string{karpv1.ConditionLaunched, karpv1.ConditionRegistered, karpv1.ConditionInitialized, karpv1.ConditionReady} {
				require.True(t, karpv1.IsTrue(claims[0].Status.Conditions, cond), cond)
			}
			require.Equal(t, 10, e2e.RunningPods(c, "web"))
			for _, o := range c.Store.List("Pod", "default") {
				require.Equal(t, claims[0].Status.NodeName, o.(*corev1.Pod).Spec.NodeName)
			}
			require.Len(t, e2e.Events(c, "Nominated"), 10)
		})
	}
}

// TestConsolidatesTwoHalfEmptyNodes: two m5.large nodes each left with
// one pod after a scale-in are consolidated: one node is deleted (its pod
// moves to the other) only after consolidateAfter and the 15 s
// validation.
func TestConsolidatesTwoHalfEmptyNodes(t *testing.T) {
	c := newCluster(t, nodePool("1m", req(karpv1.LabelCapacityType, karpv1.CapacityTypeOnDemand),
		req(corev1.LabelInstanceTypeStable, "m5.large")))
	c.Engine.RunUntil(5 * time.Second)
	cl := c.Client("test")
	// Two fillers that may not share a node leave room for one web pod
	// beside each (an m5.large holds two pods of 800m).
	filler := e2e.Deployment("filler", 2, "800m", "512Mi")
	filler.Spec.Template.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{TopologyKey: corev1.LabelHostname,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "filler"}}}}}}
	_, err := cl.Create(filler)
	require.NoError(t, err)
	_, err = cl.Create(e2e.Deployment("web", 2, "800m", "512Mi"))
	require.NoError(t, err)
	c.Engine.RunUntil(2 * time.Minute)
	require.Equal(t, 2, e2e.RunningPods(c, "web"))
	require.Equal(t, 2, e2e.RunningPods(c, "filler"))
	require.Len(t, karpenterNodes(c), 2)

	require.NoError(t, cl.Delete("Deployment", "default", "filler", apiserver.DeleteOptions{}))
	scaledAt := c.Engine.Elapsed()
	c.Engine.RunUntil(scaledAt + 5*time.Second)
	perNode := map[string]int{}
	for _, o := range c.Store.List("Pod", "default") {
		if p := o.(*corev1.Pod); p.DeletionTimestamp == nil && p.Labels["app"] == "web" {
			perNode[p.Spec.NodeName]++
		}
	}
	require.Len(t, perNode, 2, "the scale-in leaves one pod on each node: %v", perNode)

	// Nothing happens before consolidateAfter (1m) has passed.
	c.Engine.RunUntil(scaledAt + 55*time.Second)
	require.Empty(t, e2e.Events(c, "DisruptionTerminating"))
	c.Engine.RunUntil(scaledAt + 4*time.Minute)
	require.Len(t, karpenterNodes(c), 1)
	require.Equal(t, 2, e2e.RunningPods(c, "web"))
	term := e2e.Events(c, "DisruptionTerminating")
	require.NotEmpty(t, term)
	require.Contains(t, term[0].Message, "Underutilized")
	require.Len(t, nodeClaims(c), 1)
}

// TestSpotInterruptionDrainsWithinNotice: a spot node gets EC2's
// two-minute notice; Karpenter cordons and drains it at once, launches a
// replacement (not the interrupted offering) and the pods run again
// before EC2 reclaims the instance.
func TestSpotInterruptionDrainsWithinNotice(t *testing.T) {
	c := newCluster(t, nodePool("Never", req(karpv1.LabelCapacityType, karpv1.CapacityTypeSpot),
		req(karpv1.LabelInstanceCategory, "c", "m"), req(corev1.LabelArchStable, "amd64")))
	c.Engine.RunUntil(5 * time.Second)
	_, err := c.Client("test").Create(e2e.Deployment("web", 4, "500m", "512Mi"))
	require.NoError(t, err)
	c.Engine.RunUntil(2 * time.Minute)
	require.Equal(t, 4, e2e.RunningPods(c, "web"))
	nodes := karpenterNodes(c)
	require.Len(t, nodes, 1)
	victim := nodes[0]
	victimType := victim.Labels[corev1.LabelInstanceTypeStable]

	noticeAt := c.Engine.Elapsed()
	_, err = c.InterruptSpot(victim.Name)
	require.NoError(t, err)

	// Every pod has left the victim, and a replacement runs them, before
	// the notice expires.
	drained := time.Duration(-1)
	for at := noticeAt; at < noticeAt+cloud.SpotInterruptionNotice; at += 100 * time.Millisecond {
		c.Engine.RunUntil(at)
		left := 0
		for _, o := range c.Store.List("Pod", "default") {
			if p := o.(*corev1.Pod); p.Spec.NodeName == victim.Name && p.Labels["app"] == "web" {
				left++
			}
		}
		if left == 0 && drained < 0 {
			drained = at - noticeAt
		}
	}
	require.GreaterOrEqual(t, drained, time.Duration(0), "the node was not drained within the notice")
	require.Len(t, e2e.Events(c, "SpotInterrupted"), 2, "on the node and on its NodeClaim")
	require.Equal(t, 4, e2e.RunningPods(c, "web"), "the pods run elsewhere before the instance is reclaimed")
	claims := nodeClaims(c)
	require.Len(t, claims, 1)
	require.NotEqual(t, victim.Name, claims[0].Status.NodeName)
	require.Equal(t, karpv1.CapacityTypeSpot, claims[0].Labels[karpv1.LabelCapacityType])
	if claims[0].Labels[corev1.LabelTopologyZone] == victim.Labels[corev1.LabelTopologyZone] {
		require.NotEqual(t, victimType, claims[0].Labels[corev1.LabelInstanceTypeStable], "the interrupted offering is cached unavailable")
	}
	t.Logf("drained %v after the notice", drained)

	c.Engine.RunUntil(noticeAt + cloud.SpotInterruptionNotice + 15*time.Second)
	_, ok := c.Store.Get("Node", "", victim.Name)
	require.False(t, ok, "EC2 reclaimed the instance and its Node is gone")
	in, _ := c.EC2.Instance(victim.Name)
	require.Equal(t, cloud.Terminated, in.State)
}

// TestConsolidationWaitsForAChange: two nodes that cannot be consolidated
// (each holds one of two pods that may not share a node, and no cheaper
// type is allowed) are simulated when they become consolidatable, then,
// with nothing changing, only when upstream's consolidation state times
// out every 5 minutes — not on each 10 s poll.
func TestConsolidationWaitsForAChange(t *testing.T) {
	c := newCluster(t, nodePool("1m", req(karpv1.LabelCapacityType, karpv1.CapacityTypeOnDemand),
		req(corev1.LabelInstanceTypeStable, "m5.large")))
	c.Engine.RunUntil(5 * time.Second)
	filler := e2e.Deployment("filler", 2, "800m", "512Mi")
	filler.Spec.Template.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{TopologyKey: corev1.LabelHostname,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "filler"}}}}}}
	_, err := c.Client("test").Create(filler)
	require.NoError(t, err)
	c.Engine.RunUntil(5 * time.Minute)
	require.Equal(t, 2, e2e.RunningPods(c, "filler"))
	require.Len(t, karpenterNodes(c), 2)
	before := c.Karpenter.Stats().Simulations
	require.Positive(t, before, "the consolidatable nodes were simulated")
	c.Engine.RunUntil(35 * time.Minute)
	require.Len(t, karpenterNodes(c), 2, "nothing to consolidate")
	// 30 minutes are 180 polls; one look per 5 minutes is 6 or 7, each
	// at most a single-node pass (2 simulations) and a multi-node one
	// (1 for two candidates).
	sims := c.Karpenter.Stats().Simulations - before
	require.Positive(t, sims, "the state times out and the nodes are looked at again")
	require.LessOrEqual(t, sims, 7*3, "simulations in 30 unchanged minutes")
}

// TestBoundBeforeHidingChangesNothing: answering mayHold before the
// candidates' pods are taken off their nodes (when no NodeClaim is in
// flight) only saves work: a day of scale-outs and scale-ins, with
// consolidations the bound rejects and ones it lets through, leaves the
// same trace and runs the same simulations as hiding first.
func TestBoundBeforeHidingChangesNothing(t *testing.T) {
	run := func(hideFirst bool) (string, karpenter.Stats) {
		c := newCluster(t, nodePool("1m", req(karpv1.LabelCapacityType, karpv1.CapacityTypeOnDemand),
			req(karpv1.LabelInstanceCategory, "c", "m"), req(corev1.LabelArchStable, "amd64")))
		if hideFirst {
			karpenter.HideFirst(c.Karpenter)
		}
		c.Engine.RunUntil(5 * time.Second)
		cl := c.Client("test")
		for _, d := range []string{"a", "b", "c"} {
			_, err := cl.Create(e2e.Deployment(d, 1, "700m", "512Mi"))
			require.NoError(t, err)
		}
		for i, n := range []int32{6, 2, 9, 1, 4, 1} {
			for j, d := range []string{"a", "b", "c"} {
				require.NoError(t, cl.Scale("Deployment", "default", d, max(1, n-int32(j+i)%3)))
			}
			c.Engine.RunUntil(c.Engine.Elapsed() + 6*time.Minute)
		}
		return c.Engine.Trace().Hash(), c.Karpenter.Stats()
	}
	hash, stats := run(false)
	hashFirst, statsFirst := run(true)
	require.Equal(t, hashFirst, hash)
	require.Equal(t, statsFirst, stats)
	require.Greater(t, stats.Simulations, 20, "consolidation was simulated: %+v", stats)
	t.Logf("%+v", stats)
}
