package framework

// NodeRow is what the per-node filter and score loops read of one node,
// in one 64-byte cache line: the common cycle's Filter (the QuickRule)
// and the resource, taint and image Score plugins read a feasible node
// here instead of chasing its NodeInfo (several cache lines, pointers
// to the node object, taints, domains and images). Rows are dense by
// node position (NodeInfo.Index), so a cycle's candidates, consecutive
// positions in rotation order, are consecutive rows.
type NodeRow struct {
	// AllocCPU and AllocMem are Allocatable's CPU and memory; ReqCPU and
	// ReqMem Requested's; NZCPU and NZMem NonZeroRequested's.
	AllocCPU, AllocMem int64
	ReqCPU, ReqMem     int64
	NZCPU, NZMem       int64
	// ImageSlot is NodeInfo.ImageSlot (meaningful with RowImages).
	ImageSlot int32
	// Host and Zone are the node's domain ids for the hostname and zone
	// keys (NodeInfo.Domain(HostnameKeyID), Domain(ZoneKeyID)), -1 where
	// the node lacks the label.
	Host, Zone int32
	Flags      RowFlags
}

// RowFlags are a node's yes/no facts in its NodeRow.
type RowFlags uint8

// The RowFlags.
const (
	RowPresent  RowFlags = 1 << iota // the node object is present
	RowCordoned                      // Unschedulable
	RowTainted                       // it has taints
	RowImages                        // it holds images (ImageIDs not empty)
	RowPodRoom                       // Requested.Pods+1 <= Allocatable.Pods
)

// NodeTable holds the NodeRows of a lister's nodes (the scheduler cache's
// list), row i for the node at Index i.
//
// It cannot go stale: a NodeInfo placed in the table (Place) rewrites its
// row from its own fields whenever one the row mirrors changes (SetNode,
// AddPodInfo, RemovePodInfo, Topology.FillDomains, and SyncRow, which the
// cache calls after changing a node's images), and the lister places
// every node again whenever positions change (it rebuilds its list). A
// Clone is in no table, so what-if changes to it never reach a row.
type NodeTable struct {
	Rows []NodeRow
	// Gens[i] is row i's generation: the count of the table's row writes
	// when row i last changed. No two writes share one, so a row whose
	// generation is unchanged holds what it held then, and what was
	// computed from it still holds (the framework's row memo). A write
	// of what the row already holds (a node's status heartbeat) keeps
	// the generation. Generations start at 1.
	Gens   []uint64
	writes uint64
}

// Reset sizes the table for n nodes; the caller then places each.
func (t *NodeTable) Reset(n int) {
	if cap(t.Rows) < n {
		t.Rows = make([]NodeRow, n)
		t.Gens = make([]uint64, n)
	}
	t.Rows, t.Gens = t.Rows[:n], t.Gens[:n]
}

// Place puts ni at position i (ni.Index = i) and writes its row.
func (t *NodeTable) Place(ni *NodeInfo, i int) {
	ni.Index, ni.table = i, t
	t.write(i, ni.Row())
}

// write sets row i to r, under a new generation if r differs.
func (t *NodeTable) write(i int, r NodeRow) {
	if t.Gens[i] != 0 && t.Rows[i] == r {
		return
	}
	t.writes++
	t.Rows[i], t.Gens[i] = r, t.writes
}

// Unplace takes ni out of the table (ni.Index = -1): its row is no longer
// written, and is dropped when the lister places its nodes again.
func (ni *NodeInfo) Unplace() { ni.Index, ni.table = -1, nil }

// SyncRow rewrites ni's row after a mirrored field was changed from
// outside NodeInfo's methods (the cache's ImageIDs and ImageSlot).
func (ni *NodeInfo) SyncRow() {
	if t := ni.table; t != nil && uint(ni.Index) < uint(len(t.Rows)) {
		t.write(ni.Index, ni.Row())
	}
}

// Row is ni's NodeRow as its fields stand (what its row in a table holds).
func (ni *NodeInfo) Row() NodeRow {
	r := NodeRow{
		AllocCPU: ni.Allocatable.MilliCPU, AllocMem: ni.Allocatable.Memory,
		ReqCPU: ni.Requested.MilliCPU, ReqMem: ni.Requested.Memory,
		NZCPU: ni.NonZeroRequested.MilliCPU, NZMem: ni.NonZeroRequested.Memory,
		ImageSlot: ni.ImageSlot, Host: ni.Domain(HostnameKeyID), Zone: ni.Domain(ZoneKeyID),
	}
	if ni.node != nil {
		r.Flags |= RowPresent
	}
	if ni.Unschedulable {
		r.Flags |= RowCordoned
	}
	if len(ni.Taints) != 0 {
		r.Flags |= RowTainted
	}
	if len(ni.ImageIDs) != 0 {
		r.Flags |= RowImages
	}
	if !(ni.Requested.Pods+1 > ni.Allocatable.Pods) { // QuickRule.Passes's test, word for word

		r.Flags |= RowPodRoom
	}
	return r
}
