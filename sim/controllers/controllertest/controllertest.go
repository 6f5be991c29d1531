// Package controllertest is what the controllers' tests that run a whole
// simulated cluster share. (Tests inside a controller's own package use
// controllerutil/fake instead: the cluster imports every controller.)
package controllertest

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/cluster"
)

// Cluster is a seed-1 cluster with nodes m5.large nodes in one node group
// "g" (g-1, g-2, ...), or no node at all when nodes is 0.
func Cluster(t testing.TB, nodes int) *cluster.Cluster {
	t.Helper()
	cfg := cluster.Config{Seed: 1}
	if nodes > 0 {
		cfg.NodeGroups = []cluster.NodeGroup{{Name: "g", InstanceType: "m5.large", Count: nodes}}
	}
	c, err := cluster.New(cfg)
	require.NoError(t, err)
	return c
}

// JobTemplate is the pod template of the Job and CronJob tests' Jobs: one
// container "c" running cmd in busybox:1.36, never restarted.
func JobTemplate(cmd ...string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
		Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36", Command: cmd}}}}
}
