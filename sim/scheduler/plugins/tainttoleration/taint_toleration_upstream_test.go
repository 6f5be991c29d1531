package tainttoleration

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (our cache snapshot and plugin; statuses compared by code and
// reasons; each case one row, its taints and tolerations built by
// taint/toleration; the two filter tests share one case type and runner):
//   kubernetes v1.37.2 pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go
//     TestTaintTolerationScore, TestTaintTolerationFilter,
//     TestTaintTolerationFilterWithFeatureGate
// Cases run with TaintTolerationComparisonOperators enabled (Gt/Lt
// tolerations, alpha and off by default in v1.37) are skipped with that
// reason. Not ported: the queueing-hint tests and the deferred-resize
// skip (in-place resize scheduling is not modelled).

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

const comparisonOpsSkip = "TaintTolerationComparisonOperators is alpha, off by default in v1.37"

type nodeScore = schedtest.NodeScore

// The cases' taints and tolerations, written as upstream writes them, one
// call each: what a case varies is its keys, values, operators and effects.
const (
	prefer     = v1.TaintEffectPreferNoSchedule
	noSchedule = v1.TaintEffectNoSchedule
	equal      = v1.TolerationOpEqual
)

var untolerated = framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint(s)")

func taint(key, value string, effect v1.TaintEffect) v1.Taint {
	return v1.Taint{Key: key, Value: value, Effect: effect}
}

func toleration(key string, op v1.TolerationOperator, value string, effect v1.TaintEffect) v1.Toleration {
	return v1.Toleration{Key: key, Operator: op, Value: value, Effect: effect}
}

func nodeWithTaints(nodeName string, taints ...v1.Taint) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}, Spec: v1.NodeSpec{Taints: taints}}
}

func podWithTolerations(podName string, tolerations ...v1.Toleration) *v1.Pod {
	return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: podName}, Spec: v1.PodSpec{Tolerations: tolerations}}
}

func TestTaintTolerationScore(t *testing.T) {
	const most = framework.MaxNodeScore
	armPrefer, ssdPrefer := taint("cpu-type", "arm64", prefer), taint("disk-type", "ssd", prefer)
	// A case: its name, the pod, the nodes, their expected scores in node
	// order, and whether it needs TaintTolerationComparisonOperators.
	tests := []struct {
		name                               string
		pod                                *v1.Pod
		nodes                              []*v1.Node
		expectedList                       []nodeScore
		enableTaintTolerationComparisonOps bool
	}{
		// basic test case
		{"node with taints tolerated by the pod, gets a higher score than those node with intolerable taints",
			podWithTolerations("pod1", toleration("foo", equal, "bar", prefer)),
			[]*v1.Node{nodeWithTaints("nodeA", taint("foo", "bar", prefer)), nodeWithTaints("nodeB", taint("foo", "blah", prefer))},
			[]nodeScore{{Name: "nodeA", Score: most}, {Name: "nodeB", Score: 0}}, false},
		// the count of taints that are tolerated by pod, does not matter.
		{"the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many tolerable taints a node has",
			podWithTolerations("pod1", toleration("cpu-type", equal, "arm64", prefer), toleration("disk-type", equal, "ssd", prefer)),
			[]*v1.Node{nodeWithTaints("nodeA"), nodeWithTaints("nodeB", armPrefer), nodeWithTaints("nodeC", armPrefer, ssdPrefer)},
			[]nodeScore{{Name: "nodeA", Score: most}, {Name: "nodeB", Score: most}, {Name: "nodeC", Score: most}}, false},
		// the count of taints on a node that are not tolerated by pod, matters.
		{"the more intolerable taints a node has, the lower score it gets.",
			podWithTolerations("pod1", toleration("foo", equal, "bar", prefer)),
			[]*v1.Node{nodeWithTaints("nodeA"), nodeWithTaints("nodeB", armPrefer), nodeWithTaints("nodeC", armPrefer, ssdPrefer)},
			[]nodeScore{{Name: "nodeA", Score: most}, {Name: "nodeB", Score: 50}, {Name: "nodeC", Score: 0}}, false},
		// taints-tolerations priority only takes care about the taints and tolerations that have effect PreferNoSchedule
		{"only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations priority function",
			podWithTolerations("pod1", toleration("cpu-type", equal, "arm64", noSchedule), toleration("disk-type", equal, "ssd", noSchedule)),
			[]*v1.Node{nodeWithTaints("nodeA"), nodeWithTaints("nodeB", taint("cpu-type", "arm64", noSchedule)), nodeWithTaints("nodeC", armPrefer, ssdPrefer)},
			[]nodeScore{{Name: "nodeA", Score: most}, {Name: "nodeB", Score: most}, {Name: "nodeC", Score: 0}}, false},
		// pod without tolerations; nodeA without taints
		{"Default behaviour No taints and tolerations, lands on node with no taints",
			podWithTolerations("pod1"),
			[]*v1.Node{nodeWithTaints("nodeA"), nodeWithTaints("nodeB", armPrefer)},
			[]nodeScore{{Name: "nodeA", Score: most}, {Name: "nodeB", Score: 0}}, false},
		{"Numeric Gt operator: pod with Gt toleration prefers nodes with matching SLA taint",
			podWithTolerations("pod1", toleration("node.kubernetes.io/sla", "Gt", "950", prefer)),
			[]*v1.Node{nodeWithTaints("nodeA", taint("node.kubernetes.io/sla", "800", prefer)), nodeWithTaints("nodeB", taint("node.kubernetes.io/sla", "999", prefer))},
			[]nodeScore{{Name: "nodeA", Score: 0}, {Name: "nodeB", Score: most}}, true},
		{"Numeric Lt operator: pod with Lt toleration prefers nodes with matching SLA taint",
			podWithTolerations("pod1", toleration("node.kubernetes.io/sla", "Lt", "800", prefer)),
			[]*v1.Node{nodeWithTaints("nodeA", taint("node.kubernetes.io/sla", "950", prefer)), nodeWithTaints("nodeB", taint("node.kubernetes.io/sla", "700", prefer))},
			[]nodeScore{{Name: "nodeA", Score: 0}, {Name: "nodeB", Score: most}}, true},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if test.enableTaintTolerationComparisonOps {
				t.Skip(comparisonOpsSkip)
			}
			c := schedtest.Snapshot(test.nodes, nil)
			scores, status := schedtest.Scores(New(), c, test.pod)
			if !status.IsSuccess() {
				t.Fatalf("unexpected error: %v", status)
			}
			var got []nodeScore
			for _, n := range test.nodes {
				got = append(got, nodeScore{Name: n.Name, Score: scores[n.Name]})
			}
			assert.Equal(t, test.expectedList, got)
		})
	}
}

// filterCase is a case of TestTaintTolerationFilter and of
// TestTaintTolerationFilterWithFeatureGate: its name, the pod, the node,
// the expected status (nil: the pod fits) and whether it needs
// TaintTolerationComparisonOperators.
type filterCase struct {
	name                               string
	pod                                *v1.Pod
	node                               *v1.Node
	wantStatus                         *framework.Status
	enableTaintTolerationComparisonOps bool
}

// runFilterCases runs Filter for each case on a snapshot of its one node
// and compares the status by code and reasons.
func runFilterCases(t *testing.T, tests []filterCase) {
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if test.enableTaintTolerationComparisonOps {
				t.Skip(comparisonOpsSkip)
			}
			c := schedtest.Snapshot([]*v1.Node{test.node}, nil)
			got := New().Filter(framework.NewCycleState(), test.pod, c.Get(test.node.Name))
			if test.wantStatus.Code() != got.Code() || fmt.Sprint(test.wantStatus.Reasons()) != fmt.Sprint(got.Reasons()) {
				t.Errorf("status: want %v, got %v", test.wantStatus, got)
			}
		})
	}
}

func TestTaintTolerationFilter(t *testing.T) {
	dedicated1 := taint("dedicated", "user1", "NoSchedule")
	fooBar := taint("foo", "bar", "NoSchedule")
	slaGt := func(v string) v1.Toleration { return toleration("node.kubernetes.io/sla", "Gt", v, "NoSchedule") }
	slaLt := func(v string) v1.Toleration { return toleration("node.kubernetes.io/sla", "Lt", v, "NoSchedule") }
	sla := func(v string) v1.Taint { return taint("node.kubernetes.io/sla", v, "NoSchedule") }
	level := func(op v1.TolerationOperator, v string) v1.Toleration {
		return toleration("node.example.com/priority-level", op, v, "NoSchedule")
	}
	levelTaint := func(v string) v1.Taint { return taint("node.example.com/priority-level", v, "NoSchedule") }
	runFilterCases(t, []filterCase{
		{"A pod having no tolerations can't be scheduled onto a node with nonempty taints",
			podWithTolerations("pod1"), nodeWithTaints("nodeA", dedicated1), untolerated, false},
		{"A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
			podWithTolerations("pod1", toleration("dedicated", "", "user1", "NoSchedule")), nodeWithTaints("nodeA", dedicated1), nil, false},
		{"A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
			podWithTolerations("pod1", toleration("dedicated", "Equal", "user2", "NoSchedule")), nodeWithTaints("nodeA", dedicated1), untolerated, false},
		{"A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node",
			podWithTolerations("pod1", toleration("foo", "Exists", "", "NoSchedule")), nodeWithTaints("nodeA", fooBar), nil, false},
		{"A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be scheduled onto the node",
			podWithTolerations("pod1", toleration("dedicated", "Equal", "user2", "NoSchedule"), toleration("foo", "Exists", "", "NoSchedule")),
			nodeWithTaints("nodeA", taint("dedicated", "user2", "NoSchedule"), fooBar), nil, false},
		{"A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match, " +
			"can't be scheduled onto the node",
			podWithTolerations("pod1", toleration("foo", "Equal", "bar", "PreferNoSchedule")), nodeWithTaints("nodeA", fooBar), untolerated, false},
		{"The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, " +
			"and the effect of taint is NoSchedule. Pod can be scheduled onto the node",
			podWithTolerations("pod1", toleration("foo", "Equal", "bar", "")), nodeWithTaints("nodeA", fooBar), nil, false},
		{"The pod has a toleration that key and value don't match the taint on the node, " +
			"but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
			podWithTolerations("pod1", toleration("dedicated", "Equal", "user2", "NoSchedule")),
			nodeWithTaints("nodeA", taint("dedicated", "user1", "PreferNoSchedule")), nil, false},
		{"The pod has no toleration, " +
			"but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
			podWithTolerations("pod1"), nodeWithTaints("nodeA", taint("dedicated", "user1", "PreferNoSchedule")), nil, false},
		{"Pod with Gt toleration cannot be scheduled on node when taint value is lower than threshold",
			podWithTolerations("pod1", level("Gt", "950")), nodeWithTaints("nodeA", levelTaint("800")), untolerated, true},
		{"Pod with Gt toleration can be scheduled on node when taint value is higher than threshold",
			podWithTolerations("pod1", slaGt("750")), nodeWithTaints("nodeA", sla("950")), nil, true},
		{"Pod with Lt toleration cannot be scheduled on node when taint value is higher than threshold",
			podWithTolerations("pod1", level("Lt", "800")), nodeWithTaints("nodeA", levelTaint("950")), untolerated, true},
		{"Pod with Lt toleration can be scheduled on node when taint value is lower than threshold",
			podWithTolerations("pod1", slaLt("950")), nodeWithTaints("nodeA", sla("800")), nil, true},
		{"Pod with Gt toleration cannot be scheduled on node with non-numeric taint value",
			podWithTolerations("pod1", slaGt("950")), nodeWithTaints("nodeA", sla("high")), untolerated, true},
	})
}

func TestTaintTolerationFilterWithFeatureGate(t *testing.T) {
	sla := func(v string) v1.Taint { return taint("node.kubernetes.io/sla", v, "NoSchedule") }
	slaTol := func(op v1.TolerationOperator, v string) v1.Toleration {
		return toleration("node.kubernetes.io/sla", op, v, "NoSchedule")
	}
	dedicated := toleration("dedicated", "Equal", "user1", "NoSchedule")
	runFilterCases(t, []filterCase{
		{"Pod with Gt toleration can be scheduled when feature gate is enabled and taint value is higher",
			podWithTolerations("pod1", slaTol("Gt", "750")), nodeWithTaints("nodeA", sla("950")), nil, true},
		{"Pod with Gt toleration cannot be scheduled when feature gate is disabled",
			podWithTolerations("pod1", slaTol("Gt", "750")), nodeWithTaints("nodeA", sla("950")), untolerated, false},
		{"Pod with Lt toleration can be scheduled when feature gate is enabled and taint value is lower",
			podWithTolerations("pod1", slaTol("Lt", "950")), nodeWithTaints("nodeA", sla("800")), nil, true},
		{"Pod with Lt toleration cannot be scheduled when feature gate is disabled",
			podWithTolerations("pod1", slaTol("Lt", "950")), nodeWithTaints("nodeA", sla("800")), untolerated, false},
		{"Pod with mixed tolerations (Equal and Gt) when feature gate is disabled - only Equal is honored",
			podWithTolerations("pod1", dedicated, slaTol("Gt", "750")),
			nodeWithTaints("nodeA", taint("dedicated", "user1", "NoSchedule")), nil, false},
		{"Pod with mixed tolerations, Gt toleration needed but filtered out when feature gate is disabled",
			podWithTolerations("pod1", dedicated, slaTol("Gt", "750")),
			nodeWithTaints("nodeA", taint("dedicated", "user1", "NoSchedule"), sla("950")), untolerated, false},
	})
}
