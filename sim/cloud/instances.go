// Package cloud models the EC2/EKS side of the cluster: the catalogue of
// instance types with the capacity, allocatable resources and pod density
// an EKS node of each type really reports, their prices, the EC2 capacity
// model (launch delays, insufficient capacity) and the Node object a
// kubelet on such a machine registers.
package cloud

import (
	"math"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/internal/textdist"
)

// InstanceType is one EC2 instance type as EKS sees it.
type InstanceType struct {
	Name      string
	VCPU      int
	MemoryMiB int64 // nominal (DescribeInstanceTypes MemoryInfo.SizeInMiB)
	ENIs      int   // network interfaces the type supports
	IPsPerENI int   // IPv4 addresses per interface (VPC CNI secondary IPs + primary)
	// VMOverheadMiB is the measured memory the hypervisor, firmware and
	// kernel keep (what the kubelet's capacity lacks of the nominal size);
	// -1 when no measurement exists and the 7.5% default applies.
	VMOverheadMiB int64
	Arch          string  // kubernetes.io/arch: amd64 or arm64
	GPUs          int     // nvidia.com/gpu
	PricePerHour  float64 // on-demand USD, us-east-1 (see Price for other regions and spot)
}

// Family is the part of the name before the dot ("m5" of "m5.large").
func (t InstanceType) Family() string { f, _, _ := strings.Cut(t.Name, "."); return f }

// Size is the part of the name after the dot ("large").
func (t InstanceType) Size() string { _, s, _ := strings.Cut(t.Name, "."); return s }

// Category is the family's letter (karpenter.k8s.aws/instance-category):
// c compute, m general purpose, r memory, t burstable, g GPU.
func (t InstanceType) Category() string { return t.Family()[:1] }

// Generation is the family's number (karpenter.k8s.aws/instance-generation).
func (t InstanceType) Generation() string {
	f := t.Family()
	i := 1
	for i < len(f) && f[i] >= '0' && f[i] <= '9' {
		i++
	}
	return f[1:i]
}

// Defaults of the EKS AMI's kubelet configuration (amazon-eks-ami nodeadm)
// and of Karpenter's node overhead model, which reproduce the allocatable
// values EKS nodes report.
const (
	// VMMemoryOverheadPercent is Karpenter's vmMemoryOverheadPercent
	// default: the share of the nominal memory assumed lost to the VM
	// when a type has no measured overhead (VMOverheadMiB -1).
	VMMemoryOverheadPercent = 0.075
	// EvictionHardMemoryMiB is evictionHard memory.available (100Mi).
	EvictionHardMemoryMiB = 100
	// DefaultDiskGiB is the root volume size of an EKS managed node group.
	DefaultDiskGiB = 20
	// EphemeralReservedGiB is the kube-reserved ephemeral storage.
	EphemeralReservedGiB = 1
	// EvictionHardNodefsPercent is evictionHard nodefs.available (10%).
	EvictionHardNodefsPercent = 10
)

// catalogue is the instance types we know, by name.
//
// Sources, so that every number can be checked (catalogue_test.go does):
//   - vCPU and nominal memory: EC2 DescribeInstanceTypes (the instance
//     type pages of the EC2 user guide).
//   - ENIs and IPv4 addresses per ENI: aws/karpenter-provider-aws
//     pkg/providers/instancetype/zz_generated.vpclimits.go (commit
//     7f27b4e85, generated 2026-08-06), the same numbers as the
//     amazon-eks-ami eni-max-pods.txt table via ENIs*(IPs-1)+2.
//   - VM memory overhead: measured per type by Karpenter,
//     aws/karpenter-provider-aws commit 33450d8f8 (2023-09-03)
//     pkg/providers/instancetype/zz_generated.memory_overhead.go
//     (MemoryOverheadMebibytes: nominal MiB less what the kubelet reports,
//     measured on Bottlerocket, the AMI family with the largest overhead).
//     c7i was not measured there: it takes the 7.5% default.
//   - On-demand price: aws/karpenter-provider-aws
//     pkg/providers/pricing/zz_generated.pricing_aws.go (commit 6fc13b523,
//     generated 2026-07-20 for us-east-1, Linux on-demand USD per hour).
var catalogue = map[string]InstanceType{}

func init() {
	for _, t := range []InstanceType{
		{"m5.large", 2, 8192, 3, 10, 559, "amd64", 0, 0.096},
		{"m5.xlarge", 4, 16384, 4, 15, 868, "amd64", 0, 0.192},
		{"m5.2xlarge", 8, 32768, 4, 15, 1149, "amd64", 0, 0.384},
		{"m5.4xlarge", 16, 65536, 8, 30, 2718, "amd64", 0, 0.768},
		{"m5.8xlarge", 32, 131072, 8, 30, 3746, "amd64", 0, 1.536},
		{"m6i.large", 2, 8192, 3, 10, 405, "amd64", 0, 0.096},
		{"m6i.xlarge", 4, 16384, 4, 15, 672, "amd64", 0, 0.192},
		{"m6i.2xlarge", 8, 32768, 4, 15, 1205, "amd64", 0, 0.384},
		{"m6i.4xlarge", 16, 65536, 8, 30, 2270, "amd64", 0, 0.768},
		{"m7i.large", 2, 8192, 3, 10, 421, "amd64", 0, 0.1008},
		{"m7i.xlarge", 4, 16384, 4, 15, 688, "amd64", 0, 0.2016},
		{"m7i.2xlarge", 8, 32768, 4, 15, 1221, "amd64", 0, 0.4032},
		{"m7i.4xlarge", 16, 65536, 8, 30, 2286, "amd64", 0, 0.8064},
		{"m6g.medium", 1, 4096, 2, 4, 296, "arm64", 0, 0.0385},
		{"m6g.large", 2, 8192, 3, 10, 452, "arm64", 0, 0.077},
		{"m6g.xlarge", 4, 16384, 4, 15, 766, "arm64", 0, 0.154},
		{"m6g.2xlarge", 8, 32768, 4, 15, 1392, "arm64", 0, 0.308},
		{"m7g.medium", 1, 4096, 2, 4, 280, "arm64", 0, 0.0408},
		{"m7g.large", 2, 8192, 3, 10, 420, "arm64", 0, 0.0816},
		{"m7g.xlarge", 4, 16384, 4, 15, 702, "arm64", 0, 0.1632},
		{"m7g.2xlarge", 8, 32768, 4, 15, 1266, "arm64", 0, 0.3264},
		{"c5.large", 2, 4096, 3, 10, 405, "amd64", 0, 0.085},
		{"c5.xlarge", 4, 8192, 4, 15, 560, "amd64", 0, 0.17},
		{"c5.2xlarge", 8, 16384, 4, 15, 869, "amd64", 0, 0.34},
		{"c5.4xlarge", 16, 32768, 8, 30, 1710, "amd64", 0, 0.68},
		{"c6i.large", 2, 4096, 3, 10, 273, "amd64", 0, 0.085},
		{"c6i.xlarge", 4, 8192, 4, 15, 406, "amd64", 0, 0.17},
		{"c6i.2xlarge", 8, 16384, 4, 15, 673, "amd64", 0, 0.34},
		{"c6i.4xlarge", 16, 32768, 8, 30, 1206, "amd64", 0, 0.68},
		{"c7i.large", 2, 4096, 3, 10, -1, "amd64", 0, 0.08925},
		{"c7i.xlarge", 4, 8192, 4, 15, -1, "amd64", 0, 0.1785},
		{"c7i.2xlarge", 8, 16384, 4, 15, -1, "amd64", 0, 0.357},
		{"c7i.4xlarge", 16, 32768, 8, 30, -1, "amd64", 0, 0.714},
		{"c7g.medium", 1, 2048, 2, 4, 209, "arm64", 0, 0.0363},
		{"c7g.large", 2, 4096, 3, 10, 280, "arm64", 0, 0.0725},
		{"c7g.xlarge", 4, 8192, 4, 15, 420, "arm64", 0, 0.145},
		{"c7g.2xlarge", 8, 16384, 4, 15, 702, "arm64", 0, 0.29},
		{"r5.large", 2, 16384, 3, 10, 699, "amd64", 0, 0.126},
		{"r5.xlarge", 4, 32768, 4, 15, 1148, "amd64", 0, 0.252},
		{"r5.2xlarge", 8, 65536, 4, 15, 2045, "amd64", 0, 0.504},
		{"r5.4xlarge", 16, 131072, 8, 30, 3742, "amd64", 0, 1.008},
		{"r6i.large", 2, 16384, 3, 10, 671, "amd64", 0, 0.126},
		{"r6i.xlarge", 4, 32768, 4, 15, 1204, "amd64", 0, 0.252},
		{"r6i.2xlarge", 8, 65536, 4, 15, 2269, "amd64", 0, 0.504},
		{"r7g.medium", 1, 8192, 2, 4, 420, "arm64", 0, 0.0536},
		{"r7g.large", 2, 16384, 3, 10, 702, "arm64", 0, 0.1071},
		{"r7g.xlarge", 4, 32768, 4, 15, 1266, "arm64", 0, 0.2142},
		{"r7g.2xlarge", 8, 65536, 4, 15, 2393, "arm64", 0, 0.4284},
		{"t3.medium", 2, 4096, 3, 6, 253, "amd64", 0, 0.0416},
		{"t3.large", 2, 8192, 3, 12, 365, "amd64", 0, 0.0832},
		{"t3.xlarge", 4, 16384, 4, 15, 590, "amd64", 0, 0.1664},
		{"t3.2xlarge", 8, 32768, 4, 15, 1039, "amd64", 0, 0.3328},
		{"t4g.medium", 2, 4096, 3, 6, 256, "arm64", 0, 0.0336},
		{"t4g.large", 2, 8192, 3, 12, 374, "arm64", 0, 0.0672},
		{"t4g.xlarge", 4, 16384, 4, 15, 608, "arm64", 0, 0.1344},
		{"t4g.2xlarge", 8, 32768, 4, 15, 1078, "arm64", 0, 0.2688},
		{"g4dn.xlarge", 4, 16384, 3, 10, 700, "amd64", 1, 0.526},
		{"g5.xlarge", 4, 16384, 4, 15, 590, "amd64", 1, 1.006},
	} {
		catalogue[t.Name] = t
	}
}

// Lookup returns the instance type called name.
func Lookup(name string) (InstanceType, bool) {
	t, ok := catalogue[name]
	return t, ok
}

// Names lists the known instance types, sorted.
func Names() []string {
	out := make([]string, 0, len(catalogue))
	for n := range catalogue {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// MaxPods is the VPC CNI pod density: every ENI's secondary IPs (all but
// its primary) plus the two host-network pods (aws-node, kube-proxy).
func (t InstanceType) MaxPods() int { return t.ENIs*(t.IPsPerENI-1) + 2 }

// KubeReservedMilliCPU is the EKS AMI's CPU reservation: 6% of the first
// core, 1% of the second, 0.5% of cores 3 and 4, 0.25% of every further one.
func KubeReservedMilliCPU(vcpu int) int64 {
	var m float64
	for core := 1; core <= vcpu; core++ {
		switch {
		case core == 1:
			m += 60
		case core == 2:
			m += 10
		case core <= 4:
			m += 5
		default:
			m += 2.5
		}
	}
	return int64(m)
}

// KubeReservedMemoryMiB is the EKS AMI's memory reservation for a pod
// density: 11 MiB per pod plus 255 MiB.
func KubeReservedMemoryMiB(maxPods int) int64 { return 11*int64(maxPods) + 255 }

// MemoryOverheadMiB is the VM overhead: measured where Karpenter measured
// the type, else the 7.5% default rounded up to whole MiB.
func (t InstanceType) MemoryOverheadMiB() int64 {
	if t.VMOverheadMiB >= 0 {
		return t.VMOverheadMiB
	}
	return int64(math.Ceil(float64(t.MemoryMiB) * VMMemoryOverheadPercent))
}

// CapacityMemoryMiB is the memory the kubelet sees: the nominal size less
// the VM overhead.
func (t InstanceType) CapacityMemoryMiB() int64 { return t.MemoryMiB - t.MemoryOverheadMiB() }

// Capacity is the node's status.capacity.
func (t InstanceType) Capacity() corev1.ResourceList {
	l := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(int64(t.VCPU), resource.DecimalSI),
		corev1.ResourceMemory:           mi(t.CapacityMemoryMiB()),
		corev1.ResourcePods:             *resource.NewQuantity(int64(t.MaxPods()), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: gi(DefaultDiskGiB),
	}
	if t.GPUs > 0 {
		l[ResourceGPU] = *resource.NewQuantity(int64(t.GPUs), resource.DecimalSI)
	}
	return l
}

// ResourceGPU is the NVIDIA device plugin's extended resource.
const ResourceGPU corev1.ResourceName = "nvidia.com/gpu"

// Allocatable is the node's status.allocatable: capacity less
// kube-reserved and the hard eviction thresholds.
func (t InstanceType) Allocatable() corev1.ResourceList {
	cpu := int64(t.VCPU)*1000 - KubeReservedMilliCPU(t.VCPU)
	mem := t.CapacityMemoryMiB() - KubeReservedMemoryMiB(t.MaxPods()) - EvictionHardMemoryMiB
	l := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewMilliQuantity(cpu, resource.DecimalSI),
		corev1.ResourceMemory:           mi(mem),
		corev1.ResourcePods:             *resource.NewQuantity(int64(t.MaxPods()), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: EphemeralAllocatable(DefaultDiskGiB),
	}
	if t.GPUs > 0 {
		l[ResourceGPU] = *resource.NewQuantity(int64(t.GPUs), resource.DecimalSI)
	}
	return l
}

// EphemeralAllocatable is the allocatable ephemeral storage of a root disk
// of diskGiB: less the kube-reserved 1Gi and the 10% nodefs eviction
// threshold.
func EphemeralAllocatable(diskGiB int64) resource.Quantity {
	b := diskGiB<<30 - EphemeralReservedGiB<<30 - (diskGiB<<30)*EvictionHardNodefsPercent/100
	return *resource.NewQuantity(b, resource.BinarySI)
}

// SetDisk sets the ephemeral storage of a machine's capacity and
// allocatable to a root volume of diskGiB (0: leave the default).
func SetDisk(capacity, allocatable corev1.ResourceList, diskGiB int64) {
	if diskGiB <= 0 {
		return
	}
	capacity[corev1.ResourceEphemeralStorage] = gi(diskGiB)
	allocatable[corev1.ResourceEphemeralStorage] = EphemeralAllocatable(diskGiB)
}

func mi(n int64) resource.Quantity { return *resource.NewQuantity(n<<20, resource.BinarySI) }
func gi(n int64) resource.Quantity { return *resource.NewQuantity(n<<30, resource.BinarySI) }

// Suggest returns the known instance type closest to name (edit distance),
// for "did you mean" errors; "" when nothing is reasonably close.
func Suggest(name string) string {
	best, bestD := "", math.MaxInt
	for _, n := range Names() {
		if d := textdist.Levenshtein(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	if bestD > max(4, len(name)/2) {
		return ""
	}
	return best
}
