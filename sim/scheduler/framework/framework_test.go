package framework

import (
	"errors"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestFitErrorMessage(t *testing.T) {
	st := func(reasons ...string) NodeStatus {
		return NodeStatus{Status: NewStatus(Unschedulable, reasons...)}
	}
	var many []NodeStatus
	for i := 0; i < 10; i++ {
		many = append(many, st("node(s) were unschedulable"))
	}
	many = append(many, st("Insufficient cpu", "Insufficient memory"), st("Insufficient cpu"))
	tests := []struct {
		name string
		diag Diagnosis
		n    int
		want string
	}{{
		name: "upstream example",
		diag: Diagnosis{
			NodeStatuses:  []NodeStatus{st("Insufficient cpu"), st("node(s) had untolerated taint(s)"), st("Insufficient cpu"), st("node(s) had untolerated taint(s)"), st("node(s) had untolerated taint(s)")},
			PostFilterMsg: "preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.",
		},
		n:    5,
		want: "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint(s). preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.",
	}, {
		// Counts sort as strings, as upstream: "10 ..." before "2 ...".
		name: "string sort and multiple reasons per node",
		diag: Diagnosis{NodeStatuses: many},
		n:    12,
		want: "0/12 nodes are available: 1 Insufficient memory, 10 node(s) were unschedulable, 2 Insufficient cpu.",
	}, {
		name: "prefilter",
		diag: Diagnosis{PreFilterMsg: "node(s) didn't match pod topology spread constraints"},
		n:    3,
		want: "0/3 nodes are available: node(s) didn't match pod topology spread constraints.",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fe := &FitError{Pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}, NumAllNodes: tc.n, Diagnosis: tc.diag}
			require.Equal(t, tc.want, fe.Error())
		})
	}
}

func TestDefaultNormalizeScore(t *testing.T) {
	tests := []struct {
		name    string
		in      []int64
		reverse bool
		want    []int64
	}{
		{"scale", []int64{0, 5, 7}, false, []int64{0, 71, 100}},
		{"reverse", []int64{0, 1, 2}, true, []int64{100, 50, 0}},
		{"all zero", []int64{0, 0}, false, []int64{0, 0}},
		{"all zero reversed", []int64{0, 0}, true, []int64{100, 100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scores := make([]NodeScore, len(tc.in))
			for i, s := range tc.in {
				scores[i].Score = s
			}
			DefaultNormalizeScore(MaxNodeScore, tc.reverse, scores)
			for i := range scores {
				require.Equal(t, tc.want[i], scores[i].Score, i)
			}
		})
	}
}

// fake is a plugin at every extension point that counts calls.
type fake struct {
	name            string
	skip            bool
	filters, scores int
	score           int64
}

func (f *fake) Name() string { return f.name }
func (f *fake) PreFilter(*CycleState, *corev1.Pod) *Status {
	if f.skip {
		return SkipStatus
	}
	return nil
}
func (f *fake) Filter(*CycleState, *corev1.Pod, *NodeInfo) *Status { f.filters++; return nil }
func (f *fake) PreScore(*CycleState, *corev1.Pod, []*NodeInfo) *Status {
	if f.skip {
		return SkipStatus
	}
	return nil
}
func (f *fake) Score(*CycleState, *corev1.Pod, *NodeInfo) (int64, *Status) {
	f.scores++
	return f.score, nil
}
func (f *fake) ScoreExtensions() ScoreExtensions { return nil }

func TestFrameworkSkipAndWeights(t *testing.T) {
	a := &fake{name: "a", score: 10}
	b := &fake{name: "b", skip: true, score: 50}
	c := &fake{name: "c", score: 20}
	f := NewFramework(PluginSpec{Plugin: a, Weight: 3}, PluginSpec{Plugin: b, Weight: 2}, PluginSpec{Plugin: c})
	state := NewCycleState()
	pod := &corev1.Pod{}
	nodes := []*NodeInfo{NewNodeInfo(&corev1.Node{}), NewNodeInfo(&corev1.Node{})}
	require.True(t, f.RunPreFilterPlugins(state, pod).IsSuccess())
	for _, n := range nodes {
		require.True(t, f.RunFilterPlugins(state, pod, n).IsSuccess())
	}
	require.Equal(t, 2, a.filters)
	require.Equal(t, 0, b.filters, "skipped at PreFilter")
	totals := make([]int64, 2)
	require.True(t, f.RunPreScorePlugins(state, pod, nodes).IsSuccess())
	require.True(t, f.RunScorePlugins(state, pod, nodes, totals).IsSuccess())
	require.Equal(t, []int64{3*10 + 20, 3*10 + 20}, totals, "weight 0 counts as 1; skipped b adds nothing")
	require.Equal(t, 0, b.scores)

	state.Reset()
	b.skip = false
	require.True(t, f.RunPreFilterPlugins(state, pod).IsSuccess())
	f.RunFilterPlugins(state, pod, nodes[0])
	require.Equal(t, 1, b.filters, "Reset clears the skip set")
}

func TestStatus(t *testing.T) {
	var nilStatus *Status
	require.True(t, nilStatus.IsSuccess())
	require.Equal(t, "", nilStatus.Message())
	s := NewStatus(Unschedulable, "Insufficient cpu", "Insufficient memory").WithPlugin("NodeResourcesFit")
	require.Equal(t, "Insufficient cpu, Insufficient memory", s.Message())
	require.True(t, s.IsRejected())
	require.Equal(t, "NodeResourcesFit", s.Plugin())
	require.EqualError(t, s.AsError(), "Insufficient cpu, Insufficient memory")
}

// TestCycleStateLookup: Lookup finds what Write stored, reports a missing
// key without an error, and forgets everything on Reset, as Read does.
func TestCycleStateLookup(t *testing.T) {
	c := NewCycleState()
	_, ok := c.Lookup("PreFilterX")
	require.False(t, ok)
	_, err := c.Read("PreFilterX")
	require.EqualError(t, err, `framework: "PreFilterX" not found in cycle state`)
	c.Write("PreFilterX", 7)
	v, ok := c.Lookup("PreFilterX")
	require.True(t, ok)
	require.Equal(t, 7, v)
	c.Reset()
	_, ok = c.Lookup("PreFilterX")
	require.False(t, ok)
	require.Zero(t, testing.AllocsPerRun(10, func() { c.Lookup("PreFilterX") }), "a missing key costs no allocation")
}

// TestCycleStatePodInfo: the cycle's PodInfo is handed out for its own pod
// object only (another object of the same name may differ), and not after
// Reset.
func TestCycleStatePodInfo(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}}
	pi := NewPodInfo(pod)
	c := NewCycleState()
	require.Nil(t, c.PodInfo(pod))
	c.SetPodInfo(pi)
	require.Same(t, pi, c.PodInfo(pod))
	require.Same(t, pi, c.Clone().PodInfo(pod), "what-if copies of the state see it too")
	newer := pod.DeepCopy()
	require.Nil(t, c.PodInfo(newer), "another object of the same pod")
	c.Reset()
	require.Nil(t, c.PodInfo(pod))
}

// TestPodInfoAffinityTermsShared: pods without pod affinity share one
// empty term set, which parsing other pods' terms never writes, and a
// PodInfo stays within 176 bytes (the size class the cache pays per pod).
func TestPodInfoAffinityTermsShared(t *testing.T) {
	plain := NewPodInfo(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "default"}})
	nodeOnly := NewPodInfo(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "default"},
		Spec: corev1.PodSpec{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{}}}})
	require.Same(t, plain.PodAffinityTerms, nodeOnly.PodAffinityTerms)
	term := corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}, TopologyKey: corev1.LabelHostname}
	bad := corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "bogus"}}}, TopologyKey: corev1.LabelHostname}
	affine := NewPodInfo(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "default"},
		Spec: corev1.PodSpec{Affinity: &corev1.Affinity{
			PodAffinity:     &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term}},
			PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 5, PodAffinityTerm: bad}}},
		}}})
	require.NotSame(t, plain.PodAffinityTerms, affine.PodAffinityTerms)
	require.Len(t, affine.RequiredAffinityTerms, 1)
	require.Len(t, affine.PreferredAntiAffinityTerms, 1)
	require.Error(t, affine.ParseErr)
	require.True(t, affine.HasAffinity())
	require.False(t, plain.HasAffinity())
	require.Equal(t, PodAffinityTerms{}, *plain.PodAffinityTerms, "the shared empty set was written")
	plain.Update(affine.Pod) // a new version with terms gets its own set
	require.Len(t, plain.RequiredAffinityTerms, 1)
	require.Equal(t, PodAffinityTerms{}, *nodeOnly.PodAffinityTerms)
	require.LessOrEqual(t, unsafe.Sizeof(PodInfo{}), uintptr(176))
}

// batchFake is a BatchScorer, with or without ScoreExtensions (norm),
// that records whether its scores came with their nodes.
type batchFake struct {
	fake
	norm     bool
	gotNodes []*NodeInfo
}

func (b *batchFake) ScoreNodes(_ *CycleState, _ *corev1.Pod, _ []*NodeInfo, scores []NodeScore) *Status {
	b.gotNodes = b.gotNodes[:0]
	for j := range scores {
		b.gotNodes = append(b.gotNodes, scores[j].Node)
		scores[j].Score = b.score
	}
	return nil
}

func (b *batchFake) ScoreExtensions() ScoreExtensions {
	if b.norm {
		return b
	}
	return nil
}

func (b *batchFake) NormalizeScore(_ *CycleState, _ *corev1.Pod, scores []NodeScore) *Status {
	for j := range scores {
		if scores[j].Node == nil {
			return AsStatus(errors.New("normalising without the node"))
		}
	}
	return nil
}

// TestBatchScoresByPosition: a BatchScorer without ScoreExtensions gets
// its scores by position (Node nil: no pointer stored per node), one
// that normalises gets each score's node, and an out-of-range score is
// reported with the node's name either way.
func TestBatchScoresByPosition(t *testing.T) {
	plain := &batchFake{fake: fake{name: "plain", score: 7}}
	norm := &batchFake{fake: fake{name: "norm", score: 5}, norm: true}
	f := NewFramework(PluginSpec{Plugin: plain}, PluginSpec{Plugin: norm})
	state, pod := NewCycleState(), &corev1.Pod{}
	nodes := []*NodeInfo{NewNodeInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}),
		NewNodeInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}})}
	totals := make([]int64, 2)
	require.True(t, f.RunPreScorePlugins(state, pod, nodes).IsSuccess())
	require.Nil(t, f.RunScorePlugins(state, pod, nodes, totals))
	require.Equal(t, []int64{12, 12}, totals)
	require.Equal(t, []*NodeInfo{nil, nil}, plain.gotNodes)
	require.Equal(t, nodes, norm.gotNodes)

	plain.score = MaxNodeScore + 1
	st := f.RunScorePlugins(state, pod, nodes, make([]int64, 2))
	require.ErrorContains(t, st.AsError(), `plugin "plain" returned score 101 out of range for node "n1"`)
}

// Name is the name of the node last set, through every way a NodeInfo
// gets or loses its node, and in a clone.
func TestNodeInfoName(t *testing.T) {
	node := func(name string) *corev1.Node { return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}} }
	for _, tc := range []struct {
		name  string
		build func() *NodeInfo
		want  string
	}{
		{"new without a node", func() *NodeInfo { return NewNodeInfo(nil) }, ""},
		{"new with a node", func() *NodeInfo { return NewNodeInfo(node("n1")) }, "n1"},
		{"node set later", func() *NodeInfo { ni := NewNodeInfo(nil); ni.SetNode(node("n2")); return ni }, "n2"},
		{"new version of the node", func() *NodeInfo { ni := NewNodeInfo(node("n1")); ni.SetNode(node("n1")); return ni }, "n1"},
		{"node gone", func() *NodeInfo { ni := NewNodeInfo(node("n1")); ni.SetNode(nil); return ni }, ""},
		{"clone", func() *NodeInfo { return NewNodeInfo(node("n3")).Clone() }, "n3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ni := tc.build()
			require.Equal(t, tc.want, ni.Name())
			if n := ni.Node(); n != nil {
				require.Equal(t, n.Name, ni.Name())
			}
		})
	}
}
