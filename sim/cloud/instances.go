// Package cloud models the EC2/EKS side of the cluster: the catalogue of
// instance types with the capacity, allocatable resources and pod density
// an EKS node of each type really reports, and the Node object a kubelet on
// such a machine registers.
package cloud

import (
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/internal/textdist"
)

// InstanceType is one EC2 instance type as EKS sees it.
type InstanceType struct {
	Name         string
	VCPU         int
	MemoryMiB    int64
	ENIs         int     // network interfaces the type supports
	IPsPerENI    int     // IPv4 addresses per interface (VPC CNI secondary IPs + primary)
	PricePerHour float64 // on-demand USD, us-east-1
}

// Defaults of the EKS AMI's kubelet configuration (amazon-eks-ami nodeadm)
// and of Karpenter's node overhead model, which reproduce the allocatable
// values EKS nodes report.
const (
	// VMMemoryOverheadPercent is the share of the nominal instance memory
	// the hypervisor, firmware and kernel keep: the kubelet's capacity is
	// what is left (Karpenter's vmMemoryOverheadPercent default).
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

// catalogue is the instance types we know, by name. Values: EC2 instance
// specs, the VPC CNI's ENI limits and on-demand prices in us-east-1.
var catalogue = map[string]InstanceType{}

func init() {
	for _, t := range []InstanceType{
		{"t3.medium", 2, 4096, 3, 6, 0.0416},
		{"t3.large", 2, 8192, 3, 12, 0.0832},
		{"m5.large", 2, 8192, 3, 10, 0.096},
		{"m5.xlarge", 4, 16384, 4, 15, 0.192},
		{"m5.2xlarge", 8, 32768, 4, 15, 0.384},
		{"m5.4xlarge", 16, 65536, 8, 30, 0.768},
		{"c5.large", 2, 4096, 3, 10, 0.085},
		{"c5.xlarge", 4, 8192, 4, 15, 0.170},
		{"c5.2xlarge", 8, 16384, 4, 15, 0.340},
		{"r5.large", 2, 16384, 3, 10, 0.126},
		{"r5.xlarge", 4, 32768, 4, 15, 0.252},
		{"r5.2xlarge", 8, 65536, 4, 15, 0.504},
		{"m6i.large", 2, 8192, 3, 10, 0.096},
		{"m7i.large", 2, 8192, 3, 10, 0.1008},
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

// CapacityMemoryMiB is the memory the kubelet sees: the nominal size less
// the VM overhead, rounded up to whole MiB as Karpenter does.
func (t InstanceType) CapacityMemoryMiB() int64 {
	overhead := int64(math.Ceil(float64(t.MemoryMiB) * VMMemoryOverheadPercent))
	return t.MemoryMiB - overhead
}

// Capacity is the node's status.capacity.
func (t InstanceType) Capacity() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(int64(t.VCPU), resource.DecimalSI),
		corev1.ResourceMemory:           mi(t.CapacityMemoryMiB()),
		corev1.ResourcePods:             *resource.NewQuantity(int64(t.MaxPods()), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: gi(DefaultDiskGiB),
	}
}

// Allocatable is the node's status.allocatable: capacity less
// kube-reserved and the hard eviction thresholds.
func (t InstanceType) Allocatable() corev1.ResourceList {
	cpu := int64(t.VCPU)*1000 - KubeReservedMilliCPU(t.VCPU)
	mem := t.CapacityMemoryMiB() - KubeReservedMemoryMiB(t.MaxPods()) - EvictionHardMemoryMiB
	return corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewMilliQuantity(cpu, resource.DecimalSI),
		corev1.ResourceMemory:           mi(mem),
		corev1.ResourcePods:             *resource.NewQuantity(int64(t.MaxPods()), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: EphemeralAllocatable(DefaultDiskGiB),
	}
}

// EphemeralAllocatable is the allocatable ephemeral storage of a root disk
// of diskGiB: less the kube-reserved 1Gi and the 10% nodefs eviction
// threshold.
func EphemeralAllocatable(diskGiB int64) resource.Quantity {
	b := diskGiB<<30 - EphemeralReservedGiB<<30 - (diskGiB<<30)*EvictionHardNodefsPercent/100
	return *resource.NewQuantity(b, resource.BinarySI)
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
