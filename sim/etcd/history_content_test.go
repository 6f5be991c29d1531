package etcd

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// content reads in place what at copies: the objects held at a version,
// in slot order, a slot changed since then read from its undo record.
func TestContentIsTheObjectsAtAVersion(t *testing.T) {
	h := newHistory(nil, 0)
	h.join(&fsm{}, 0) // a reader left at version 0: every write records what it replaced
	h.join(&fsm{}, 0)
	type write struct {
		slot int32
		key  string
		v    value // nil: deleted
	}
	batches := [][]write{
		{{0, "a", 1}, {1, "b", 1}, {2, "c", 1}},
		{{1, "b", 2}, {2, "c", nil}},
		{{cellPage + 5, "d", 1}, {1, "b", 3}, {1, "b", 4}}, // a second page; a slot written twice
	}
	for i, b := range batches {
		seq := uint64(i + 1)
		for _, w := range b {
			h.write(seq, w.slot, "ConfigMap", w.key, w.v)
		}
		h.v = seq
	}
	want := map[uint64][]cell{
		0: nil,
		1: {{"ConfigMap", "a", 1}, {"ConfigMap", "b", 1}, {"ConfigMap", "c", 1}},
		2: {{"ConfigMap", "a", 1}, {"ConfigMap", "b", 2}},
		3: {{"ConfigMap", "a", 1}, {"ConfigMap", "b", 4}, {"ConfigMap", "d", 1}},
	}
	for a := range uint64(4) {
		got := slices.Collect(h.content(a))
		require.Equal(t, want[a], got, "version %d", a)
		var at []cell
		for _, c := range h.at(a) {
			if c.v != nil {
				at = append(at, c)
			}
		}
		require.Equal(t, at, got, "version %d: what at holds", a)
		require.Equal(t, got, slices.Collect(h.content(a)), "version %d: ranged over again", a)
	}
}
