package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// TestCyclePodInfoIsWhatTheCacheWouldDerive: the PodInfo a cycle derives
// once (read by the plugins, kept by the queue across retries, handed to
// the cache at bind) holds what deriving the bound pod afresh gives, for
// pods with requests, host ports, a priority and affinity terms, and for
// a pod that failed first and was scheduled on a retry.
func TestCyclePodInfoIsWhatTheCacheWouldDerive(t *testing.T) {
	w := newWorld(7)
	w.addNode(t, makeNode("n1", "a", "4", "8Gi", 110))
	ported := makePod("ported", "500m", "1Gi", map[string]string{"app": "web"})
	ported.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
	_, err := w.Admin.Create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000})
	require.NoError(t, err)
	prio := makePod("prio", "", "", map[string]string{"app": "web"})
	prio.Spec.PriorityClassName = "high"
	affine := makePod("affine", "250m", "", map[string]string{"app": "db"})
	affine.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, TopologyKey: corev1.LabelHostname}},
	}}
	late := makePod("late", "6", "1Gi", nil) // fits no node until n2 comes
	for _, pod := range []*corev1.Pod{ported, prio, affine, late} {
		w.addPod(t, pod)
	}
	s := New(w.Engine, w.Server.Client("default-scheduler"), Config{})
	s.Start()
	w.Engine.RunUntil(10 * time.Second)
	require.Empty(t, w.pod(t, "late").Spec.NodeName)
	w.addNode(t, makeNode("n2", "b", "8", "8Gi", 110))
	w.Engine.RunUntil(time.Minute)
	require.Equal(t, uint64(4), s.Stats().Scheduled)
	for _, name := range []string{"ported", "prio", "affine", "late"} {
		bound := w.pod(t, name)
		require.NotEmpty(t, bound.Spec.NodeName, name)
		got := s.Cache().PodInfo("default", name)
		require.NotNil(t, got, name)
		require.Same(t, bound, got.Pod, name)
		require.Equal(t, derived(framework.NewPodInfo(bound)), derived(got), name)
		require.Equal(t, bound.Spec.NodeName, got.Node.Name(), name)
		if name == "prio" {
			require.Equal(t, int32(1000), got.Priority)
		}
	}
}

// derived is what a PodInfo derives from its pod's spec.
func derived(pi *framework.PodInfo) []any {
	return []any{pi.Requests, pi.NonZero, pi.Priority, pi.Ports, pi.RequiredAffinityTerms, pi.RequiredAntiAffinityTerms,
		pi.PreferredAffinityTerms, pi.PreferredAntiAffinityTerms, pi.ParseErr}
}
