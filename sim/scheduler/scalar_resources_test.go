package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// A GPU or ephemeral-storage request is fitted like cpu and memory: the
// pod goes only where the node advertises enough (the NVIDIA device
// plugin's nvidia.com/gpu on a g4dn/g5 node), otherwise it stays pending
// with upstream's "Insufficient <resource>".
func TestScalarResourcesAreFitted(t *testing.T) {
	w := newWorld(1)
	plain := makeNode(nodeName(0), "", "4", "16Gi", 110)
	gpu := makeNode(nodeName(1), "", "4", "16Gi", 110)
	for _, n := range []*corev1.Node{plain, gpu} {
		n.Status.Allocatable[corev1.ResourceEphemeralStorage] = resource.MustParse("17Gi")
	}
	gpu.Status.Allocatable["nvidia.com/gpu"] = resource.MustParse("1")
	w.addNode(t, plain)
	w.addNode(t, gpu)
	s := New(w.Engine, w.Server.Client("default-scheduler"), Config{})
	s.Start()

	withRequest := func(name string, res corev1.ResourceName, q string) *corev1.Pod {
		p := makePod(name, "100m", "128Mi", nil)
		p.Spec.Containers[0].Resources.Requests[res] = resource.MustParse(q)
		if res == "nvidia.com/gpu" {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{res: resource.MustParse(q)}
		}
		return p
	}
	w.addPod(t, withRequest("train-1", "nvidia.com/gpu", "1"))
	w.Engine.RunUntil(time.Second)
	require.Equal(t, nodeName(1), w.pod(t, "train-1").Spec.NodeName, "the GPU pod goes to the node with a GPU")

	w.addPod(t, withRequest("train-2", "nvidia.com/gpu", "1"))
	w.addPod(t, withRequest("scratch", corev1.ResourceEphemeralStorage, "20Gi"))
	w.Engine.RunUntil(2 * time.Second)
	require.Empty(t, w.pod(t, "train-2").Spec.NodeName)
	require.Equal(t, "0/2 nodes are available: 2 Insufficient nvidia.com/gpu. "+
		"preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
		s.PendingReason("default", "train-2"))
	require.Empty(t, w.pod(t, "scratch").Spec.NodeName)
	require.Equal(t, "0/2 nodes are available: 2 Insufficient ephemeral-storage. "+
		"preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
		s.PendingReason("default", "scratch"))
}
