package cloud

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim/podutil"
)

// Fargate on EKS: a pod that a Fargate profile selects runs alone on a
// micro-VM sized from its requests, and is billed per vCPU-hour and
// GB-hour of that size. Facts from the Amazon EKS user guide ("Fargate
// Pod configuration") and the AWS Fargate pricing page (Linux/x86).
const (
	// FargateSchedulerName is the scheduler EKS's Fargate admission webhook
	// assigns to a pod a profile selects.
	FargateSchedulerName = "fargate-scheduler"
	// FargateCapacityType is the capacity type Fargate machines are
	// metered under (in the cost report beside ON_DEMAND and SPOT).
	FargateCapacityType = "FARGATE"
	// FargateInstanceType is the "instance type" of a Fargate machine in
	// the cost report.
	FargateInstanceType = "fargate"
	// LabelComputeType and LabelFargateProfile are on Fargate nodes (and
	// the profile label on their pods).
	LabelComputeType    = "eks.amazonaws.com/compute-type"
	LabelFargateProfile = "eks.amazonaws.com/fargate-profile"
	// AnnotationCapacityProvisioned is the size Fargate gave the pod,
	// e.g. "0.25vCPU 0.5GB".
	AnnotationCapacityProvisioned = "CapacityProvisioned"
	// FargateMemoryOverhead is what Fargate adds to every pod's memory for
	// the kubelet, kube-proxy and containerd.
	FargateMemoryOverhead = 256 << 20
)

// FargateProfile selects the pods that run on Fargate (a scenario's
// cluster.fargate.profiles): a pod matches when it is in a selector's
// namespace and carries all of its labels.
type FargateProfile struct {
	Name      string
	Selectors []FargateSelector
}

// FargateSelector is one namespace and optional labels of a profile.
type FargateSelector struct {
	Namespace string
	Labels    map[string]string
}

// Matches reports whether pod is selected by the profile.
func (p FargateProfile) Matches(pod *corev1.Pod) bool {
	for _, s := range p.Selectors {
		if s.Namespace == pod.Namespace && labels.SelectorFromSet(s.Labels).Matches(labels.Set(pod.Labels)) {
			return true
		}
	}
	return false
}

// FargateSize is one of Fargate's vCPU and memory combinations.
type FargateSize struct {
	MilliCPU int64
	MemoryMi int64
}

// String is the CapacityProvisioned form: "0.25vCPU 0.5GB".
func (s FargateSize) String() string {
	return strconv.FormatFloat(float64(s.MilliCPU)/1000, 'f', -1, 64) + "vCPU " +
		strconv.FormatFloat(float64(s.MemoryMi)/1024, 'f', -1, 64) + "GB"
}

// fargateSizes are Fargate's combinations in increasing order: per vCPU
// value its smallest and largest memory and the step between them.
var fargateSizes = []struct{ milli, minGi, maxGi, stepGi float64 }{
	{250, 0.5, 2, 0}, // 0.5, 1, 2 GB (listed below)
	{500, 1, 4, 1},
	{1000, 2, 8, 1},
	{2000, 4, 16, 1},
	{4000, 8, 30, 1},
	{8000, 16, 60, 4},
	{16000, 32, 120, 8},
}

func fargateMemories(i int) []float64 {
	r := fargateSizes[i]
	if r.stepGi == 0 {
		return []float64{0.5, 1, 2}
	}
	var out []float64
	for g := r.minGi; g <= r.maxGi; g += r.stepGi {
		out = append(out, g)
	}
	return out
}

// FargatePodSize is the combination Fargate provisions for pod: the larger
// of the largest init container's requests and the sum of the long-running
// containers' (PodRequests), plus 256 MiB of memory, rounded up to the
// smallest combination that holds both. It fails when the pod needs more
// than the largest combination (16 vCPU, 120 GB).
func FargatePodSize(pod *corev1.Pod) (FargateSize, error) {
	req := podutil.PodRequests(pod)
	mem := req.Memory + FargateMemoryOverhead
	for i, r := range fargateSizes {
		if float64(req.MilliCPU) > r.milli {
			continue
		}
		for _, g := range fargateMemories(i) {
			if float64(mem) <= g*(1<<30) {
				return FargateSize{MilliCPU: int64(r.milli), MemoryMi: int64(g * 1024)}, nil
			}
		}
	}
	return FargateSize{}, fmt.Errorf("requests of %dm CPU and %dMi memory (with Fargate's 256Mi) exceed Fargate's largest size, 16 vCPU and 120 GB",
		req.MilliCPU, mem>>20)
}

// fargatePrices are USD per vCPU-hour and per GB-hour of Fargate
// Linux/x86 by region (the AWS Fargate pricing page).
var fargatePrices = map[string][2]float64{
	"us-east-1":    {0.04048, 0.004445},
	"us-east-2":    {0.04048, 0.004445},
	"us-west-2":    {0.04048, 0.004445},
	"eu-west-1":    {0.04456, 0.004865},
	"eu-central-1": {0.04656, 0.00511},
}

// FargatePrice is the USD per hour of a Fargate pod of size s in region.
func FargatePrice(region string, s FargateSize) (float64, error) {
	p, ok := fargatePrices[region]
	if !ok {
		return 0, fmt.Errorf("no Fargate prices for region %q", region)
	}
	return float64(s.MilliCPU)/1000*p[0] + float64(s.MemoryMi)/1024*p[1], nil
}

// Resources are the capacity of a Fargate machine of this size: one pod.
func (s FargateSize) Resources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(s.MilliCPU, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(s.MemoryMi<<20, resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(1, resource.DecimalSI),
	}
}
