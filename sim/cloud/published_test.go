package cloud

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// published is every catalogue type as AWS publishes it, written out
// independently of the catalogue:
//   - vCPU, memory (GiB), GPUs: the EC2 instance type specifications
//     (docs.aws.amazon.com/ec2/latest/instancetypes, "general purpose",
//     "compute optimized", "memory optimized", "accelerated computing").
//   - price: EC2 On-Demand, Linux, us-east-1, USD per hour
//     (aws.amazon.com/ec2/pricing/on-demand; the same figures as
//     aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go).
//   - VM memory overhead: publishedOverheadMiB below.
//   - max pods: amazon-eks-ami templates/shared/runtime/eni-max-pods.txt.
var published = map[string]struct {
	vcpu  int
	gib   int64
	gpus  int
	price float64
	// maxPods is the pod density without prefix delegation.
	maxPods int
}{
	"m5.large": {2, 8, 0, 0.096, 29}, "m5.xlarge": {4, 16, 0, 0.192, 58}, "m5.2xlarge": {8, 32, 0, 0.384, 58},
	"m5.4xlarge": {16, 64, 0, 0.768, 234}, "m5.8xlarge": {32, 128, 0, 1.536, 234},
	"m6i.large": {2, 8, 0, 0.096, 29}, "m6i.xlarge": {4, 16, 0, 0.192, 58}, "m6i.2xlarge": {8, 32, 0, 0.384, 58}, "m6i.4xlarge": {16, 64, 0, 0.768, 234},
	"m7i.large": {2, 8, 0, 0.1008, 29}, "m7i.xlarge": {4, 16, 0, 0.2016, 58}, "m7i.2xlarge": {8, 32, 0, 0.4032, 58}, "m7i.4xlarge": {16, 64, 0, 0.8064, 234},
	"m6g.medium": {1, 4, 0, 0.0385, 8}, "m6g.large": {2, 8, 0, 0.077, 29}, "m6g.xlarge": {4, 16, 0, 0.154, 58}, "m6g.2xlarge": {8, 32, 0, 0.308, 58},
	"m7g.medium": {1, 4, 0, 0.0408, 8}, "m7g.large": {2, 8, 0, 0.0816, 29}, "m7g.xlarge": {4, 16, 0, 0.1632, 58}, "m7g.2xlarge": {8, 32, 0, 0.3264, 58},
	"c5.large": {2, 4, 0, 0.085, 29}, "c5.xlarge": {4, 8, 0, 0.17, 58}, "c5.2xlarge": {8, 16, 0, 0.34, 58}, "c5.4xlarge": {16, 32, 0, 0.68, 234},
	"c6i.large": {2, 4, 0, 0.085, 29}, "c6i.xlarge": {4, 8, 0, 0.17, 58}, "c6i.2xlarge": {8, 16, 0, 0.34, 58}, "c6i.4xlarge": {16, 32, 0, 0.68, 234},
	"c7i.large": {2, 4, 0, 0.08925, 29}, "c7i.xlarge": {4, 8, 0, 0.1785, 58}, "c7i.2xlarge": {8, 16, 0, 0.357, 58}, "c7i.4xlarge": {16, 32, 0, 0.714, 234},
	"c7g.medium": {1, 2, 0, 0.0363, 8}, "c7g.large": {2, 4, 0, 0.0725, 29}, "c7g.xlarge": {4, 8, 0, 0.145, 58}, "c7g.2xlarge": {8, 16, 0, 0.29, 58},
	"r5.large": {2, 16, 0, 0.126, 29}, "r5.xlarge": {4, 32, 0, 0.252, 58}, "r5.2xlarge": {8, 64, 0, 0.504, 58}, "r5.4xlarge": {16, 128, 0, 1.008, 234},
	"r6i.large": {2, 16, 0, 0.126, 29}, "r6i.xlarge": {4, 32, 0, 0.252, 58}, "r6i.2xlarge": {8, 64, 0, 0.504, 58},
	"r7g.medium": {1, 8, 0, 0.0536, 8}, "r7g.large": {2, 16, 0, 0.1071, 29}, "r7g.xlarge": {4, 32, 0, 0.2142, 58}, "r7g.2xlarge": {8, 64, 0, 0.4284, 58},
	"t3.medium": {2, 4, 0, 0.0416, 17}, "t3.large": {2, 8, 0, 0.0832, 35}, "t3.xlarge": {4, 16, 0, 0.1664, 58}, "t3.2xlarge": {8, 32, 0, 0.3328, 58},
	"t4g.medium": {2, 4, 0, 0.0336, 17}, "t4g.large": {2, 8, 0, 0.0672, 35}, "t4g.xlarge": {4, 16, 0, 0.1344, 58}, "t4g.2xlarge": {8, 32, 0, 0.2688, 58},
	"g4dn.xlarge": {4, 16, 1, 0.526, 29}, "g5.xlarge": {4, 16, 1, 1.006, 58},
}

// publishedOverheadMiB is the VM memory overhead Karpenter measured per
// type (nominal memory less what the kubelet reports), copied from
// aws/karpenter-provider-aws commit 33450d8f82ded870ce65fbde3cec14dbb2c04f50
// pkg/providers/instancetype/zz_generated.memory_overhead.go
// (MemoryOverheadMebibytes). c7i is absent there: those types take
// Karpenter's vmMemoryOverheadPercent default, 7.5% rounded up.
var publishedOverheadMiB = map[string]int64{
	"m5.large": 559, "m5.xlarge": 868, "m5.2xlarge": 1149, "m5.4xlarge": 2718, "m5.8xlarge": 3746,
	"m6i.large": 405, "m6i.xlarge": 672, "m6i.2xlarge": 1205, "m6i.4xlarge": 2270,
	"m7i.large": 421, "m7i.xlarge": 688, "m7i.2xlarge": 1221, "m7i.4xlarge": 2286,
	"m6g.medium": 296, "m6g.large": 452, "m6g.xlarge": 766, "m6g.2xlarge": 1392,
	"m7g.medium": 280, "m7g.large": 420, "m7g.xlarge": 702, "m7g.2xlarge": 1266,
	"c5.large": 405, "c5.xlarge": 560, "c5.2xlarge": 869, "c5.4xlarge": 1710,
	"c6i.large": 273, "c6i.xlarge": 406, "c6i.2xlarge": 673, "c6i.4xlarge": 1206,
	"c7g.medium": 209, "c7g.large": 280, "c7g.xlarge": 420, "c7g.2xlarge": 702,
	"r5.large": 699, "r5.xlarge": 1148, "r5.2xlarge": 2045, "r5.4xlarge": 3742,
	"r6i.large": 671, "r6i.xlarge": 1204, "r6i.2xlarge": 2269,
	"r7g.medium": 420, "r7g.large": 702, "r7g.xlarge": 1266, "r7g.2xlarge": 2393,
	"t3.medium": 253, "t3.large": 365, "t3.xlarge": 590, "t3.2xlarge": 1039,
	"t4g.medium": 256, "t4g.large": 374, "t4g.xlarge": 608, "t4g.2xlarge": 1078,
	"g4dn.xlarge": 700, "g5.xlarge": 590,
}

// eksReservedMilliCPU is the EKS AMI's kube-reserved CPU, in millicores,
// for each vCPU count of the catalogue, as its documentation's ladder
// gives it (amazon-eks-ami nodeadm, after GKE's): 6% of the first core,
// 1% of the second, 0.5% of the third and fourth, 0.25% of every core
// above four.
var eksReservedMilliCPU = map[int]int64{1: 60, 2: 70, 4: 80, 8: 90, 16: 110, 32: 150}

// TestCatalogueAgainstPublishedSizes checks every catalogue type's size,
// price and pod density against the published data above, and its
// allocatable CPU and memory against the EKS AMI formulas: CPU is the
// vCPUs less kube-reserved; memory is what the kubelet sees (nominal less
// the measured VM overhead) less kube-reserved (11 MiB per pod + 255 MiB)
// less the 100 MiB hard eviction threshold.
func TestCatalogueAgainstPublishedSizes(t *testing.T) {
	require.Len(t, Names(), len(published), "every catalogue type has a published row, and no more")
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			p, ok := published[name]
			require.True(t, ok, "no published row")
			it, _ := Lookup(name)
			require.Equal(t, p.vcpu, it.VCPU)
			require.Equal(t, p.gib*1024, it.MemoryMiB)
			require.Equal(t, p.gpus, it.GPUs)
			require.Equal(t, p.price, it.PricePerHour)
			require.Equal(t, p.maxPods, it.MaxPods())

			// The VM overhead is Karpenter's measurement, or the 7.5%
			// default rounded up where none exists.
			ov, measured := publishedOverheadMiB[name]
			if !measured {
				ov = int64(math.Ceil(float64(p.gib*1024) * 0.075))
			}
			require.Equal(t, ov, it.MemoryOverheadMiB())

			a := it.Allocatable()
			reserved, ok := eksReservedMilliCPU[p.vcpu]
			require.True(t, ok, "no documented reservation for %d vCPUs", p.vcpu)
			wantCPU := int64(p.vcpu)*1000 - reserved
			require.Equal(t, wantCPU, a.Cpu().MilliValue())
			wantMem := p.gib*1024 - ov - (11*int64(p.maxPods) + 255) - 100
			requireQty(t, fmt.Sprintf("%dMi", wantMem), a[corev1.ResourceMemory])
			require.Equal(t, int64(p.maxPods), a.Pods().Value())
			if p.gpus > 0 {
				require.Equal(t, int64(p.gpus), a.Name(ResourceGPU, "").Value())
			}
		})
	}
}

// TestCatalogueCoversEniMaxPods checks every type's ENI formula against the
// published table, and that the catalogue covers the families issue 11
// asks for.
func TestCatalogueCoversEniMaxPods(t *testing.T) {
	require.ElementsMatch(t, Names(), slices.Collect(maps.Keys(published)))
	require.GreaterOrEqual(t, len(Names()), 40)
	for _, n := range Names() {
		it, _ := Lookup(n)
		require.Equal(t, published[n].maxPods, it.MaxPods(), n)
		require.Equal(t, published[n].maxPods, it.ENIs*(it.IPsPerENI-1)+2, n)
	}
}
