package framework

import corev1 "k8s.io/api/core/v1"

// rowMemo remembers, per row of a NodeTable, the sum of the weighted
// scores the keyed plugins added for the row in an earlier cycle, with
// the row's generation then and the cycle's class. A class is one table,
// one set of keyed plugins (mask) and one key per plugin: a cycle with
// the same ones continues the class, any other starts a new one. An
// entry is current when its generation is the row's and its class the
// cycle's: the row has not been written since, and each keyed plugin's
// score of it is a function of the row and of its key (RowKeyed), both
// unchanged, so the sum is what the plugins' AddRows would add again.
// It is exact by construction and needs no invalidation.
//
// It pays at scale: a cycle scores ~500 of 5,000 nodes, of which only
// those bound to since the window last passed have changed, and the
// pods of a Deployment share their requests. A current entry is one
// 24-byte read where Fit and BalancedAllocation read a 64-byte memo each
// and compare six values.
type rowMemo struct {
	table *NodeTable
	mask  uint64
	keys  []RowKey // keys[i]: plugin i's key in the current class
	class uint64
	// entries[i] is row i's.
	entries []memoEntry
	// Scratch for the rows without a current entry: their row indexes,
	// positions among the scored nodes, nodes and sums.
	missRow   []int32
	missAt    []int32
	missNodes []*NodeInfo
	missSum   []int64
}

type memoEntry struct {
	gen, class uint64
	sum        int64
}

// keyedPlugins returns the score plugins the row memo scores this cycle
// (bit i: score plugin i): the RowKeyed ones not in skip that have a key.
// It moves the memo to the cycle's class (a new one unless the table,
// the plugins and their keys are the last class's).
func (f *Framework) keyedPlugins(state *CycleState, pod *corev1.Pod, skip uint64) uint64 {
	m := &f.memo
	for len(m.keys) < len(f.score) {
		m.keys = append(m.keys, RowKey{})
	}
	var mask uint64
	same := state.table == m.table
	for i, k := range f.rowKeyed {
		if k == nil || skip&(1<<i) != 0 {
			continue
		}
		key, ok := k.RowKey(state, pod)
		if !ok {
			continue
		}
		mask |= 1 << i
		if m.keys[i] != key {
			same = false
			m.keys[i] = key
		}
	}
	if mask == 0 {
		return 0
	}
	if !same || mask != m.mask {
		m.class++
		m.table, m.mask = state.table, mask
	}
	return mask
}

// addRemembered adds the keyed plugins' (mask) weighted scores of nodes,
// whose rows are the cycle's (state.rowOf, rows of state.table), into
// totals: a row's current entry where it has one; for the others, the
// sums of the plugins' AddRows, which become their entries. When an
// AddRows fails it takes back what it added and reports false: the
// plugins are then scored without the memo, which reports the failure.
func (f *Framework) addRemembered(state *CycleState, pod *corev1.Pod, nodes []*NodeInfo, mask uint64, totals []int64) bool {
	m := &f.memo
	t := state.table
	if len(m.entries) < len(t.Rows) {
		m.entries = append(m.entries, make([]memoEntry, len(t.Rows)-len(m.entries))...)
	}
	entries, gens, class := m.entries, t.Gens, m.class
	missRow, missAt := m.missRow[:0], m.missAt[:0]
	for j, i := range state.rowOf {
		if e := &entries[i]; e.gen == gens[i] && e.class == class {
			totals[j] += e.sum
			continue
		}
		missRow = append(missRow, i)
		missAt = append(missAt, int32(j))
	}
	m.missRow, m.missAt = missRow, missAt
	if len(missRow) == 0 {
		return true
	}
	missNodes := m.missNodes[:0]
	for _, j := range missAt {
		missNodes = append(missNodes, nodes[j])
	}
	defer clear(missNodes) // hold no node past the cycle
	m.missNodes = missNodes
	sums := append(m.missSum[:0], make([]int64, len(missRow))...)
	m.missSum = sums
	for i, a := range f.rowAdder {
		if mask&(1<<i) == 0 {
			continue
		}
		if st := a.AddRows(state, pod, missNodes, t.Rows, missRow, f.weights[i], sums); !st.IsSuccess() {
			f.takeBack(state, missAt, totals)
			return false
		}
	}
	for k, i := range missRow {
		entries[i] = memoEntry{gen: gens[i], class: class, sum: sums[k]}
		totals[missAt[k]] += sums[k]
	}
	return true
}

// takeBack subtracts from totals what addRemembered added from current
// entries: every scored row's but the misses' (missAt, ascending).
func (f *Framework) takeBack(state *CycleState, missAt []int32, totals []int64) {
	entries := f.memo.entries
	k := 0
	for j, i := range state.rowOf {
		if k < len(missAt) && int(missAt[k]) == j {
			k++
			continue
		}
		totals[j] -= entries[i].sum
	}
}
