package clusterautoscaler

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/cloud"
)

func newTestAutoscaler(t *testing.T, expander string, seed uint64) *Autoscaler {
	t.Helper()
	w := apiservertest.NewWorld(seed, "kube-system")
	return New(w.Engine, w.Server.Client(Name), nil, Options{Expander: expander})
}

func group(name, instanceType string) NodeGroup {
	it, _ := cloud.Lookup(instanceType)
	price, _ := cloud.Price("us-east-1", instanceType, cloud.OnDemand)
	n := cloud.NodeObject(cloud.NodeSpec{Name: "t-" + name, Group: name, Zone: "us-east-1a", InstanceType: instanceType,
		Capacity: it.Capacity(), Allocatable: it.Allocatable()})
	return NodeGroup{Name: name, Min: 0, Max: 10, Template: n, PricePerHour: price}
}

func pods(n int, cpu, mem string) []*corev1.Pod {
	out := make([]*corev1.Pod, n)
	for i := range out {
		out[i] = &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}}}}}
	}
	return out
}

// Four 900m/1Gi pods: two m5.large nodes, one m5.xlarge, one c5.xlarge or
// two r5.large could take them; four pods fit on one m5.2xlarge too but
// only three on a t3.medium pair. Each expander picks what upstream's
// would.
func options() []Option {
	return []Option{
		{Group: group("m5-large", "m5.large"), NodeCount: 2, Pods: pods(4, "900m", "1Gi")},
		{Group: group("m5-xlarge", "m5.xlarge"), NodeCount: 1, Pods: pods(4, "900m", "1Gi")},
		{Group: group("c5-xlarge", "c5.xlarge"), NodeCount: 1, Pods: pods(4, "900m", "1Gi")},
		{Group: group("r5-large", "r5.large"), NodeCount: 2, Pods: pods(4, "900m", "1Gi")},
		{Group: group("t3-medium", "t3.medium"), NodeCount: 2, Pods: pods(2, "900m", "1Gi")},
	}
}

func TestLeastWastePicksTheTightestFit(t *testing.T) {
	// c5.xlarge: 3920m / 6584Mi-ish allocatable for 3600m / 4Gi asked:
	// the least cpu and memory left over of all options.
	a := newTestAutoscaler(t, ExpanderLeastWaste, 1)
	require.Equal(t, "c5-xlarge", a.expand(options()).Group.Name)
}

func TestMostPodsPicksTheOptionSchedulingMost(t *testing.T) {
	opts := options()
	opts[1].Pods = pods(5, "700m", "1Gi") // m5.xlarge would take one more pod
	a := newTestAutoscaler(t, ExpanderMostPods, 1)
	require.Equal(t, "m5-xlarge", a.expand(opts).Group.Name)
}

func TestPricePicksTheCheapestPerPod(t *testing.T) {
	// Per pod: m5.large 2x0.096/4 = 0.048, m5.xlarge 0.192/4 = 0.048,
	// c5.xlarge 0.17/4 = 0.0425, r5.large 0.063, t3.medium 0.0416: the
	// burstable pair is cheapest per scheduled pod.
	a := newTestAutoscaler(t, ExpanderPrice, 1)
	require.Equal(t, "t3-medium", a.expand(options()).Group.Name)
	// Without the t3 pair, c5.xlarge.
	require.Equal(t, "c5-xlarge", a.expand(options()[:4]).Group.Name)
}

func TestPriorityFollowsTheConfigMapThenTheNextExpander(t *testing.T) {
	a := newTestAutoscaler(t, "priority,least-waste", 1)
	// Without the ConfigMap every option stays: least-waste decides.
	require.Equal(t, "c5-xlarge", a.expand(options()).Group.Name)
	_, err := a.Client.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: PriorityConfigMap},
		Data: map[string]string{"priorities": "10:\n  - .*-large\n50:\n  - r5-.*\n  - m5-.*\n"}})
	require.NoError(t, err)
	// Priority 50 keeps r5-large, m5-large and m5-xlarge (c5-xlarge only
	// matches nothing, t3-medium nothing); least-waste picks the m5.large
	// pair among them (2x1930m and 2x6959Mi waste less than one m5.xlarge's
	// 3920m and 14523Mi).
	require.Equal(t, "m5-large", a.expand(options()).Group.Name)
	_, err = a.Client.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "other"}})
	require.NoError(t, err)
	o, _ := a.Store.Get("ConfigMap", "kube-system", PriorityConfigMap)
	cm := o.(*corev1.ConfigMap).DeepCopy()
	cm.Data["priorities"] = "10:\n  - .*\n90:\n  - t3-medium\n"
	_, err = a.Client.Update(cm)
	require.NoError(t, err)
	require.Equal(t, "t3-medium", a.expand(options()).Group.Name, "the highest priority wins even when it schedules fewer pods")
}

func TestRandomIsSeededAndCoversTheOptions(t *testing.T) {
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 40; seed++ {
		a := newTestAutoscaler(t, ExpanderRandom, seed)
		first := a.expand(options()).Group.Name
		b := newTestAutoscaler(t, ExpanderRandom, seed)
		require.Equal(t, first, b.expand(options()).Group.Name, "same seed, same choice")
		seen[first] = true
	}
	require.Len(t, seen, len(options()), "every option gets picked by some seed")
}

func TestBalanceSplitsAcrossSimilarZonalGroups(t *testing.T) {
	a := newTestAutoscaler(t, ExpanderLeastWaste, 1)
	mk := func(name, zone string) NodeGroup {
		g := group(name, "m5.large")
		g.Template.Labels[corev1.LabelTopologyZone] = zone
		g.Template.Labels[cloud.LabelNodeGroup] = name
		return g
	}
	a1, b1, c1 := mk("web-a", "us-east-1a"), mk("web-b", "us-east-1b"), mk("web-c", "us-east-1c")
	other := group("big", "m5.2xlarge")
	best := Option{Group: a1, NodeCount: 5, Pods: pods(10, "900m", "1Gi")}
	opts := []Option{best, {Group: b1, NodeCount: 5}, {Group: c1, NodeCount: 5}, {Group: other, NodeCount: 2}}
	plan := a.balance(best, opts, map[string]int{"web-a": 3, "web-b": 1, "web-c": 2, "big": 0})
	got := map[string]int{}
	for _, o := range plan {
		got[o.Group.Name] = o.NodeCount
	}
	// Sizes 3,1,2 plus 5 new nodes, each to the smallest group: 3,4,4.
	require.Equal(t, 5, got["web-a"]+got["web-b"]+got["web-c"])
	require.Zero(t, got["big"], "a different machine is not similar")
	sizes := []int{3 + got["web-a"], 1 + got["web-b"], 2 + got["web-c"]}
	lo, hi := sizes[0], sizes[0]
	for _, s := range sizes {
		lo, hi = min(lo, s), max(hi, s)
	}
	require.LessOrEqual(t, hi-lo, 1, "balanced: %v", sizes)
	require.Equal(t, 11, sizes[0]+sizes[1]+sizes[2])
	require.NotEmpty(t, plan[0].Pods, "the pods are attributed to one option")
}
