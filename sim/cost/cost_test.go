package cost_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cost"
)

// Two on-demand m5.large for an hour cost 2 x $0.096; a bare pod asking
// for half a node's cpu and half its memory is charged half that node's
// price for the time it occupies it; the rest is idle.
func TestMeterBillsMachinesAndChargesPods(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 1, EtcdMembers: 1, Region: "us-east-1",
		NodeGroups: []cluster.NodeGroup{{Name: "ng", InstanceType: "m5.large", Count: 2}}})
	require.NoError(t, err)
	t.Cleanup(c.Etcd.Close)
	c.Cost.Sample(10 * time.Minute)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "half"},
		Spec: corev1.PodSpec{NodeName: "ng-1", Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("965m"), corev1.ResourceMemory: resource.MustParse("3479Mi")}}}}}}
	_, err = c.Client("test").Create(pod)
	require.NoError(t, err)
	c.Engine.RunUntil(time.Hour)

	s := c.Cost.Summary()
	require.InDelta(t, 0.192, s.Total, 1e-9)
	require.InDelta(t, 0.192, s.PerHour, 1e-9)
	require.InDelta(t, 0.192, s.AveragePerHour, 1e-9)
	require.InDelta(t, 2, s.NodeHours, 1e-9)
	require.InDelta(t, 0.192, s.ByInstanceType["m5.large"], 1e-9)
	require.InDelta(t, 0.192, s.ByCapacityType["ON_DEMAND"], 1e-9)
	half := s.ByWorkload[cost.Workload{Kind: "Pod", Namespace: "default", Name: "half"}]
	require.InDelta(t, 0.096/2, half, 0.0001, "half a node for (almost) an hour")
	require.Less(t, half, 0.096/2)
	require.InDelta(t, s.Total-half, s.Idle, 1e-9)

	samples := c.Cost.Samples()
	require.Len(t, samples, 7) // 0, 10m, ..., 60m
	last := samples[len(samples)-1]
	require.Equal(t, 2, last.Nodes)
	require.Equal(t, int64(965), last.CPURequested)
	require.Equal(t, int64(2*1930), last.CPUAllocatable)

	spot, err := cluster.New(cluster.Config{Seed: 1, EtcdMembers: 1, Region: "eu-west-1", Zones: []string{"eu-west-1a"},
		NodeGroups: []cluster.NodeGroup{{Name: "s", InstanceType: "m5.large", Count: 1, CapacityType: "SPOT"}}})
	require.NoError(t, err)
	t.Cleanup(spot.Etcd.Close)
	spot.Engine.RunUntil(time.Hour)
	ss := spot.Cost.Summary()
	require.Equal(t, "eu-west-1", ss.Region)
	require.Positive(t, ss.ByCapacityType["SPOT"])
	require.Less(t, ss.Total, 0.107, "spot is cheaper than eu-west-1 on-demand")
}

// The meter keeps each node's allocatable (Meter.nodes): a new version
// is read again, a deleted node counts no more.
func TestNowFollowsNodeVersions(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 1, EtcdMembers: 1, Region: "us-east-1",
		NodeGroups: []cluster.NodeGroup{{Name: "ng", InstanceType: "m5.large", Count: 2}}})
	require.NoError(t, err)
	t.Cleanup(c.Etcd.Close)
	c.Engine.RunUntil(time.Minute)
	require.Equal(t, int64(2*1930), c.Cost.Now().CPUAllocatable)
	require.Equal(t, int64(2*1930), c.Cost.Now().CPUAllocatable, "from the memo")

	o, ok := c.Store.Get("Node", "", "ng-1")
	require.True(t, ok)
	n := o.(*corev1.Node).DeepCopy()
	n.Status.Allocatable = n.Status.Allocatable.DeepCopy()
	n.Status.Allocatable[corev1.ResourceCPU] = resource.MustParse("1")
	_, err = c.Client("test").UpdateStatus(n)
	require.NoError(t, err)
	require.Equal(t, int64(1930+1000), c.Cost.Now().CPUAllocatable, "a new version")

	_, err = c.Store.Delete("Node", "", "ng-2")
	require.NoError(t, err)
	require.Equal(t, int64(1000), c.Cost.Now().CPUAllocatable, "a deleted node")
}

// The meter passes over a pod's writes that cannot change its charge (a
// status write on its node, the same containers) without reading its
// requests again, and still follows those that can: new containers with
// other requests (an in-place resize), a status that carries resources,
// the pod leaving its node.
func TestMeterFollowsRequestsAcrossWrites(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 1, EtcdMembers: 1, Region: "us-east-1",
		NodeGroups: []cluster.NodeGroup{{Name: "ng", InstanceType: "m5.large", Count: 1}}})
	require.NoError(t, err)
	t.Cleanup(c.Etcd.Close)
	requests := func(cpu string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "p"},
		Spec: corev1.PodSpec{NodeName: "ng-1", Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27", Resources: requests("500m")}}}}
	o, err := c.Store.Create(pod)
	require.NoError(t, err)
	cpu := func() int64 { return c.Cost.Now().CPURequested }
	require.Equal(t, int64(500), cpu())

	update := func(change func(p *corev1.Pod)) {
		t.Helper()
		p := o.(*corev1.Pod).DeepCopy()
		p.Spec.Containers = o.(*corev1.Pod).Spec.Containers // shared, as a status write leaves them
		change(p)
		o, err = c.Store.Update(p)
		require.NoError(t, err)
	}
	update(func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning })
	require.Equal(t, int64(500), cpu(), "a status write")

	update(func(p *corev1.Pod) {
		p.Spec.Containers = []corev1.Container{{Name: "c", Image: "nginx:1.27", Resources: requests("700m")}}
	})
	require.Equal(t, int64(700), cpu(), "resized: new containers")

	update(func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", AllocatedResources: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("900m")}}}
	})
	require.Equal(t, int64(900), cpu(), "the same containers, allocated resources in the status")

	update(func(p *corev1.Pod) { p.Status.ContainerStatuses = nil })
	require.Equal(t, int64(700), cpu(), "and without them again")

	update(func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded })
	require.Equal(t, int64(0), cpu(), "finished: off its node")
	update(func(p *corev1.Pod) { p.Status.Reason = "x" })
	require.Equal(t, int64(0), cpu(), "a finished pod's writes")
}
