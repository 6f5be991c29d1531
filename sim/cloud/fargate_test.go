package cloud

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func fargatePod(cpu, mem string, initCPU, initMem string) *corev1.Pod {
	rl := func(c, m string) corev1.ResourceList {
		l := corev1.ResourceList{}
		if c != "" {
			l[corev1.ResourceCPU] = resource.MustParse(c)
		}
		if m != "" {
			l[corev1.ResourceMemory] = resource.MustParse(m)
		}
		return l
	}
	p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Resources: corev1.ResourceRequirements{Requests: rl(cpu, mem)}}}}}
	if initCPU != "" || initMem != "" {
		p.Spec.InitContainers = []corev1.Container{{Name: "i", Resources: corev1.ResourceRequirements{Requests: rl(initCPU, initMem)}}}
	}
	return p
}

// TestFargatePodSize pins the EKS user guide's rounding: the larger of the
// init and long-running requests, plus 256 MiB, rounded up to the smallest
// vCPU/memory combination that holds both.
func TestFargatePodSize(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		cpu, mem, initCPU, initMem string
		want                       string
	}{
		{"no requests: the smallest size", "", "", "", "", "0.25vCPU 0.5GB"},
		{"256Mi + 256Mi fits 0.5GB", "100m", "256Mi", "", "", "0.25vCPU 0.5GB"},
		{"257Mi + 256Mi needs 1GB", "100m", "257Mi", "", "", "0.25vCPU 1GB"},
		{"memory beyond 0.25 vCPU's 2GB moves up a vCPU step", "250m", "2Gi", "", "", "0.5vCPU 3GB"},
		{"cpu just over 0.25", "251m", "100Mi", "", "", "0.5vCPU 1GB"},
		{"1 vCPU starts at 2GB", "1", "512Mi", "", "", "1vCPU 2GB"},
		{"init container larger than the app", "250m", "256Mi", "2", "1Gi", "2vCPU 4GB"},
		{"8 vCPU memory in 4GB steps", "8", "17Gi", "", "", "8vCPU 20GB"},
		{"16 vCPU memory in 8GB steps", "16", "33Gi", "", "", "16vCPU 40GB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := FargatePodSize(fargatePod(tc.cpu, tc.mem, tc.initCPU, tc.initMem))
			require.NoError(t, err)
			require.Equal(t, tc.want, s.String())
		})
	}
	_, err := FargatePodSize(fargatePod("17", "1Gi", "", ""))
	require.ErrorContains(t, err, "exceed Fargate's largest size")
	_, err = FargatePodSize(fargatePod("1", "120Gi", "", ""))
	require.ErrorContains(t, err, "exceed Fargate's largest size", "120Gi plus the 256Mi overhead is over 120 GB")
}

func TestFargatePrice(t *testing.T) {
	p, err := FargatePrice("us-east-1", FargateSize{MilliCPU: 250, MemoryMi: 512})
	require.NoError(t, err)
	require.InDelta(t, 0.25*0.04048+0.5*0.004445, p, 1e-12)
	p, err = FargatePrice("us-east-1", FargateSize{MilliCPU: 1000, MemoryMi: 2048})
	require.NoError(t, err)
	require.InDelta(t, 0.04937, p, 1e-9)
	_, err = FargatePrice("ap-south-1", FargateSize{MilliCPU: 250, MemoryMi: 512})
	require.Error(t, err)
}
