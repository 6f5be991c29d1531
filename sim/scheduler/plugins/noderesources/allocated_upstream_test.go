package noderesources

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (our cache snapshot and plugin instead of upstream's framework;
// the usual case one row, built by scored):
//   kubernetes v1.37.2 pkg/scheduler/framework/plugins/noderesources/
//     least_allocated_test.go  TestLeastAllocatedScoringStrategy
//     most_allocated_test.go   TestMostAllocatedScoringStrategy
// Cases that configure scoring resources other than upstream's default
// (cpu and memory, weight 1 each), an extended resource, or invalid
// plugin arguments are skipped with that reason: the simulator's
// NodeResourcesFit scores cpu and memory with the default weights only.

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
	"github.com/kubesim/kubesim/sim/scheduler/internal/st"
)

type nodeScore = schedtest.NodeScore

type resourceSpec struct {
	Name   string
	Weight int64
}

const extendedRes = "abc.com/xyz"

var (
	defaultResources = []resourceSpec{
		{Name: string(v1.ResourceCPU), Weight: 1},
		{Name: string(v1.ResourceMemory), Weight: 1},
	}
	extendedResourceSet = []resourceSpec{
		{Name: string(v1.ResourceCPU), Weight: 1},
		{Name: string(v1.ResourceMemory), Weight: 1},
		{Name: extendedRes, Weight: 1},
	}
)

// scoringSkip says why a case's configuration is outside the model.
func scoringSkip(resources []resourceSpec, wantErrs field.ErrorList) string {
	if len(wantErrs) > 0 {
		return "invalid NodeResourcesFit arguments: plugin arguments are not configurable in the simulator"
	}
	if !reflect.DeepEqual(resources, defaultResources) {
		return "scoring resources/weights other than cpu:1, memory:1 are not configurable in the simulator"
	}
	return ""
}

func runScoring(t *testing.T, strategy string, requestedPod *v1.Pod, nodes []*v1.Node, existingPods []*v1.Pod, expected []nodeScore) {
	t.Helper()
	snapshot := schedtest.Snapshot(nodes, st.Named(existingPods))
	p := NewFit(strategy)
	state := framework.NewCycleState()
	if status := p.PreScore(state, requestedPod, snapshot.NodeInfos()); !status.IsSuccess() {
		t.Errorf("PreScore is expected to return success, but didn't. Got status: %v", status)
	}
	var got []nodeScore
	for _, n := range nodes {
		score, status := p.Score(state, requestedPod, snapshot.Get(n.Name))
		if !status.IsSuccess() {
			t.Errorf("unexpected status %v", status)
		}
		got = append(got, nodeScore{Name: n.Name, Score: score})
	}
	assert.Equal(t, expected, got, "scores")
}

// allocatedCase is a case of TestLeastAllocatedScoringStrategy or
// TestMostAllocatedScoringStrategy.
type allocatedCase struct {
	name           string
	requestedPod   *v1.Pod
	nodes          []*v1.Node
	existingPods   []*v1.Pod
	expectedScores []nodeScore
	resources      []resourceSpec
	wantErrs       field.ErrorList
	wantStatusCode framework.Code
}

// The builders of the two tables' cases: what upstream's literals repeat.

func cpuMem(cpu, memory string) map[v1.ResourceName]string {
	return map[v1.ResourceName]string{"cpu": cpu, "memory": memory}
}

func capacityNode(name, cpu, memory string) *v1.Node {
	return st.MakeNode().Name(name).Capacity(cpuMem(cpu, memory)).Obj()
}

func nodes(n ...*v1.Node) []*v1.Node { return n }

func podOn(node, cpu, memory string) *v1.Pod {
	return st.MakePod().Node(node).Req(cpuMem(cpu, memory)).Obj()
}

// usualRequest is the incoming pod most cases use: two containers, 1000
// cpu and 2000 memory, 2000 cpu and 3000 memory.
func usualRequest() *st.PodWrapper {
	return st.MakePod().Req(cpuMem("1000", "2000")).Req(cpuMem("2000", "3000"))
}

// scores are the expected scores of node1 and node2.
func scores(node1, node2 int64) []nodeScore {
	return []nodeScore{{Name: "node1", Score: node1}, {Name: "node2", Score: node2}}
}

// scored is the usual case: default resources and weights, no error.
func scored(name string, pod *v1.Pod, nodes []*v1.Node, existing []*v1.Pod, want []nodeScore) allocatedCase {
	return allocatedCase{name: name, requestedPod: pod, nodes: nodes, existingPods: existing,
		expectedScores: want, resources: defaultResources}
}

func TestLeastAllocatedScoringStrategy(t *testing.T) {
	tests := []allocatedCase{
		// Node1 scores (remaining resources) on 0-MaxNodeScore scale
		// CPU Score: ((4000 - 0) * MaxNodeScore) / 4000 = MaxNodeScore
		// Memory Score: ((10000 - 0) * MaxNodeScore) / 10000 = MaxNodeScore
		// Node1 Score: (100 + 100) / 2 = 100
		// Node2 scores (remaining resources) on 0-MaxNodeScore scale
		// CPU Score: ((4000 - 0) * MaxNodeScore) / 4000 = MaxNodeScore
		// Memory Score: ((10000 - 0) * MaxNodeScore) / 10000 = MaxNodeScore
		// Node2 Score: (MaxNodeScore + MaxNodeScore) / 2 = MaxNodeScore
		scored("nothing scheduled, nothing requested", st.MakePod().Obj(),
			nodes(capacityNode("node1", "4000", "10000"), capacityNode("node2", "4000", "10000")), nil, scores(framework.MaxNodeScore, framework.MaxNodeScore)),
		// Node1 scores on 0-MaxNodeScore scale
		// CPU Score: ((4000 - 3000) * MaxNodeScore) / 4000 = 25
		// Memory Score: ((10000 - 5000) * MaxNodeScore) / 10000 = 50
		// Node1 Score: (25 + 50) / 2 = 37
		// Node2 scores on 0-MaxNodeScore scale
		// CPU Score: ((6000 - 3000) * MaxNodeScore) / 6000 = 50
		// Memory Score: ((10000 - 5000) * MaxNodeScore) / 10000 = 50
		// Node2 Score: (50 + 50) / 2 = 50
		scored("nothing scheduled, resources requested, differently sized nodes", usualRequest().Obj(),
			nodes(capacityNode("node1", "4000", "10000"), capacityNode("node2", "6000", "10000")), nil, scores(37, 50)),
		{
			name:           "Resources not set, pods scheduled with error",
			requestedPod:   usualRequest().Obj(),
			nodes:          nodes(capacityNode("node1", "4000", "10000"), capacityNode("node2", "6000", "10000")),
			existingPods:   nil,
			expectedScores: scores(framework.MinNodeScore, framework.MinNodeScore),
			resources:      nil,
			wantStatusCode: framework.Error,
		},
		{
			// Node1 scores on 0-MaxNodeScore scale
			// CPU Score: ((4000 - 0) * MaxNodeScore) / 4000 = MaxNodeScore
			// Memory Score: ((10000 - 0) * MaxNodeScore) / 10000 = MaxNodeScore
			// Node1 Score: (MaxNodeScore + MaxNodeScore) / 2 = MaxNodeScore
			// Node2 scores on 0-MaxNodeScore scale
			// CPU Score: ((4000 - 0) * MaxNodeScore) / 4000 = MaxNodeScore
			// Memory Score: ((10000 - 0) * MaxNodeScore) / 10000 = MaxNodeScore
			// Node2 Score: (MaxNodeScore + MaxNodeScore) / 2 = MaxNodeScore
			name:         "no resources requested, pods scheduled",
			requestedPod: st.MakePod().Obj(),
			nodes:        nodes(capacityNode("node1", "4000", "10000"), capacityNode("node2", "4000", "10000")),
			existingPods: []*v1.Pod{st.MakePod().Node("node1").Obj(), st.MakePod().Node("node1").Obj(),
				st.MakePod().Node("node2").Obj(), st.MakePod().Node("node2").Obj()},
			expectedScores: scores(framework.MaxNodeScore, framework.MaxNodeScore),
			resources:      defaultResources,
		},
		// Node1 scores on 0-MaxNodeScore scale
		// CPU Score: ((10000 - 6000) * MaxNodeScore) / 10000 = 40
		// Memory Score: ((20000 - 0) * MaxNodeScore) / 20000 = MaxNodeScore
		// Node1 Score: (40 + 100) / 2 = 70
		// Node2 scores on 0-MaxNodeScore scale
		// CPU Score: ((10000 - 6000) * MaxNodeScore) / 10000 = 40
		// Memory Score: ((20000 - 5000) * MaxNodeScore) / 20000 = 75
		// Node2 Score: (40 + 75) / 2 = 57
		scored("no resources requested, pods scheduled with resources", st.MakePod().Obj(),
			nodes(capacityNode("node1", "10000", "20000"), capacityNode("node2", "10000", "20000")),
			[]*v1.Pod{podOn("node1", "3000", "0"), podOn("node1", "3000", "0"),
				podOn("node2", "3000", "0"), podOn("node2", "3000", "5000")}, scores(70, 57)),
		// Node1 scores on 0-MaxNodeScore scale
		// CPU Score: ((10000 - 6000) * MaxNodeScore) / 10000 = 40
		// Memory Score: ((20000 - 5000) * MaxNodeScore) / 20000 = 75
		// Node1 Score: (40 + 75) / 2 = 57
		// Node2 scores on 0-MaxNodeScore scale
		// CPU Score: ((10000 - 6000) * MaxNodeScore) / 10000 = 40
		// Memory Score: ((20000 - 10000) * MaxNodeScore) / 20000 = 50
		// Node2 Score: (40 + 50) / 2 = 45
		scored("resources requested, pods scheduled with resources", usualRequest().Obj(),
			nodes(capacityNode("node1", "10000", "20000"), capacityNode("node2", "10000", "20000")),
			[]*v1.Pod{podOn("node1", "3000", "0"), podOn("node2", "3000", "5000")}, scores(57, 45)),
		// Node1 scores on 0-MaxNodeScore scale
		// CPU Score: ((10000 - 6000) * MaxNodeScore) / 10000 = 40
		// Memory Score: ((20000 - 5000) * MaxNodeScore) / 20000 = 75
		// Node1 Score: (40 + 75) / 2 = 57
		// Node2 scores on 0-MaxNodeScore scale
		// CPU Score: ((10000 - 6000) * MaxNodeScore) / 10000 = 40
		// Memory Score: ((50000 - 10000) * MaxNodeScore) / 50000 = 80
		// Node2 Score: (40 + 80) / 2 = 60
		scored("resources requested, pods scheduled with resources, differently sized nodes", usualRequest().Obj(),
			nodes(capacityNode("node1", "10000", "20000"), capacityNode("node2", "10000", "50000")),
			[]*v1.Pod{podOn("node1", "3000", "0"), podOn("node2", "3000", "5000")}, scores(57, 60)),
		// Node1 scores on 0-MaxNodeScore scale
		// CPU Score: ((4000 - 6000) * MaxNodeScore) / 4000 = 0
		// Memory Score: ((10000 - 0) * MaxNodeScore) / 10000 = MaxNodeScore
		// Node1 Score: (0 + MaxNodeScore) / 2 = 50
		// Node2 scores on 0-MaxNodeScore scale
		// CPU Score: ((4000 - 6000) * MaxNodeScore) / 4000 = 0
		// Memory Score: ((10000 - 5000) * MaxNodeScore) / 10000 = 50
		// Node2 Score: (0 + 50) / 2 = 25
		scored("requested resources exceed node capacity", st.MakePod().Req(cpuMem("3000", "0")).Obj(),
			nodes(capacityNode("node1", "4000", "10000"), capacityNode("node2", "4000", "10000")),
			[]*v1.Pod{podOn("node1", "3000", "0"), podOn("node2", "3000", "5000")}, scores(50, 25)),
		{
			name:         "zero node resources, pods scheduled with resources",
			requestedPod: st.MakePod().Obj(),
			nodes: []*v1.Node{
				st.MakeNode().Name("node1").Obj(),
				st.MakeNode().Name("node2").Obj(),
			},
			existingPods:   []*v1.Pod{podOn("node1", "3000", "0"), podOn("node2", "3000", "5000")},
			expectedScores: scores(framework.MinNodeScore, framework.MinNodeScore),
			resources:      defaultResources,
		},
		{
			// CPU Score: ((4000 - 3000) *100) / 4000 = 25
			// Memory Score: ((10000 - 5000) *100) / 10000 = 50
			// Node1 Score: (25 * 1 + 50 * 2) / (1 + 2) = 41
			// CPU Score: ((6000 - 3000) *100) / 6000 = 50
			// Memory Score: ((10000 - 5000) *100) / 10000 = 50
			// Node2 Score: (50 * 1 + 50 * 2) / (1 + 2) = 50
			name:           "nothing scheduled, resources requested with different weight on CPU and memory, differently sized nodes",
			requestedPod:   usualRequest().Node("node1").Obj(),
			nodes:          nodes(capacityNode("node1", "4000", "10000"), capacityNode("node2", "6000", "10000")),
			existingPods:   nil,
			expectedScores: scores(41, 50),
			resources: []resourceSpec{
				{Name: "memory", Weight: 2},
				{Name: "cpu", Weight: 1},
			},
		},
		{
			// resource with negative weight is not allowed
			name:         "resource with negative weight",
			requestedPod: usualRequest().Node("node1").Obj(),
			nodes:        nodes(capacityNode("node1", "4000", "10000")),
			resources: []resourceSpec{
				{Name: "memory", Weight: -1},
				{Name: "cpu", Weight: 1},
			},
			wantErrs: field.ErrorList{
				&field.Error{
					Type:  field.ErrorTypeInvalid,
					Field: "scoringStrategy.resources[0].weight",
				},
			},
		},
		{
			// resource with zero weight is not allowed
			name:           "resource with zero weight",
			requestedPod:   usualRequest().Node("node1").Obj(),
			nodes:          nodes(capacityNode("node1", "4000", "10000")),
			existingPods:   nil,
			expectedScores: scores(41, 50),
			resources: []resourceSpec{
				{Name: "memory", Weight: 1},
				{Name: "cpu", Weight: 0},
			},
			wantErrs: field.ErrorList{
				&field.Error{
					Type:  field.ErrorTypeInvalid,
					Field: "scoringStrategy.resources[1].weight",
				},
			},
		},
		{
			// resource weight should be less than MaxNodeScore
			name:         "resource weight larger than MaxNodeScore",
			requestedPod: usualRequest().Node("node1").Obj(),
			nodes:        nodes(capacityNode("node1", "4000", "10000")),
			resources: []resourceSpec{
				{Name: "memory", Weight: 1},
				{Name: "cpu", Weight: 101},
			},
			wantErrs: field.ErrorList{
				&field.Error{
					Type:  field.ErrorTypeInvalid,
					Field: "scoringStrategy.resources[1].weight",
				},
			},
		},
		{
			// Bypass extended resource if the pod does not request.
			// For both nodes: cpuScore and memScore are 50
			// Given that extended resource score are intentionally bypassed,
			// the final scores are:
			// - node1: (50 + 50) / 2 = 50
			// - node2: (50 + 50) / 2 = 50
			name:         "bypass extended resource if the pod does not request",
			requestedPod: usualRequest().Node("node1").Obj(),
			nodes: []*v1.Node{
				capacityNode("node1", "6000", "10000"),
				st.MakeNode().Name("node2").Capacity(map[v1.ResourceName]string{"cpu": "6000", "memory": "10000", v1.ResourceName(extendedRes): "4"}).Obj(),
			},
			expectedScores: scores(50, 50),
			resources:      extendedResourceSet,
		},
		{
			// Honor extended resource if the pod requests.
			// For both nodes: cpuScore and memScore are 50.
			// In terms of extended resource score:
			// - node1 get: 2 / 4 * 100 = 50
			// - node2 get: (10 - 2) / 10 * 100 = 80
			// So the final scores are:
			// - node1: (50 + 50 + 50) / 3 = 50
			// - node2: (50 + 50 + 80) / 3 = 60
			name: "honor extended resource if the pod requests",
			requestedPod: st.MakePod().Node("node1").
				Req(map[v1.ResourceName]string{"cpu": "3000", "memory": "5000", v1.ResourceName(extendedRes): "2"}).
				Obj(),
			nodes: []*v1.Node{
				st.MakeNode().Name("node1").Capacity(map[v1.ResourceName]string{"cpu": "6000", "memory": "10000", v1.ResourceName(extendedRes): "4"}).Obj(),
				st.MakeNode().Name("node2").Capacity(map[v1.ResourceName]string{"cpu": "6000", "memory": "10000", v1.ResourceName(extendedRes): "10"}).Obj(),
			},
			existingPods:   nil,
			expectedScores: scores(50, 60),
			resources:      extendedResourceSet,
		},
		{
			// If the node doesn't have a resource
			// CPU Score: ((6000 - 3000) * 100) / 6000 = 50
			// Memory Score: ((10000 - 4000) * 100) / 10000 = 60
			// Node1 Score: (50 * 1 + 60 * 1) / (1 + 1) = 55
			// Node2 Score: (50 * 1 + 60 * 1) / (1 + 1) = 55
			name: "if the node doesn't have a resource",
			requestedPod: st.MakePod().Node("node1").
				Req(cpuMem("3000", "4000")).
				Obj(),
			nodes: []*v1.Node{
				capacityNode("node1", "6000", "10000"),
				st.MakeNode().Name("node2").Capacity(map[v1.ResourceName]string{"cpu": "6000", "memory": "10000", v1.ResourceName(extendedRes): "4"}).Obj(),
			},
			expectedScores: scores(55, 55),
			resources: []resourceSpec{
				{Name: extendedRes, Weight: 2},
				{Name: string(v1.ResourceCPU), Weight: 1},
				{Name: string(v1.ResourceMemory), Weight: 1},
			},
		},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if r := scoringSkip(test.resources, test.wantErrs); r != "" {
				t.Skip(r)
			}
			runScoring(t, LeastAllocated, test.requestedPod, test.nodes, test.existingPods, test.expectedScores)
		})
	}
}

func TestMostAllocatedScoringStrategy(t *testing.T) {
	tests := []allocatedCase{
		// Node1 scores (used resources) on 0-MaxNodeScore scale
		// CPU Score: (0 * MaxNodeScore)  / 4000 = 0
		// Memory Score: (0 * MaxNodeScore) / 10000 = 0
		// Node1 Score: (0 + 0) / 2 = 0
		// Node2 scores (used resources) on 0-MaxNodeScore scale
		// CPU Score: (0 * MaxNodeScore) / 4000 = 0
		// Memory Score: (0 * MaxNodeScore) / 10000 = 0
		// Node2 Score: (0 + 0) / 2 = 0
		scored("nothing scheduled, nothing requested", st.MakePod().Obj(),
			nodes(capacityNode("node1", "4000", "10000"), capacityNode("node2", "4000", "10000")), nil, scores(framework.MinNodeScore, framework.MinNodeScore)),
		// Node1 scores on 0-MaxNodeScore scale
		// CPU Score: (3000 * MaxNodeScore) / 4000 = 75
		// Memory Score: (5000 * MaxNodeScore) / 10000 = 50
		// Node1 Score: (75 + 50) / 2 = 62
		// Node2 scores on 0-MaxNodeScore scale
		// CPU Score: (3000 * MaxNodeScore) / 6000 = 50
		// Memory Score: (5000 * MaxNodeScore) / 10000 = 50
		// Node2 Score: (50 + 50) / 2 = 50
		scored("nothing scheduled, resources requested, differently sized nodes", usualRequest().Obj(),
			nodes(capacityNode("node1", "4000", "10000"), capacityNode("node2", "6000", "10000")), nil, scores(62, 50)),
		{
			name:           "Resources not set, pods scheduled with error",
			requestedPod:   usualRequest().Obj(),
			nodes:          nodes(capacityNode("node1", "4000", "10000"), capacityNode("node2", "6000", "10000")),
			existingPods:   nil,
			expectedScores: scores(framework.MinNodeScore, framework.MinNodeScore),
			resources:      nil,
			wantStatusCode: framework.Error,
		},
		// Node1 scores on 0-MaxNodeScore scale
		// CPU Score: (6000 * MaxNodeScore) / 10000 = 60
		// Memory Score: (0 * MaxNodeScore) / 20000 = 0
		// Node1 Score: (60 + 0) / 2 = 30
		// Node2 scores on 0-MaxNodeScore scale
		// CPU Score: (6000 * MaxNodeScore) / 10000 = 60
		// Memory Score: (5000 * MaxNodeScore) / 20000 = 25
		// Node2 Score: (60 + 25) / 2 = 42
		scored("no resources requested, pods scheduled with resources", st.MakePod().Obj(),
			nodes(capacityNode("node1", "10000", "20000"), capacityNode("node2", "10000", "20000")),
			[]*v1.Pod{podOn("node1", "3000", "0"), podOn("node1", "3000", "0"),
				podOn("node2", "3000", "0"), podOn("node2", "3000", "5000")}, scores(30, 42)),
		// Node1 scores on 0-MaxNodeScore scale
		// CPU Score: (6000 * MaxNodeScore) / 10000 = 60
		// Memory Score: (5000 * MaxNodeScore) / 20000 = 25
		// Node1 Score: (60 + 25) / 2 = 42
		// Node2 scores on 0-MaxNodeScore scale
		// CPU Score: (6000 * MaxNodeScore) / 10000 = 60
		// Memory Score: (10000 * MaxNodeScore) / 20000 = 50
		// Node2 Score: (60 + 50) / 2 = 55
		scored("resources requested, pods scheduled with resources", usualRequest().Obj(),
			nodes(capacityNode("node1", "10000", "20000"), capacityNode("node2", "10000", "20000")),
			[]*v1.Pod{podOn("node1", "3000", "0"), podOn("node2", "3000", "5000")}, scores(42, 55)),
		{
			// Node1 scores on 0-MaxNodeScore scale
			// CPU Score: 5000 * MaxNodeScore / 5000 return 100
			// Memory Score: (9000 * MaxNodeScore) / 10000 = 90
			// Node1 Score: (100 + 90) / 2 = 95
			// Node2 scores on 0-MaxNodeScore scale
			// CPU Score: (5000 * MaxNodeScore) / 10000 = 50
			// Memory Score: 9000 * MaxNodeScore / 9000 return 100
			// Node2 Score: (50 + 100) / 2 = 75
			name: "resources requested equal node capacity",
			requestedPod: st.MakePod().
				Req(cpuMem("2000", "4000")).
				Req(cpuMem("3000", "5000")).
				Obj(),
			nodes:          nodes(capacityNode("node1", "5000", "10000"), capacityNode("node2", "10000", "9000")),
			existingPods:   nil,
			expectedScores: scores(95, 75),
			resources:      defaultResources,
		},
		{
			// CPU Score: (3000 *100) / 4000 = 75
			// Memory Score: (5000 *100) / 10000 = 50
			// Node1 Score: (75 * 1 + 50 * 2) / (1 + 2) = 58
			// CPU Score: (3000 *100) / 6000 = 50
			// Memory Score: (5000 *100) / 10000 = 50
			// Node2 Score: (50 * 1 + 50 * 2) / (1 + 2) = 50
			name:           "nothing scheduled, resources requested, differently sized nodes",
			requestedPod:   usualRequest().Obj(),
			nodes:          nodes(capacityNode("node1", "4000", "10000"), capacityNode("node2", "6000", "10000")),
			existingPods:   nil,
			expectedScores: scores(58, 50),
			resources: []resourceSpec{
				{Name: "memory", Weight: 2},
				{Name: "cpu", Weight: 1},
			},
		},
		{
			// Node1 scores on 0-MaxNodeScore scale
			// CPU Fraction: 300 / 250 = 100%
			// Memory Fraction: 600 / 1000 = 60%
			// Node1 Score: (100 + 60) / 2 = 80
			// Node2 scores on 0-MaxNodeScore scale
			// CPU Fraction: 100 / 250 = 40%
			// Memory Fraction: 200 / 1000 = 20%
			// Node2 Score: (20 + 40) / 2 = 30
			name:         "no resources requested, pods scheduled, nonzero request for resource",
			requestedPod: st.MakePod().Container("container").Obj(),
			nodes:        nodes(capacityNode("node1", "250m", "1000Mi"), capacityNode("node2", "250m", "1000Mi")),
			existingPods: []*v1.Pod{
				st.MakePod().Node("node1").Container("container").Obj(),
				st.MakePod().Node("node1").Container("container").Obj(),
			},
			expectedScores: scores(80, 30),
			resources:      defaultResources,
		},
		{
			// resource with negative weight is not allowed
			name:         "resource with negative weight",
			requestedPod: usualRequest().Obj(),
			nodes:        nodes(capacityNode("node2", "4000", "10000")),
			resources: []resourceSpec{
				{Name: "memory", Weight: -1},
				{Name: "cpu", Weight: 1},
			},
			wantErrs: field.ErrorList{
				&field.Error{
					Type:  field.ErrorTypeInvalid,
					Field: "scoringStrategy.resources[0].weight",
				},
			},
		},
		{
			// resource with zero weight is not allowed
			name:         "resource with zero weight",
			requestedPod: usualRequest().Obj(),
			nodes:        nodes(capacityNode("node2", "4000", "10000")),
			resources: []resourceSpec{
				{Name: "memory", Weight: 1},
				{Name: "cpu", Weight: 0},
			},
			wantErrs: field.ErrorList{
				&field.Error{
					Type:  field.ErrorTypeInvalid,
					Field: "scoringStrategy.resources[1].weight",
				},
			},
		},
		{
			// resource weight should be less than MaxNodeScore
			name:         "resource weight larger than MaxNodeScore",
			requestedPod: usualRequest().Obj(),
			nodes:        nodes(capacityNode("node2", "4000", "10000")),
			resources: []resourceSpec{
				{Name: "memory", Weight: 101},
			},
			wantErrs: field.ErrorList{
				&field.Error{
					Type:  field.ErrorTypeInvalid,
					Field: "scoringStrategy.resources[0].weight",
				},
			},
		},
		{
			// Bypass extended resource if the pod does not request.
			// For both nodes: cpuScore and memScore are 50
			// Given that extended resource score are intentionally bypassed,
			// the final scores are:
			// - node1: (50 + 50) / 2 = 50
			// - node2: (50 + 50) / 2 = 50
			name:         "bypass extended resource if the pod does not request",
			requestedPod: usualRequest().Obj(),
			nodes: []*v1.Node{
				capacityNode("node1", "6000", "10000"),
				st.MakeNode().Name("node2").Capacity(map[v1.ResourceName]string{"cpu": "6000", "memory": "10000", v1.ResourceName(extendedRes): "4"}).Obj(),
			},
			resources:      extendedResourceSet,
			existingPods:   nil,
			expectedScores: scores(50, 50),
		},
		{
			// Honor extended resource if the pod requests.
			// For both nodes: cpuScore and memScore are 50.
			// In terms of extended resource score:
			// - node1 get: 2 / 4 * 100 = 50
			// - node2 get: 2 / 10 * 100 = 20
			// So the final scores are:
			// - node1: (50 + 50 + 50) / 3 = 50
			// - node2: (50 + 50 + 20) / 3 = 40
			name: "honor extended resource if the pod request",
			requestedPod: st.MakePod().Node("node1").
				Req(map[v1.ResourceName]string{"cpu": "3000", "memory": "5000", v1.ResourceName(extendedRes): "2"}).
				Obj(),
			nodes: []*v1.Node{
				st.MakeNode().Name("node1").Capacity(map[v1.ResourceName]string{"cpu": "6000", "memory": "10000", v1.ResourceName(extendedRes): "4"}).Obj(),
				st.MakeNode().Name("node2").Capacity(map[v1.ResourceName]string{"cpu": "6000", "memory": "10000", v1.ResourceName(extendedRes): "10"}).Obj(),
			},
			resources:      extendedResourceSet,
			existingPods:   nil,
			expectedScores: scores(50, 40),
		},
		{
			// If the node doesn't have a resource
			// CPU Score: (3000 * 100) / 6000 = 50
			// Memory Score: (4000 * 100) / 10000 = 40
			// Node1 Score: (50 * 1 + 40 * 1) / (1 + 1) = 45
			// Node2 Score: (50 * 1 + 40 * 1) / (1 + 1) = 45
			name: "if the node doesn't have a resource",
			requestedPod: st.MakePod().Node("node1").
				Req(cpuMem("3000", "4000")).
				Obj(),
			nodes: []*v1.Node{
				capacityNode("node1", "6000", "10000"),
				st.MakeNode().Name("node2").Capacity(map[v1.ResourceName]string{"cpu": "6000", "memory": "10000", v1.ResourceName(extendedRes): "4"}).Obj(),
			},
			expectedScores: scores(45, 45),
			resources: []resourceSpec{
				{Name: extendedRes, Weight: 2},
				{Name: string(v1.ResourceCPU), Weight: 1},
				{Name: string(v1.ResourceMemory), Weight: 1},
			},
		},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if r := scoringSkip(test.resources, test.wantErrs); r != "" {
				t.Skip(r)
			}
			runScoring(t, MostAllocated, test.requestedPod, test.nodes, test.existingPods, test.expectedScores)
		})
	}
}
