package framework

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Derive gives what NewPodInfo gives, for pods of one template (copied)
// and for every way a pod can derive something else.
func TestDeriveEqualsNewPodInfo(t *testing.T) {
	containers := func(cpu string) []corev1.Container {
		return []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("64Mi")}}}}
	}
	shared := containers("100m")
	prio := int32(5)
	pod := func(name string, edit func(p *corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.PodSpec{Containers: shared}}
		if edit != nil {
			edit(p)
		}
		return p
	}
	last := NewPodInfo(pod("a", nil))
	for _, tc := range []struct {
		name   string
		pod    *corev1.Pod
		copied bool
	}{
		{"same template", pod("b", nil), true},
		{"other containers, other requests", pod("c", func(p *corev1.Pod) { p.Spec.Containers = containers("250m") }), false},
		{"equal requests, another list", pod("d", func(p *corev1.Pod) { p.Spec.Containers = containers("100m") }), false},
		{"another array, the same list", pod("d2", func(p *corev1.Pod) {
			p.Spec.Containers = []corev1.Container{{Name: "other", Resources: corev1.ResourceRequirements{Requests: shared[0].Resources.Requests}}}
		}), true},
		{"no requests", pod("d3", func(p *corev1.Pod) { p.Spec.Containers = []corev1.Container{{Name: "app"}} }), false},
		{"priority", pod("e", func(p *corev1.Pod) { p.Spec.Priority = &prio }), false},
		{"overhead", pod("f", func(p *corev1.Pod) {
			p.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")}
		}), false},
		{"init containers", pod("g", func(p *corev1.Pod) { p.Spec.InitContainers = containers("1") }), false},
		{"resized", pod("h", func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", AllocatedResources: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}}
		}), false},
		{"host port", pod("i", func(p *corev1.Pod) {
			p.Spec.Containers = []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{HostPort: 80, ContainerPort: 80}}}}
		}), false},
		{"pod anti-affinity", pod("j", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}, TopologyKey: corev1.LabelHostname}}}}
		}), false},
		{"other namespace", pod("k", func(p *corev1.Pod) { p.Namespace = "other" }), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, want := Derive(last, tc.pod), NewPodInfo(tc.pod)
			require.Same(t, tc.pod, got.Pod)
			require.Equal(t, want, got)
			require.Equal(t, tc.copied, sameDerivation(last.Pod, tc.pod))
			// A PodInfo with ports or affinity is never copied, so that
			// no two share what Update writes in place.
			again := Derive(got, pod("z", func(p *corev1.Pod) { p.Spec = tc.pod.Spec; p.Namespace = tc.pod.Namespace }))
			require.Equal(t, NewPodInfo(again.Pod), again)
			if len(got.Ports) > 0 && len(again.Ports) > 0 {
				require.NotSame(t, &got.Ports[0], &again.Ports[0])
			}
		})
	}
}
