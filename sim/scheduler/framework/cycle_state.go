package framework

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// StateKey names one piece of per-cycle data (usually the plugin name plus
// the extension point that wrote it).
type StateKey string

// CycleState carries data from a plugin's PreFilter/PreScore to its
// Filter/Score calls within one scheduling cycle. It is a short list, not
// a map: a handful of keys, read once per node per plugin, are found
// faster by a scan (keys are constants, so equal keys share their bytes).
// The scheduler reuses one CycleState for every cycle (Reset).
type CycleState struct {
	keys   []StateKey
	values []any
	// skipFilter and skipScore are bitmasks over the framework's filter and
	// score plugin lists: the plugins that returned Skip this cycle.
	skipFilter uint64
	skipScore  uint64
	// nodes is the merged PreFilterResult of this cycle (nil = all
	// nodes); narrowedBy names the plugins that narrowed it, sorted.
	nodes      sets.Set[string]
	narrowedBy []string
	// podInfo is what the scheduler derived from the pod being scheduled
	// (SetPodInfo), so that plugins read its requests and affinity terms
	// instead of each deriving them again.
	podInfo *PodInfo
	// rows and rowOf are the nodes' rows and, for the nodes being scored
	// (by position), their rows' indexes (SetScoreRows); nil when the
	// scheduler has none.
	rows  []NodeRow
	rowOf []int32
	// table is the table rows are from, when known (SetScoreTable).
	table *NodeTable
	// rowFlags is the union of the scored nodes' row flags when
	// rowFlagsKnown (SetScoreRowFlags).
	rowFlags      RowFlags
	rowFlagsKnown bool
}

// NewCycleState returns an empty state.
func NewCycleState() *CycleState { return &CycleState{} }

// Reset empties the state for the next cycle.
func (c *CycleState) Reset() {
	clear(c.values)
	c.keys, c.values = c.keys[:0], c.values[:0]
	c.skipFilter, c.skipScore = 0, 0
	c.nodes, c.narrowedBy = nil, nil
	c.podInfo = nil
	c.rows, c.rowOf, c.table = nil, nil, nil
	c.rowFlags, c.rowFlagsKnown = 0, false
}

// SetPodInfo records what was derived from the pod this cycle schedules
// (pi.Pod). The PodInfo must not change during the cycle.
func (c *CycleState) SetPodInfo(pi *PodInfo) { c.podInfo = pi }

// PodInfo returns the PodInfo recorded for pod (the same object), or nil
// when none was (a plugin called on its own, or for another pod, as
// preemption's and the autoscalers' what-if runs may): callers then
// derive what they need from the pod. Pods handed out by the store are
// immutable, so a PodInfo of the same object is always current.
func (c *CycleState) PodInfo(pod *corev1.Pod) *PodInfo {
	if pi := c.podInfo; pi != nil && pi.Pod == pod {
		return pi
	}
	return nil
}

// SetScoreRows records the rows of the nodes this cycle scores:
// rows[rowOf[j]] is the NodeRow of the j-th node RunScorePlugins is given.
// RunScorePlugins then lets RowScorers read rows instead of NodeInfos.
func (c *CycleState) SetScoreRows(rows []NodeRow, rowOf []int32) {
	c.rows, c.rowOf, c.table = rows, rowOf, nil
}

// SetScoreTable is SetScoreRows(t.Rows, rowOf) for rows that are a
// table's: RunScorePlugins may then remember the RowKeyed plugins' scores
// of a row across cycles, for as long as the row's generation holds.
func (c *CycleState) SetScoreTable(t *NodeTable, rowOf []int32) {
	c.rows, c.rowOf, c.table = t.Rows, rowOf, t
}

// ScoreRows returns what SetScoreRows recorded (nil, nil if nothing).
func (c *CycleState) ScoreRows() ([]NodeRow, []int32) { return c.rows, c.rowOf }

// SetScoreRowFlags records the union (bitwise or) of the Flags of the
// rows SetScoreRows recorded, which the scheduler gathers while it reads
// them to filter: a plugin learns from it that no node it scores has a
// flag (no taint, no image) without reading every row again.
func (c *CycleState) SetScoreRowFlags(union RowFlags) { c.rowFlags, c.rowFlagsKnown = union, true }

// ScoreRowFlags returns what SetScoreRowFlags recorded, false if nothing.
func (c *CycleState) ScoreRowFlags() (RowFlags, bool) { return c.rowFlags, c.rowFlagsKnown }

// PreFilterNodes returns the node names the PreFilter plugins narrowed
// this cycle to (nil = every node) and the plugins that narrowed it,
// sorted: upstream's merged PreFilterResult.
func (c *CycleState) PreFilterNodes() (sets.Set[string], []string) { return c.nodes, c.narrowedBy }

// Write stores v under key.
func (c *CycleState) Write(key StateKey, v any) {
	for i, k := range c.keys {
		if k == key {
			c.values[i] = v
			return
		}
	}
	c.keys = append(c.keys, key)
	c.values = append(c.values, v)
}

// Read returns the value under key, or an error if it was never written
// (the plugin's pre-step did not run).
func (c *CycleState) Read(key StateKey) (any, error) {
	if v, ok := c.Lookup(key); ok {
		return v, nil
	}
	return nil, fmt.Errorf("framework: %q not found in cycle state", key)
}

// Lookup is Read for a caller to whom a missing key is no error (a
// pre-step that had nothing to record): it allocates nothing.
func (c *CycleState) Lookup(key StateKey) (any, bool) {
	for i, k := range c.keys {
		if k == key {
			return c.values[i], true
		}
	}
	return nil, false
}

// Clone returns a copy of the state for a what-if evaluation (preemption's
// dry run on one node): values implementing StateCloner are deep-copied,
// the others shared.
func (c *CycleState) Clone() *CycleState {
	out := *c
	out.keys = slices.Clone(c.keys)
	out.values = slices.Clone(c.values)
	for i, v := range out.values {
		if sc, ok := v.(StateCloner); ok {
			out.values[i] = sc.CloneState()
		}
	}
	out.narrowedBy = slices.Clone(c.narrowedBy)
	return &out
}

// ReadAs returns the value under key as a T, as a plugin reads back what
// its PreFilter or PreScore wrote (upstream's getPreFilterState and
// getPreScoreState); a missing or mistyped value is an Error status.
func ReadAs[T any](c *CycleState, key StateKey) (T, *Status) {
	var zero T
	v, err := c.Read(key)
	if err != nil {
		return zero, AsStatus(err)
	}
	t, ok := v.(T)
	if !ok {
		return zero, AsStatus(fmt.Errorf("framework: %q holds %T, not %T", key, v, zero))
	}
	return t, nil
}
