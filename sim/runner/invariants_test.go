package runner_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/runner"
)

// TestInvariantsCatchOvercommit proves the per-event checks are not
// vacuous: a pod bound straight to a node (spec.nodeName bypasses the
// scheduler) that asks for more CPU than the node has must stop the run.
func TestInvariantsCatchOvercommit(t *testing.T) {
	s, err := scenarios.Parse("overcommit.yaml", []byte(clusterYAML("overcommit", "2m", 1, false)+``), nil)
	require.NoError(t, err)
	inject := func(c *cluster.Cluster) {
		c.Engine.At(30*time.Second, "inject", func() {
			_, err := c.Client("test").Create(&corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hog"},
				Spec: corev1.PodSpec{NodeName: "general-1", Containers: []corev1.Container{{
					Name: "hog", Image: "nginx:1.27",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")}},
				}}},
			})
			require.NoError(t, err)
		})
	}
	_, err = runner.Run(s, runner.Options{CheckInvariants: true, Observe: inject})
	require.ErrorContains(t, err, "invariant violated at 30s: node general-1 overcommitted")

	// Without the checks the run completes; the kubelet rejects the pod.
	rep, err := runner.Run(s, runner.Options{Observe: inject})
	require.NoError(t, err)
	require.Equal(t, 1, rep.Pods["Failed"], "the kubelet rejects the pod (OutOfcpu)")
}
