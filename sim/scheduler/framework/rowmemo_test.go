package framework

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// keyedFake is a RowKeyed RowAdder scoring a row by its requested CPU
// and its key; asked counts the rows AddRows was asked about.
type keyedFake struct {
	name   string
	key    RowKey
	noKey  bool // RowKey reports no key
	fail   bool // AddRows fails
	asked  int
	weight int64
}

func (p *keyedFake) Name() string { return p.name }
func (p *keyedFake) Score(_ *CycleState, _ *corev1.Pod, ni *NodeInfo) (int64, *Status) {
	return p.of(ni.Row()), nil
}
func (p *keyedFake) ScoreExtensions() ScoreExtensions { return nil }
func (p *keyedFake) RowKey(*CycleState, *corev1.Pod) (RowKey, bool) {
	return p.key, !p.noKey
}
func (p *keyedFake) AddRows(_ *CycleState, _ *corev1.Pod, _ []*NodeInfo, rows []NodeRow, rowOf []int32, weight int64, totals []int64) *Status {
	if p.fail {
		return NewStatus(Error, "boom")
	}
	p.asked += len(rowOf)
	for j, i := range rowOf {
		totals[j] += weight * p.of(rows[i])
	}
	return nil
}
func (p *keyedFake) of(r NodeRow) int64 { return (r.ReqCPU/100 + p.key[0]) % (MaxNodeScore + 1) }

// TestRowMemo scores the same table over cycles while rows change and
// keys come and go, and requires each cycle's totals to be those of
// scoring every row afresh, with AddRows asked about exactly the rows
// whose remembered sums do not hold any more.
func TestRowMemo(t *testing.T) {
	type step struct {
		name    string
		change  func(nodes []*NodeInfo, a, b *keyedFake)
		noTable bool // SetScoreRows, not SetScoreTable
		asked   int  // rows AddRows was asked about, per plugin
		fails   bool
	}
	const n = 6
	steps := []step{
		{name: "first cycle", asked: n},
		{name: "nothing changed", asked: 0},
		{name: "a pod bound to one node", change: func(nodes []*NodeInfo, _, _ *keyedFake) {
			nodes[2].AddPodInfo(NewPodInfo(reqPod("p1", "300m")))
		}, asked: 1},
		{name: "a row written as it was", change: func(nodes []*NodeInfo, _, _ *keyedFake) {
			nodes[4].SyncRow()
			nodes[1].SetNode(nodes[1].Node())
		}, asked: 0},
		{name: "a pod bound and one removed", change: func(nodes []*NodeInfo, _, _ *keyedFake) {
			nodes[0].AddPodInfo(NewPodInfo(reqPod("p2", "700m")))
			nodes[2].RemovePodInfo(nodes[2].Pods[0])
		}, asked: 2},
		{name: "another key", change: func(_ []*NodeInfo, a, _ *keyedFake) { a.key = RowKey{7, 0} }, asked: n},
		{name: "the first key again", change: func(_ []*NodeInfo, a, _ *keyedFake) { a.key = RowKey{} }, asked: n},
		{name: "no key: scored by AddRows", change: func(_ []*NodeInfo, a, _ *keyedFake) { a.noKey = true }, asked: n},
		{name: "keyed again: a new class", change: func(_ []*NodeInfo, a, _ *keyedFake) { a.noKey = false }, asked: n},
		{name: "rows without their table", noTable: true, asked: n},
		{name: "AddRows fails on a miss", change: func(nodes []*NodeInfo, _, b *keyedFake) {
			nodes[5].AddPodInfo(NewPodInfo(reqPod("p3", "200m")))
			b.fail = true
		}, fails: true},
		{name: "recovered", change: func(_ []*NodeInfo, _, b *keyedFake) { b.fail = false }, asked: 1},
	}
	a, b := &keyedFake{name: "a", weight: 1}, &keyedFake{name: "b", key: RowKey{3, 0}, weight: 4}
	f := NewFramework(PluginSpec{Plugin: a, Weight: a.weight}, PluginSpec{Plugin: b, Weight: b.weight})
	var table NodeTable
	table.Reset(n)
	var nodes []*NodeInfo
	for i := range n {
		ni := NewNodeInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("n", i)}})
		table.Place(ni, i)
		nodes = append(nodes, ni)
	}
	rowOf := []int32{3, 4, 5, 0, 1, 2} // a window that wraps, as the scheduler's
	scored := make([]*NodeInfo, n)
	for j, i := range rowOf {
		scored[j] = nodes[i]
	}
	for _, s := range steps {
		if s.change != nil {
			s.change(nodes, a, b)
		}
		a.asked, b.asked = 0, 0
		state := NewCycleState()
		if s.noTable {
			state.SetScoreRows(table.Rows, rowOf)
		} else {
			state.SetScoreTable(&table, rowOf)
		}
		totals := make([]int64, n)
		st := f.RunScorePlugins(state, &corev1.Pod{}, scored, totals)
		if s.fails {
			require.ErrorContains(t, st.AsError(), "boom", s.name)
			continue
		}
		require.Nil(t, st, s.name)
		want := make([]int64, n)
		for j, ni := range scored {
			want[j] = a.weight*a.of(ni.Row()) + b.weight*b.of(ni.Row())
		}
		require.Equal(t, want, totals, s.name)
		require.Equal(t, s.asked, b.asked, s.name)
		if !a.noKey {
			require.Equal(t, s.asked, a.asked, s.name)
		}
	}
}

func reqPod(name, cpu string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}}}}}
}
