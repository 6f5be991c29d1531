package kubelet

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTakeSlot: a pod gets the lowest free IP slot, a released slot is
// taken again first, and a node whose podIPSlots are all in use gives
// none (the slots past them, which the words hold, are never used).
func TestTakeSlot(t *testing.T) {
	tests := []struct {
		name    string
		used    []int16 // slots taken before
		release []int16 // then released
		want    int16
	}{
		{"empty node", nil, nil, 0},
		{"next after three", []int16{0, 1, 2}, nil, 3},
		{"a hole is filled first", []int16{0, 1, 2}, []int16{1}, 1},
		{"the lowest of two holes", []int16{0, 1, 2, 3}, []int16{3, 2}, 2},
		{"across a word", seq(0, 64), nil, 64},
		{"a hole in the last word", seq(0, podIPSlots), []int16{200}, 200},
		{"the last slot", seq(0, podIPSlots-1), nil, podIPSlots - 1},
		{"full", seq(0, podIPSlots), nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &Kubelet{}
			for i, s := range tt.used {
				require.Equal(t, s, k.takeSlot(), "slot %d taken", i)
			}
			for _, s := range tt.release {
				p := &podState{k: k, slot: s}
				p.releaseIP()
				require.Equal(t, int16(-1), p.slot)
			}
			require.Equal(t, tt.want, k.takeSlot())
		})
	}
}

// seq is the slots from..to-1.
func seq(from, to int16) []int16 {
	var out []int16
	for s := from; s < to; s++ {
		out = append(out, s)
	}
	return out
}
