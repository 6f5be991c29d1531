package cloud

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/sim/kubeversion"
)

func TestNodeObject(t *testing.T) {
	n := NodeObject(NodeSpec{
		Name: "general-3", Group: "general", Zone: "us-west-2b", InstanceType: "m5.large",
		Labels: map[string]string{"team": "web"},
		Taints: []corev1.Taint{{Key: "dedicated", Value: "web", Effect: corev1.TaintEffectNoSchedule}},
		Index:  3,
	})
	require.Equal(t, "general-3", n.Name)
	for k, v := range map[string]string{
		"kubernetes.io/hostname":           "general-3",
		"kubernetes.io/os":                 "linux",
		"kubernetes.io/arch":               "amd64",
		"node.kubernetes.io/instance-type": "m5.large",
		"topology.kubernetes.io/zone":      "us-west-2b",
		"topology.kubernetes.io/region":    "us-west-2",
		"eks.amazonaws.com/nodegroup":      "general",
		"eks.amazonaws.com/capacityType":   "ON_DEMAND",
		"team":                             "web",
	} {
		require.Equal(t, v, n.Labels[k], k)
	}
	require.NotContains(t, n.Labels, "failure-domain.beta.kubernetes.io/zone")
	require.Equal(t, "192.168.0.7", n.Status.Addresses[0].Address)
	require.Equal(t, corev1.NodeInternalIP, n.Status.Addresses[0].Type)
	require.Equal(t, "ip-192-168-0-7.us-west-2.compute.internal", n.Status.Addresses[2].Address)
	require.Regexp(t, regexp.MustCompile(`^aws:///us-west-2b/i-[0-9a-f]{17}$`), n.Spec.ProviderID)
	require.Equal(t, NodeObject(NodeSpec{Name: "general-3", Zone: "us-west-2b"}).Spec.ProviderID, n.Spec.ProviderID, "deterministic")
	require.NotEqual(t, NodeObject(NodeSpec{Name: "general-4", Zone: "us-west-2b"}).Spec.ProviderID, n.Spec.ProviderID)
	require.Len(t, n.Spec.Taints, 1)
	require.Equal(t, "1930m", n.Status.Allocatable.Cpu().String())
	require.Equal(t, int64(29), n.Status.Capacity.Pods().Value())
	require.Equal(t, "amd64", n.Status.NodeInfo.Architecture)
	require.Equal(t, "linux", n.Status.NodeInfo.OperatingSystem)
	require.Equal(t, kubeversion.GitVersion, n.Status.NodeInfo.KubeletVersion, "the release the simulator models")
	require.Regexp(t, `^containerd://1\.7\.`, n.Status.NodeInfo.ContainerRuntimeVersion)
	require.Contains(t, n.Status.NodeInfo.OSImage, "Amazon Linux 2023")
	require.Empty(t, n.Status.Conditions)
}

func TestNodeObjectCustomCapacity(t *testing.T) {
	cap := corev1.ResourceList{corev1.ResourceCPU: mustQ("64"), corev1.ResourcePods: mustQ("110")}
	n := NodeObject(NodeSpec{Name: "big-0", Zone: "eu-west-1c", Capacity: cap, Allocatable: cap})
	require.Equal(t, int64(64), n.Status.Allocatable.Cpu().Value())
	require.Equal(t, "eu-west-1", n.Labels["topology.kubernetes.io/region"])
	require.NotContains(t, n.Labels, "node.kubernetes.io/instance-type")
}

func TestAddressesUnique(t *testing.T) {
	nodes := map[string]int{}
	pods := map[string]bool{}
	for i := 0; i < 5000; i++ {
		ip := NodeIP(i)
		_, dup := nodes[ip]
		require.False(t, dup, "node ip %s reused by %d and %d", ip, nodes[ip], i)
		nodes[ip] = i
		for _, slot := range []int{0, 233} {
			p := PodIP(i, slot)
			require.False(t, pods[p], p)
			pods[p] = true
		}
	}
}

func mustQ(s string) resource.Quantity { return resource.MustParse(s) }
