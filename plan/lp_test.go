package plan

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Hand-computed LP relaxations.
func TestLowerBound(t *testing.T) {
	big := 1e9
	cases := []struct {
		name      string
		machines  []Machine
		demand    Demand
		cost      float64
		nodes     int
		mixOfType string
	}{
		{
			// cpu only: A costs 1/2000m, B 1.5/4000m = 0.375/1000m, so all
			// B: 10000/4000 = 2.5 nodes, cost 3.75; fewest nodes also 2.5 → 3.
			name:     "one resource",
			machines: []Machine{{Type: "a", PricePerHour: 1, MilliCPU: 2000, MemoryMiB: big, Pods: big}, {Type: "b", PricePerHour: 1.5, MilliCPU: 4000, MemoryMiB: big, Pods: big}},
			demand:   Demand{MilliCPU: 10000},
			cost:     3.75, nodes: 3, mixOfType: "b",
		},
		{
			// 4a + 2b ≥ 8 (cpu), 8a + 16b ≥ 32 (memory), min a + b: the
			// two constraints meet at a = b = 4/3, cost 8/3 (the corners
			// cost 4 and 4).
			name:     "two resources",
			machines: []Machine{{Type: "a", PricePerHour: 1, MilliCPU: 4, MemoryMiB: 8, Pods: big}, {Type: "b", PricePerHour: 1, MilliCPU: 2, MemoryMiB: 16, Pods: big}},
			demand:   Demand{MilliCPU: 8, MemoryMiB: 32},
			cost:     8.0 / 3, nodes: 3,
		},
		{
			// plenty of cpu and memory, 10 pods per node: 35 pods need 3.5
			// nodes, so at least 4.
			name:     "max pods",
			machines: []Machine{{Type: "a", PricePerHour: 0.5, MilliCPU: big, MemoryMiB: big, Pods: 10}},
			demand:   Demand{MilliCPU: 100, MemoryMiB: 100, Pods: 35},
			cost:     1.75, nodes: 4, mixOfType: "a",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := LowerBound(tc.machines, tc.demand)
			require.NoError(t, err)
			require.InDelta(t, tc.cost, b.CostPerHour, 1e-9)
			require.Equal(t, tc.nodes, b.Nodes)
			if tc.mixOfType != "" {
				require.Len(t, b.Mix, 1)
				require.Contains(t, b.Mix, tc.mixOfType)
			}
		})
	}
}

func TestLowerBoundOverheadLeavesNothing(t *testing.T) {
	_, err := LowerBound([]Machine{{Type: "a", PricePerHour: 1, MilliCPU: -5, MemoryMiB: 10, Pods: 1}}, Demand{MilliCPU: 1, Pods: 1})
	require.ErrorIs(t, err, ErrInfeasible)
}
