// Package e2e holds what the autoscalers' end-to-end tests share: the
// Deployment they scale a cluster with, and what they read back from it.
package e2e

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/cluster"
)

// Deployment is a Deployment name in the default namespace of replicas
// nginx pods (labelled app=name) requesting cpu and mem.
func Deployment(name string, replicas int32, cpu, mem string) *appsv1.Deployment {
	lbl := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}}}},
			},
		},
	}
}

// RunningPods counts the running, not terminating pods labelled app=app
// in the default namespace.
func RunningPods(c *cluster.Cluster, app string) int {
	n := 0
	for _, o := range c.Store.List("Pod", "default") {
		p := o.(*corev1.Pod)
		if p.Labels["app"] == app && p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			n++
		}
	}
	return n
}

// Events lists the events of this reason, in every namespace.
func Events(c *cluster.Cluster, reason string) []*corev1.Event {
	var out []*corev1.Event
	for _, o := range c.Store.List("Event", "") {
		if e := o.(*corev1.Event); e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}
