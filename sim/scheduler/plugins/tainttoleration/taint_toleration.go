// Package tainttoleration keeps pods off nodes whose NoSchedule/NoExecute
// taints they do not tolerate, and prefers nodes with fewer untolerated
// PreferNoSchedule taints.
package tainttoleration

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Name is the plugin name.
const Name = "TaintToleration"

const preScoreKey framework.StateKey = "PreScore" + Name

// TaintToleration is the plugin.
type TaintToleration struct{}

// New returns the plugin.
func New() *TaintToleration { return &TaintToleration{} }

// Name implements framework.Plugin.
func (*TaintToleration) Name() string { return Name }

func hardEffect(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

// ErrReasonUntolerated is the Filter reason for a node with a taint the
// pod does not tolerate, as v1.34+ print it (older releases named the
// taint: "node(s) had untolerated taint {key: value}").
const ErrReasonUntolerated = "node(s) had untolerated taint(s)"

// Filter rejects the node at its first untolerated NoSchedule or
// NoExecute taint.
func (*TaintToleration) Filter(_ *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	if len(ni.Taints) == 0 {
		return nil
	}
	if _, found := framework.FindUntoleratedTaint(ni.Taints, pod.Spec.Tolerations, hardEffect); !found {
		return nil
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUntolerated).WithPlugin(Name)
}

// EventsToRegister implements framework.EnqueueExtensions: a node's taints changed.
func (*TaintToleration) EventsToRegister() map[string][]framework.ClusterEvent {
	return map[string][]framework.ClusterEvent{Name: {framework.NodeTaintChange}}
}

// PreScore keeps the pod's tolerations that can apply to PreferNoSchedule
// taints.
func (*TaintToleration) PreScore(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	var tols []corev1.Toleration
	for _, t := range pod.Spec.Tolerations {
		if t.Effect == "" || t.Effect == corev1.TaintEffectPreferNoSchedule {
			tols = append(tols, t)
		}
	}
	state.Write(preScoreKey, tols)
	return nil
}

// Score counts the node's untolerated PreferNoSchedule taints (fewer is
// better; NormalizeScore reverses).
func (*TaintToleration) Score(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	if len(ni.Taints) == 0 {
		return 0, nil
	}
	return CountIntolerable(ni.Taints, scoreTolerations(state)), nil
}

// ScoreNodes implements framework.BatchScorer.
func (*TaintToleration) ScoreNodes(state *framework.CycleState, _ *corev1.Pod, nodes []*framework.NodeInfo, scores []framework.NodeScore) *framework.Status {
	tols := scoreTolerations(state)
	for j, ni := range nodes {
		if len(ni.Taints) == 0 {
			scores[j].Score = 0
			continue
		}
		scores[j].Score = CountIntolerable(ni.Taints, tols)
	}
	return nil
}

// ScoreRows implements framework.RowScorer: an untainted node (its
// row says so) scores 0 without a look at its NodeInfo.
func (*TaintToleration) ScoreRows(state *framework.CycleState, _ *corev1.Pod, nodes []*framework.NodeInfo, rows []framework.NodeRow, rowOf []int32, scores []framework.NodeScore) *framework.Status {
	var tols []corev1.Toleration
	for j, i := range rowOf {
		if rows[i].Flags&framework.RowTainted == 0 {
			scores[j].Score = 0
			continue
		}
		if tols == nil {
			tols = scoreTolerations(state)
		}
		scores[j].Score = CountIntolerable(nodes[j].Taints, tols)
	}
	return nil
}

// UniformScore implements framework.UniformScorer: when no node has a
// taint, every raw score is 0 and NormalizeScore maps all of them to
// MaxNodeScore. The union of the nodes' row flags, or else their rows'
// flags, tell.
func (*TaintToleration) UniformScore(state *framework.CycleState, _ *corev1.Pod, nodes []*framework.NodeInfo) (int64, bool) {
	if union, ok := state.ScoreRowFlags(); ok {
		if union&framework.RowTainted != 0 {
			return 0, false
		}
		return framework.MaxNodeScore, true
	}
	if rows, rowOf := state.ScoreRows(); rows != nil && len(rowOf) == len(nodes) {
		for _, i := range rowOf {
			if rows[i].Flags&framework.RowTainted != 0 {
				return 0, false
			}
		}
		return framework.MaxNodeScore, true
	}
	for _, ni := range nodes {
		if len(ni.Taints) != 0 {
			return 0, false
		}
	}
	return framework.MaxNodeScore, true
}

func scoreTolerations(state *framework.CycleState) []corev1.Toleration {
	if v, err := state.Read(preScoreKey); err == nil {
		return v.([]corev1.Toleration)
	}
	return nil
}

// CountIntolerable counts PreferNoSchedule taints no toleration matches.
func CountIntolerable(taints []corev1.Taint, tols []corev1.Toleration) int64 {
	var n int64
	for i := range taints {
		if taints[i].Effect != corev1.TaintEffectPreferNoSchedule {
			continue
		}
		if !framework.TolerationsTolerateTaint(tols, &taints[i]) {
			n++
		}
	}
	return n
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *TaintToleration) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps counts to 100 - 100*count/maxCount.
func (*TaintToleration) NormalizeScore(_ *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	framework.DefaultNormalizeScore(framework.MaxNodeScore, true, scores)
	return nil
}

// QuickRule implements framework.QuickFilter: Filter passes a node
// without taints.
func (*TaintToleration) QuickRule(*framework.CycleState, *corev1.Pod) (framework.QuickRule, bool) {
	return framework.QuickRule{Untainted: true}, true
}
