package cloud

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// catalogueRows are worked examples: nominal size from EC2, the measured
// VM overhead from Karpenter's zz_generated.memory_overhead.go, and the
// allocatable the EKS AMI's formulas give (cpu: vCPU less the kube-reserved
// ladder; memory: nominal - overhead - (11*maxPods+255) - 100 eviction).
var catalogueRows = []struct {
	name        string
	vcpu        int
	mib         int64
	overhead    int64
	maxPods     int
	cpu, memory string
	price       float64
	arch        string
}{
	{"m5.large", 2, 8192, 559, 29, "1930m", "6959Mi", 0.096, "amd64"},         // 8192-559-574-100
	{"m5.xlarge", 4, 16384, 868, 58, "3920m", "14523Mi", 0.192, "amd64"},      // 16384-868-893-100
	{"m5.4xlarge", 16, 65536, 2718, 234, "15890m", "59889Mi", 0.768, "amd64"}, // 65536-2718-2829-100
	{"c5.large", 2, 4096, 405, 29, "1930m", "3017Mi", 0.085, "amd64"},         // higher than 7.5%: 4096-405-574-100
	{"c7i.large", 2, 4096, 308, 29, "1930m", "3114Mi", 0.08925, "amd64"},      // not measured: ceil(7.5%)=308
	{"m6g.medium", 1, 4096, 296, 8, "940m", "3357Mi", 0.0385, "arm64"},        // 4096-296-343-100
	{"t3.medium", 2, 4096, 253, 17, "1930m", "3301Mi", 0.0416, "amd64"},       // 4096-253-442-100
	{"r5.large", 2, 16384, 699, 29, "1930m", "15011Mi", 0.126, "amd64"},       // 16384-699-574-100
	{"g5.xlarge", 4, 16384, 590, 58, "3920m", "14801Mi", 1.006, "amd64"},      // 16384-590-893-100
}

func TestCatalogueWorkedExamples(t *testing.T) {
	for _, row := range catalogueRows {
		t.Run(row.name, func(t *testing.T) {
			it, ok := Lookup(row.name)
			require.True(t, ok)
			require.Equal(t, row.vcpu, it.VCPU)
			require.Equal(t, row.mib, it.MemoryMiB)
			require.Equal(t, row.overhead, it.MemoryOverheadMiB())
			require.Equal(t, row.maxPods, it.MaxPods())
			require.Equal(t, row.price, it.PricePerHour)
			require.Equal(t, row.arch, it.Arch)

			a := it.Allocatable()
			requireQty(t, row.cpu, a[corev1.ResourceCPU])
			requireQty(t, row.memory, a[corev1.ResourceMemory])
			require.Equal(t, int64(row.maxPods), a.Pods().Value())
			requireQty(t, "17Gi", a[corev1.ResourceEphemeralStorage])

			c := it.Capacity()
			require.Equal(t, int64(row.vcpu), c.Cpu().Value())
			requireQty(t, fmt.Sprintf("%dMi", row.mib-row.overhead), c[corev1.ResourceMemory])
			requireQty(t, "20Gi", c[corev1.ResourceEphemeralStorage])
		})
	}
}

// The measured overhead differs from the flat 7.5% the way FIDELITY.md
// says: lower for m5/m6i/r5, higher for c5.large.
func TestMeasuredOverheadAgainstFlatPercent(t *testing.T) {
	flat := func(it InstanceType) float64 { return float64(it.MemoryMiB) * VMMemoryOverheadPercent }
	for _, n := range []string{"m5.large", "m6i.large", "r5.large", "r5.xlarge", "m6i.xlarge"} {
		it, _ := Lookup(n)
		require.Less(t, float64(it.MemoryOverheadMiB()), flat(it), n)
	}
	c5, _ := Lookup("c5.large")
	require.Greater(t, float64(c5.MemoryOverheadMiB()), flat(c5))
}

func TestPrices(t *testing.T) {
	od, err := Price("us-east-1", "m5.large", OnDemand)
	require.NoError(t, err)
	require.Equal(t, 0.096, od)
	sp, err := Price("us-east-1", "m5.large", "spot")
	require.NoError(t, err)
	require.Less(t, sp, od)
	eu, err := Price("eu-west-1", "m5.large", "on-demand")
	require.NoError(t, err)
	require.Equal(t, 0.107, eu)
	fra, _ := Price("eu-central-1", "m5.large", OnDemand)
	require.Equal(t, 0.115, fra)
	for _, n := range Names() {
		for _, r := range RegionNames() {
			od, err := Price(r, n, OnDemand)
			require.NoError(t, err)
			sp, err := Price(r, n, Spot)
			require.NoError(t, err)
			require.Positive(t, sp, "%s %s", r, n)
			require.Less(t, sp, od, "%s %s", r, n)
		}
	}
	_, err = Price("mars-1", "m5.large", OnDemand)
	require.ErrorContains(t, err, "no prices for region")
	_, err = Price("us-east-1", "m5.lrage", OnDemand)
	require.ErrorContains(t, err, "unknown instance type")
	_, err = Price("us-east-1", "m5.large", "RESERVED")
	require.ErrorContains(t, err, "unknown capacity type")
}

func requireQty(t *testing.T, want string, got resource.Quantity) {
	t.Helper()
	w := resource.MustParse(want)
	require.Zero(t, w.Cmp(got), "want %s, got %s", want, got.String())
}

func TestKubeReservedCPU(t *testing.T) {
	for _, tc := range []struct {
		vcpu int
		want int64
	}{{1, 60}, {2, 70}, {3, 75}, {4, 80}, {5, 82}, {8, 90}, {16, 110}, {96, 310}} {
		require.Equal(t, tc.want, KubeReservedMilliCPU(tc.vcpu), "vcpu=%d", tc.vcpu)
	}
}

func TestNamesSortedAndLookup(t *testing.T) {
	names := Names()
	for i := 1; i < len(names); i++ {
		require.Less(t, names[i-1], names[i])
	}
	_, ok := Lookup("m5.huge")
	require.False(t, ok)
}

func TestSuggest(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"m5.larg", "m5.large"},
		{"m5large", "m5.large"},
		{"t3.meduim", "t3.medium"},
		{"c5.xlarg", "c5.xlarge"},
		{"r5.2xl", "r5.2xlarge"},
		{"p4d.24xlarge-gpu-monster", ""},
	} {
		require.Equal(t, tc.want, Suggest(tc.in), tc.in)
	}
}
