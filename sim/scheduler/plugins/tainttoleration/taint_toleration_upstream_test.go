package tainttoleration

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (our cache snapshot and plugin; statuses compared by code and
// reasons):
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

func nodeWithTaints(nodeName string, taints []v1.Taint) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}, Spec: v1.NodeSpec{Taints: taints}}
}

func podWithTolerations(podName string, tolerations []v1.Toleration) *v1.Pod {
	return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: podName}, Spec: v1.PodSpec{Tolerations: tolerations}}
}

func sameStatus(want, got *framework.Status) bool {
	return want.Code() == got.Code() && fmt.Sprint(want.Reasons()) == fmt.Sprint(got.Reasons())
}

func filterOn(pod *v1.Pod, node *v1.Node) *framework.Status {
	c := schedtest.Snapshot([]*v1.Node{node}, nil)
	return New().Filter(framework.NewCycleState(), pod, c.Get(node.Name))
}

func TestTaintTolerationScore(t *testing.T) {
	tests := []struct {
		name                               string
		pod                                *v1.Pod
		nodes                              []*v1.Node
		expectedList                       []nodeScore
		enableTaintTolerationComparisonOps bool
	}{
		// basic test case
		{
			name: "node with taints tolerated by the pod, gets a higher score than those node with intolerable taints",
			pod: podWithTolerations("pod1", []v1.Toleration{{
				Key:      "foo",
				Operator: v1.TolerationOpEqual,
				Value:    "bar",
				Effect:   v1.TaintEffectPreferNoSchedule,
			}}),
			nodes: []*v1.Node{
				nodeWithTaints("nodeA", []v1.Taint{{
					Key:    "foo",
					Value:  "bar",
					Effect: v1.TaintEffectPreferNoSchedule,
				}}),
				nodeWithTaints("nodeB", []v1.Taint{{
					Key:    "foo",
					Value:  "blah",
					Effect: v1.TaintEffectPreferNoSchedule,
				}}),
			},
			expectedList: []nodeScore{
				{Name: "nodeA", Score: framework.MaxNodeScore},
				{Name: "nodeB", Score: 0},
			},
		},
		// the count of taints that are tolerated by pod, does not matter.
		{
			name: "the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many tolerable taints a node has",
			pod: podWithTolerations("pod1", []v1.Toleration{
				{
					Key:      "cpu-type",
					Operator: v1.TolerationOpEqual,
					Value:    "arm64",
					Effect:   v1.TaintEffectPreferNoSchedule,
				}, {
					Key:      "disk-type",
					Operator: v1.TolerationOpEqual,
					Value:    "ssd",
					Effect:   v1.TaintEffectPreferNoSchedule,
				},
			}),
			nodes: []*v1.Node{
				nodeWithTaints("nodeA", []v1.Taint{}),
				nodeWithTaints("nodeB", []v1.Taint{
					{
						Key:    "cpu-type",
						Value:  "arm64",
						Effect: v1.TaintEffectPreferNoSchedule,
					},
				}),
				nodeWithTaints("nodeC", []v1.Taint{
					{
						Key:    "cpu-type",
						Value:  "arm64",
						Effect: v1.TaintEffectPreferNoSchedule,
					}, {
						Key:    "disk-type",
						Value:  "ssd",
						Effect: v1.TaintEffectPreferNoSchedule,
					},
				}),
			},
			expectedList: []nodeScore{
				{Name: "nodeA", Score: framework.MaxNodeScore},
				{Name: "nodeB", Score: framework.MaxNodeScore},
				{Name: "nodeC", Score: framework.MaxNodeScore},
			},
		},
		// the count of taints on a node that are not tolerated by pod, matters.
		{
			name: "the more intolerable taints a node has, the lower score it gets.",
			pod: podWithTolerations("pod1", []v1.Toleration{{
				Key:      "foo",
				Operator: v1.TolerationOpEqual,
				Value:    "bar",
				Effect:   v1.TaintEffectPreferNoSchedule,
			}}),
			nodes: []*v1.Node{
				nodeWithTaints("nodeA", []v1.Taint{}),
				nodeWithTaints("nodeB", []v1.Taint{
					{
						Key:    "cpu-type",
						Value:  "arm64",
						Effect: v1.TaintEffectPreferNoSchedule,
					},
				}),
				nodeWithTaints("nodeC", []v1.Taint{
					{
						Key:    "cpu-type",
						Value:  "arm64",
						Effect: v1.TaintEffectPreferNoSchedule,
					}, {
						Key:    "disk-type",
						Value:  "ssd",
						Effect: v1.TaintEffectPreferNoSchedule,
					},
				}),
			},
			expectedList: []nodeScore{
				{Name: "nodeA", Score: framework.MaxNodeScore},
				{Name: "nodeB", Score: 50},
				{Name: "nodeC", Score: 0},
			},
		},
		// taints-tolerations priority only takes care about the taints and tolerations that have effect PreferNoSchedule
		{
			name: "only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations priority function",
			pod: podWithTolerations("pod1", []v1.Toleration{
				{
					Key:      "cpu-type",
					Operator: v1.TolerationOpEqual,
					Value:    "arm64",
					Effect:   v1.TaintEffectNoSchedule,
				}, {
					Key:      "disk-type",
					Operator: v1.TolerationOpEqual,
					Value:    "ssd",
					Effect:   v1.TaintEffectNoSchedule,
				},
			}),
			nodes: []*v1.Node{
				nodeWithTaints("nodeA", []v1.Taint{}),
				nodeWithTaints("nodeB", []v1.Taint{
					{
						Key:    "cpu-type",
						Value:  "arm64",
						Effect: v1.TaintEffectNoSchedule,
					},
				}),
				nodeWithTaints("nodeC", []v1.Taint{
					{
						Key:    "cpu-type",
						Value:  "arm64",
						Effect: v1.TaintEffectPreferNoSchedule,
					}, {
						Key:    "disk-type",
						Value:  "ssd",
						Effect: v1.TaintEffectPreferNoSchedule,
					},
				}),
			},
			expectedList: []nodeScore{
				{Name: "nodeA", Score: framework.MaxNodeScore},
				{Name: "nodeB", Score: framework.MaxNodeScore},
				{Name: "nodeC", Score: 0},
			},
		},
		{
			name: "Default behaviour No taints and tolerations, lands on node with no taints",
			//pod without tolerations
			pod: podWithTolerations("pod1", []v1.Toleration{}),
			nodes: []*v1.Node{
				//Node without taints
				nodeWithTaints("nodeA", []v1.Taint{}),
				nodeWithTaints("nodeB", []v1.Taint{
					{
						Key:    "cpu-type",
						Value:  "arm64",
						Effect: v1.TaintEffectPreferNoSchedule,
					},
				}),
			},
			expectedList: []nodeScore{
				{Name: "nodeA", Score: framework.MaxNodeScore},
				{Name: "nodeB", Score: 0},
			},
		},
		{
			name: "Numeric Gt operator: pod with Gt toleration prefers nodes with matching SLA taint",
			pod: podWithTolerations("pod1", []v1.Toleration{{
				Key:      "node.kubernetes.io/sla",
				Operator: "Gt",
				Value:    "950",
				Effect:   v1.TaintEffectPreferNoSchedule,
			}}),
			nodes: []*v1.Node{
				nodeWithTaints("nodeA", []v1.Taint{{
					Key:    "node.kubernetes.io/sla",
					Value:  "800",
					Effect: v1.TaintEffectPreferNoSchedule,
				}}),
				nodeWithTaints("nodeB", []v1.Taint{{
					Key:    "node.kubernetes.io/sla",
					Value:  "999",
					Effect: v1.TaintEffectPreferNoSchedule,
				}}),
			},
			expectedList: []nodeScore{
				{Name: "nodeA", Score: 0},
				{Name: "nodeB", Score: framework.MaxNodeScore},
			},
			enableTaintTolerationComparisonOps: true,
		},
		{
			name: "Numeric Lt operator: pod with Lt toleration prefers nodes with matching SLA taint",
			pod: podWithTolerations("pod1", []v1.Toleration{{
				Key:      "node.kubernetes.io/sla",
				Operator: "Lt",
				Value:    "800",
				Effect:   v1.TaintEffectPreferNoSchedule,
			}}),
			nodes: []*v1.Node{
				nodeWithTaints("nodeA", []v1.Taint{{
					Key:    "node.kubernetes.io/sla",
					Value:  "950",
					Effect: v1.TaintEffectPreferNoSchedule,
				}}),
				nodeWithTaints("nodeB", []v1.Taint{{
					Key:    "node.kubernetes.io/sla",
					Value:  "700",
					Effect: v1.TaintEffectPreferNoSchedule,
				}}),
			},
			expectedList: []nodeScore{
				{Name: "nodeA", Score: 0},
				{Name: "nodeB", Score: framework.MaxNodeScore},
			},
			enableTaintTolerationComparisonOps: true,
		},
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

func TestTaintTolerationFilter(t *testing.T) {
	tests := []struct {
		name                               string
		pod                                *v1.Pod
		node                               *v1.Node
		wantStatus                         *framework.Status
		enableTaintTolerationComparisonOps bool
	}{
		{
			name:       "A pod having no tolerations can't be scheduled onto a node with nonempty taints",
			pod:        podWithTolerations("pod1", []v1.Toleration{}),
			node:       nodeWithTaints("nodeA", []v1.Taint{{Key: "dedicated", Value: "user1", Effect: "NoSchedule"}}),
			wantStatus: framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint(s)"),
		},
		{
			name: "A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
			pod:  podWithTolerations("pod1", []v1.Toleration{{Key: "dedicated", Value: "user1", Effect: "NoSchedule"}}),
			node: nodeWithTaints("nodeA", []v1.Taint{{Key: "dedicated", Value: "user1", Effect: "NoSchedule"}}),
		},
		{
			name:       "A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
			pod:        podWithTolerations("pod1", []v1.Toleration{{Key: "dedicated", Operator: "Equal", Value: "user2", Effect: "NoSchedule"}}),
			node:       nodeWithTaints("nodeA", []v1.Taint{{Key: "dedicated", Value: "user1", Effect: "NoSchedule"}}),
			wantStatus: framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint(s)"),
		},
		{
			name: "A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node",
			pod:  podWithTolerations("pod1", []v1.Toleration{{Key: "foo", Operator: "Exists", Effect: "NoSchedule"}}),
			node: nodeWithTaints("nodeA", []v1.Taint{{Key: "foo", Value: "bar", Effect: "NoSchedule"}}),
		},
		{
			name: "A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be scheduled onto the node",
			pod: podWithTolerations("pod1", []v1.Toleration{
				{Key: "dedicated", Operator: "Equal", Value: "user2", Effect: "NoSchedule"},
				{Key: "foo", Operator: "Exists", Effect: "NoSchedule"},
			}),
			node: nodeWithTaints("nodeA", []v1.Taint{
				{Key: "dedicated", Value: "user2", Effect: "NoSchedule"},
				{Key: "foo", Value: "bar", Effect: "NoSchedule"},
			}),
		},
		{
			name: "A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match, " +
				"can't be scheduled onto the node",
			pod:        podWithTolerations("pod1", []v1.Toleration{{Key: "foo", Operator: "Equal", Value: "bar", Effect: "PreferNoSchedule"}}),
			node:       nodeWithTaints("nodeA", []v1.Taint{{Key: "foo", Value: "bar", Effect: "NoSchedule"}}),
			wantStatus: framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint(s)"),
		},
		{
			name: "The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, " +
				"and the effect of taint is NoSchedule. Pod can be scheduled onto the node",
			pod:  podWithTolerations("pod1", []v1.Toleration{{Key: "foo", Operator: "Equal", Value: "bar"}}),
			node: nodeWithTaints("nodeA", []v1.Taint{{Key: "foo", Value: "bar", Effect: "NoSchedule"}}),
		},
		{
			name: "The pod has a toleration that key and value don't match the taint on the node, " +
				"but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
			pod:  podWithTolerations("pod1", []v1.Toleration{{Key: "dedicated", Operator: "Equal", Value: "user2", Effect: "NoSchedule"}}),
			node: nodeWithTaints("nodeA", []v1.Taint{{Key: "dedicated", Value: "user1", Effect: "PreferNoSchedule"}}),
		},
		{
			name: "The pod has no toleration, " +
				"but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
			pod:  podWithTolerations("pod1", []v1.Toleration{}),
			node: nodeWithTaints("nodeA", []v1.Taint{{Key: "dedicated", Value: "user1", Effect: "PreferNoSchedule"}}),
		},
		{
			name:                               "Pod with Gt toleration cannot be scheduled on node when taint value is lower than threshold",
			pod:                                podWithTolerations("pod1", []v1.Toleration{{Key: "node.example.com/priority-level", Operator: "Gt", Value: "950", Effect: "NoSchedule"}}),
			node:                               nodeWithTaints("nodeA", []v1.Taint{{Key: "node.example.com/priority-level", Value: "800", Effect: "NoSchedule"}}),
			wantStatus:                         framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint(s)"),
			enableTaintTolerationComparisonOps: true,
		},
		{
			name:                               "Pod with Gt toleration can be scheduled on node when taint value is higher than threshold",
			pod:                                podWithTolerations("pod1", []v1.Toleration{{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "750", Effect: "NoSchedule"}}),
			node:                               nodeWithTaints("nodeA", []v1.Taint{{Key: "node.kubernetes.io/sla", Value: "950", Effect: "NoSchedule"}}),
			enableTaintTolerationComparisonOps: true,
		},
		{
			name:                               "Pod with Lt toleration cannot be scheduled on node when taint value is higher than threshold",
			pod:                                podWithTolerations("pod1", []v1.Toleration{{Key: "node.example.com/priority-level", Operator: "Lt", Value: "800", Effect: "NoSchedule"}}),
			node:                               nodeWithTaints("nodeA", []v1.Taint{{Key: "node.example.com/priority-level", Value: "950", Effect: "NoSchedule"}}),
			wantStatus:                         framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint(s)"),
			enableTaintTolerationComparisonOps: true,
		},
		{
			name:                               "Pod with Lt toleration can be scheduled on node when taint value is lower than threshold",
			pod:                                podWithTolerations("pod1", []v1.Toleration{{Key: "node.kubernetes.io/sla", Operator: "Lt", Value: "950", Effect: "NoSchedule"}}),
			node:                               nodeWithTaints("nodeA", []v1.Taint{{Key: "node.kubernetes.io/sla", Value: "800", Effect: "NoSchedule"}}),
			enableTaintTolerationComparisonOps: true,
		},
		{
			name: "Pod with Gt toleration cannot be scheduled on node with non-numeric taint value",
			pod:  podWithTolerations("pod1", []v1.Toleration{{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "950", Effect: "NoSchedule"}}),
			node: nodeWithTaints("nodeA", []v1.Taint{{Key: "node.kubernetes.io/sla", Value: "high", Effect: "NoSchedule"}}),
			wantStatus: framework.NewStatus(framework.UnschedulableAndUnresolvable,
				"node(s) had untolerated taint(s)"),
			enableTaintTolerationComparisonOps: true,
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if test.enableTaintTolerationComparisonOps {
				t.Skip(comparisonOpsSkip)
			}
			if got := filterOn(test.pod, test.node); !sameStatus(test.wantStatus, got) {
				t.Errorf("status: want %v, got %v", test.wantStatus, got)
			}
		})
	}
}

func TestTaintTolerationFilterWithFeatureGate(t *testing.T) {
	tests := []struct {
		name                               string
		pod                                *v1.Pod
		node                               *v1.Node
		enableTaintTolerationComparisonOps bool
		wantStatus                         *framework.Status
	}{
		{
			name:                               "Pod with Gt toleration can be scheduled when feature gate is enabled and taint value is higher",
			pod:                                podWithTolerations("pod1", []v1.Toleration{{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "750", Effect: "NoSchedule"}}),
			node:                               nodeWithTaints("nodeA", []v1.Taint{{Key: "node.kubernetes.io/sla", Value: "950", Effect: "NoSchedule"}}),
			enableTaintTolerationComparisonOps: true,
			wantStatus:                         nil,
		},
		{
			name: "Pod with Gt toleration cannot be scheduled when feature gate is disabled",
			pod: podWithTolerations("pod1", []v1.Toleration{
				{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "750", Effect: "NoSchedule"},
			}),
			node:                               nodeWithTaints("nodeA", []v1.Taint{{Key: "node.kubernetes.io/sla", Value: "950", Effect: "NoSchedule"}}),
			enableTaintTolerationComparisonOps: false,
			wantStatus:                         framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint(s)"),
		},
		{
			name:                               "Pod with Lt toleration can be scheduled when feature gate is enabled and taint value is lower",
			pod:                                podWithTolerations("pod1", []v1.Toleration{{Key: "node.kubernetes.io/sla", Operator: "Lt", Value: "950", Effect: "NoSchedule"}}),
			node:                               nodeWithTaints("nodeA", []v1.Taint{{Key: "node.kubernetes.io/sla", Value: "800", Effect: "NoSchedule"}}),
			enableTaintTolerationComparisonOps: true,
			wantStatus:                         nil,
		},
		{
			name: "Pod with Lt toleration cannot be scheduled when feature gate is disabled",
			pod: podWithTolerations("pod1", []v1.Toleration{
				{Key: "node.kubernetes.io/sla", Operator: "Lt", Value: "950", Effect: "NoSchedule"},
			}),
			node:                               nodeWithTaints("nodeA", []v1.Taint{{Key: "node.kubernetes.io/sla", Value: "800", Effect: "NoSchedule"}}),
			enableTaintTolerationComparisonOps: false,
			wantStatus:                         framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint(s)"),
		},
		{
			name: "Pod with mixed tolerations (Equal and Gt) when feature gate is disabled - only Equal is honored",
			pod: podWithTolerations("pod1", []v1.Toleration{
				{Key: "dedicated", Operator: "Equal", Value: "user1", Effect: "NoSchedule"},
				{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "750", Effect: "NoSchedule"},
			}),
			node: nodeWithTaints("nodeA", []v1.Taint{
				{Key: "dedicated", Value: "user1", Effect: "NoSchedule"},
			}),
			enableTaintTolerationComparisonOps: false,
			wantStatus:                         nil,
		},
		{
			name: "Pod with mixed tolerations, Gt toleration needed but filtered out when feature gate is disabled",
			pod: podWithTolerations("pod1", []v1.Toleration{
				{Key: "dedicated", Operator: "Equal", Value: "user1", Effect: "NoSchedule"},
				{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "750", Effect: "NoSchedule"},
			}),
			node: nodeWithTaints("nodeA", []v1.Taint{
				{Key: "dedicated", Value: "user1", Effect: "NoSchedule"},
				{Key: "node.kubernetes.io/sla", Value: "950", Effect: "NoSchedule"},
			}),
			enableTaintTolerationComparisonOps: false,
			wantStatus:                         framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint(s)"),
		},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if test.enableTaintTolerationComparisonOps {
				t.Skip(comparisonOpsSkip)
			}
			if got := filterOn(test.pod, test.node); !sameStatus(test.wantStatus, got) {
				t.Errorf("status: want %v, got %v", test.wantStatus, got)
			}
		})
	}
}
