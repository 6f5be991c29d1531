package cloud

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// fidelityTable is FIDELITY.md's EKS table, row by row.
var fidelityTable = []struct {
	name         string
	vcpu         int
	mib          int64
	enis, ips    int
	maxPods      int
	cpu, memory  string
	pricePerHour float64
}{
	{"t3.medium", 2, 4096, 3, 6, 17, "1930m", "3246Mi", 0.0416},
	{"t3.large", 2, 8192, 3, 12, 35, "1930m", "6837Mi", 0.0832},
	{"m5.large", 2, 8192, 3, 10, 29, "1930m", "6903Mi", 0.096},
	{"m5.xlarge", 4, 16384, 4, 15, 58, "3920m", "14162Mi", 0.192},
	{"m5.2xlarge", 8, 32768, 4, 15, 58, "7910m", "29317Mi", 0.384},
	{"m5.4xlarge", 16, 65536, 8, 30, 234, "15890m", "57691Mi", 0.768},
	{"c5.large", 2, 4096, 3, 10, 29, "1930m", "3114Mi", 0.085},
	{"c5.xlarge", 4, 8192, 4, 15, 58, "3920m", "6584Mi", 0.170},
	{"c5.2xlarge", 8, 16384, 4, 15, 58, "7910m", "14162Mi", 0.340},
	{"r5.large", 2, 16384, 3, 10, 29, "1930m", "14481Mi", 0.126},
	{"r5.xlarge", 4, 32768, 4, 15, 58, "3920m", "29317Mi", 0.252},
	{"r5.2xlarge", 8, 65536, 4, 15, 58, "7910m", "59627Mi", 0.504},
	{"m6i.large", 2, 8192, 3, 10, 29, "1930m", "6903Mi", 0.096},
	{"m7i.large", 2, 8192, 3, 10, 29, "1930m", "6903Mi", 0.1008},
}

func TestCatalogueMatchesFidelityTable(t *testing.T) {
	require.Len(t, Names(), len(fidelityTable))
	for _, row := range fidelityTable {
		t.Run(row.name, func(t *testing.T) {
			it, ok := Lookup(row.name)
			require.True(t, ok)
			require.Equal(t, row.vcpu, it.VCPU)
			require.Equal(t, row.mib, it.MemoryMiB)
			require.Equal(t, row.enis, it.ENIs)
			require.Equal(t, row.ips, it.IPsPerENI)
			require.Equal(t, row.pricePerHour, it.PricePerHour)
			require.Equal(t, row.maxPods, it.MaxPods())

			a := it.Allocatable()
			requireQty(t, row.cpu, a[corev1.ResourceCPU])
			requireQty(t, row.memory, a[corev1.ResourceMemory])
			require.Equal(t, int64(row.maxPods), a.Pods().Value())
			requireQty(t, "17Gi", a[corev1.ResourceEphemeralStorage])

			c := it.Capacity()
			require.Equal(t, int64(row.vcpu), c.Cpu().Value())
			require.Equal(t, int64(row.maxPods), c.Pods().Value())
			requireQty(t, "20Gi", c[corev1.ResourceEphemeralStorage])
			require.Greater(t, c.Memory().Value(), a.Memory().Value())
			require.Less(t, c.Memory().Value(), row.mib<<20)
		})
	}
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
