package hpa

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
)

func TestPodCPU(t *testing.T) {
	now := sim.Epoch.Add(time.Hour)
	pod := func(ann map[string]string, started time.Duration, requests ...string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: ann}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
		for i, r := range requests {
			c := corev1.Container{Name: []string{"a", "b"}[i]}
			if r != "" {
				c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(r)}
			}
			p.Spec.Containers = append(p.Spec.Containers, c)
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now.Add(-started))}}})
		}
		return p
	}
	for _, tc := range []struct {
		name     string
		pod      *corev1.Pod
		workload map[string]string
		want     int64
		ok       bool
	}{
		{"default 10% of the request", pod(nil, time.Minute, "200m"), nil, 20, true},
		{"default 5m without request", pod(nil, time.Minute, ""), nil, 5, true},
		{"pod annotation per container", pod(map[string]string{"sim.kubesim.io/cpu": "100m", "sim.kubesim.io/cpu.b": "1"}, time.Minute, "200m", "200m"), nil, 1100, true},
		{"workload annotation wins", pod(map[string]string{"sim.kubesim.io/cpu": "100m"}, time.Minute, "200m"), map[string]string{"sim.kubesim.io/cpu": "30m"}, 30, true},
		{"invalid value ignored", pod(map[string]string{"sim.kubesim.io/cpu": "lots"}, time.Minute, "200m"), nil, 20, true},
		{"no metric within the first window", pod(nil, 5*time.Second, "200m"), nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := PodCPU(tc.pod, tc.workload, now)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

// The selector cache takes a target's new selector object for the old
// one only when the two select the same pods.
func TestSameSelector(t *testing.T) {
	web := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	expr := func(op metav1.LabelSelectorOperator, vals ...string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: op, Values: vals}}}
	}
	for _, tc := range []struct {
		name string
		a, b *metav1.LabelSelector
		want bool
	}{
		{"same object", web, web, true},
		{"equal copies", web, web.DeepCopy(), true},
		{"other labels", web, &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}, false},
		{"nil and empty labels", &metav1.LabelSelector{}, &metav1.LabelSelector{MatchLabels: map[string]string{}}, true},
		{"one nil", web, nil, false},
		{"equal expressions", expr(metav1.LabelSelectorOpIn, "web"), expr(metav1.LabelSelectorOpIn, "web"), true},
		{"other operator", expr(metav1.LabelSelectorOpIn, "web"), expr(metav1.LabelSelectorOpNotIn, "web"), false},
		{"labels against expressions", web, expr(metav1.LabelSelectorOpIn, "web"), false},
	} {
		require.Equal(t, tc.want, sameSelector(tc.a, tc.b), tc.name)
	}
}
