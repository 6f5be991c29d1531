package defaultpreemption

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (nodes and pods go through our scheduler cache; the Filter
// plugins are NodeResourcesFit, as upstream's set-up with an always-
// passing fake filter; a PDB's DisruptionsAllowed is what our PDB lister
// reports):
//   kubernetes v1.37.2 pkg/scheduler/framework/plugins/defaultpreemption/default_preemption_test.go
//     TestSelectVictimsOnNode
// Skipped, with the reason: the "Workload Aware" and "Cross-node
// PodGroup" cases (13 of 19): every one of them builds PodGroups and
// turns on the alpha GenericWorkload / workload-aware preemption feature,
// which the simulator does not model (no PodGroup API, no gang
// scheduling); none is a plain-pod case in disguise. The rest of that
// file's tables are in preemption_upstream_test.go.

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	policy "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/kubesim/kubesim/sim"
	fwk "github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
	"github.com/kubesim/kubesim/sim/scheduler/internal/st"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/noderesources"
)

const workloadSkip = "workload-aware preemption (PodGroups, alpha GenericWorkload) is not modelled"

var (
	lowPriority, midPriority, highPriority = int32(0), int32(100), int32(1000)

	smallRes = map[v1.ResourceName]string{
		v1.ResourceCPU:    "100m",
		v1.ResourceMemory: "100",
	}
	mediumRes = map[v1.ResourceName]string{
		v1.ResourceCPU:    "200m",
		v1.ResourceMemory: "200",
	}
	largeRes = map[v1.ResourceName]string{
		v1.ResourceCPU:    "300m",
		v1.ResourceMemory: "300",
	}
	veryLargeRes = map[v1.ResourceName]string{
		v1.ResourceCPU:    "500m",
		v1.ResourceMemory: "500",
	}
)

// feature stands for upstream's feature.Features (only the flag these
// cases set).
type feature struct{ EnableGenericWorkload bool }

func TestSelectVictimsOnNodeUpstream(t *testing.T) {
	tests := []struct {
		name                       string
		nodeNames                  []string
		mainNode                   string
		initPods                   []*v1.Pod
		preemptor                  *v1.Pod
		pdbs                       []*policy.PodDisruptionBudget
		features                   feature
		expectedPods               sets.Set[string]
		expectedNumViolatingVictim int
		expectedStatus             *fwk.Status
	}{
		{
			name:      "Basic: Preempt single lower priority pod",
			nodeNames: []string{"node1"},
			mainNode:  "node1",
			initPods: []*v1.Pod{
				st.MakePod().Name("victim").UID("v1").Node("node1").Priority(lowPriority).Req(largeRes).Obj(),
			},
			preemptor:                  st.MakePod().Name("p").UID("p").Priority(highPriority).Req(largeRes).Obj(),
			expectedPods:               sets.New("victim"),
			expectedNumViolatingVictim: 0,
		},
		{
			name:      "Priority: Prefer lower priority victim",
			nodeNames: []string{"node1"},
			mainNode:  "node1",
			initPods: []*v1.Pod{
				st.MakePod().Name("high-prio").UID("v3").Node("node1").Priority(highPriority).Req(smallRes).Obj(),
				st.MakePod().Name("mid-prio").UID("v2").Node("node1").Priority(midPriority).Req(smallRes).Obj(),
				st.MakePod().Name("low-prio").UID("v1").Node("node1").Priority(lowPriority).Req(smallRes).Obj(),
			},
			preemptor:                  st.MakePod().Name("p").UID("p").Priority(highPriority).Req(largeRes).Obj(),
			expectedPods:               sets.New("low-prio"),
			expectedNumViolatingVictim: 0,
		},
		{
			name:      "PDB: Prefer non-violating victim with higher priority over violating victim with lower priority",
			nodeNames: []string{"node1"},
			mainNode:  "node1",
			initPods: []*v1.Pod{
				st.MakePod().Name("victim-pdb").UID("v1").Node("node1").Label("app", "foo").Priority(lowPriority).Req(mediumRes).Obj(),
				st.MakePod().Name("victim-no-pdb").UID("v2").Node("node1").Priority(midPriority).Req(mediumRes).Obj(),
			},
			pdbs: []*policy.PodDisruptionBudget{
				{
					Spec:   policy.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "foo"}}},
					Status: policy.PodDisruptionBudgetStatus{DisruptionsAllowed: 0},
				},
			},
			preemptor:                  st.MakePod().Name("p").UID("p").Priority(highPriority).Req(largeRes).Obj(),
			expectedPods:               sets.New("victim-no-pdb"),
			expectedNumViolatingVictim: 0,
		},
		{
			name:      "PDB: Prefer lower prioirity pod for preemption, when preemption without pdb violation is not possible",
			nodeNames: []string{"node1"},
			mainNode:  "node1",
			initPods: []*v1.Pod{
				st.MakePod().Name("v1").UID("v1").Node("node1").Label("app", "foo").Priority(lowPriority).Req(mediumRes).Obj(),
				st.MakePod().Name("v2").UID("v2").Node("node1").Label("app", "foo").Priority(midPriority).Req(mediumRes).Obj(),
			},
			pdbs: []*policy.PodDisruptionBudget{
				{
					Spec:   policy.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "foo"}}},
					Status: policy.PodDisruptionBudgetStatus{DisruptionsAllowed: 0},
				},
			},
			preemptor:                  st.MakePod().Name("p").UID("p").Priority(highPriority).Req(largeRes).Obj(),
			expectedPods:               sets.New("v1"),
			expectedNumViolatingVictim: 1,
		},
		{
			name:      "Failure: Cannot preempt the victim with higher priority",
			nodeNames: []string{"node1"},
			mainNode:  "node1",
			initPods: []*v1.Pod{
				st.MakePod().Name("victim").UID("v1").Node("node1").Priority(highPriority).Obj(),
			},
			preemptor:                  st.MakePod().Name("p").UID("p").Priority(midPriority).Obj(),
			expectedPods:               nil,
			expectedNumViolatingVictim: 0,
			expectedStatus:             fwk.NewStatus(fwk.UnschedulableAndUnresolvable),
		},
		{
			name:                       "Failure: Cannot preempt if node is empty",
			nodeNames:                  []string{"node1"},
			mainNode:                   "node1",
			initPods:                   []*v1.Pod{},
			preemptor:                  st.MakePod().Name("p").UID("p").Priority(midPriority).Obj(),
			expectedPods:               nil,
			expectedNumViolatingVictim: 0,
			expectedStatus:             fwk.NewStatus(fwk.UnschedulableAndUnresolvable),
		},
		// The workload-aware cases, listed by name only (their pods use
		// PodGroups, which the simulator does not model).
		{name: "Workload Aware: Atomic preemption of PodGroup", features: feature{EnableGenericWorkload: true}},
		{name: "Workload Aware: prefer single pod over podGroup for preemption candidate", features: feature{EnableGenericWorkload: true}},
		{name: "Workload Aware: preempt lower priority pod group instead of higher priority single pod", features: feature{EnableGenericWorkload: true}},
		{name: "Workload Aware: preempt lower priority single pod instead of higher priority pod group", features: feature{EnableGenericWorkload: true}},
		{name: "Workload Aware: PDB: PodGroup as victim with 2 PDB violations", features: feature{EnableGenericWorkload: true}},
		{name: "Workload Aware: PDB: Prefer non-violating PodGroup over lower-priority violating PodGroup (DisruptionModeAll)", features: feature{EnableGenericWorkload: true}},
		{name: "Workload Aware: PDB: Prefer non-violating PodGroup over lower-priority violating PodGroup (DisruptionModeSingle)", features: feature{EnableGenericWorkload: true}},
		{name: "Cross-node PodGroup: zone anti-affinity blocks reprieve via PreFilterExtension on node-a", features: feature{EnableGenericWorkload: true}},
		{name: "Cross-node PodGroup: zone anti-affinity blocks reprieve via PreFilterExtension on node-b", features: feature{EnableGenericWorkload: true}},
		{name: "Cross-node PodGroup: zone anti-affinity reprieve succeeds when remote pod lacks constraint label (negative control)", features: feature{EnableGenericWorkload: true}},
		{name: "Cross-node PodGroup: topology spread blocks reprieve via PreFilterExtension on node-a", features: feature{EnableGenericWorkload: true}},
		{name: "Cross-node PodGroup: topology spread blocks reprieve via PreFilterExtension on node-c", features: feature{EnableGenericWorkload: true}},
		{name: "Cross-node PodGroup: whole pod group across multiple nodes expected to be preempted", features: feature{EnableGenericWorkload: true}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.features.EnableGenericWorkload {
				t.Skip(workloadSkip)
			}
			labelKeys := []string{"hostname", "zone", "region"}
			nodes := make([]*v1.Node, len(tt.nodeNames))
			for i, nodeName := range tt.nodeNames {
				nodeWrapper := st.MakeNode().Capacity(veryLargeRes)
				tpKeys := strings.Split(nodeName, "/")
				nodeWrapper.Name(tpKeys[0])
				for i, labelVal := range tpKeys {
					nodeWrapper.Label(labelKeys[i], labelVal)
				}
				nodes[i] = nodeWrapper.Obj()
			}
			c := schedtest.Snapshot(nodes, tt.initPods)
			framework := fwk.NewFramework(fwk.PluginSpec{Plugin: noderesources.NewFit("")})
			state := fwk.NewCycleState()
			if status := framework.RunPreFilterPlugins(state, tt.preemptor); !status.IsSuccess() {
				t.Errorf("Unexpected PreFilter Status: %v", status)
			}
			pl := New(c, nil, sim.NewEngine(1).Rand("test"))
			pl.SetFramework(framework)
			allowed := make([]int32, len(tt.pdbs))
			for i, pdb := range tt.pdbs {
				allowed[i] = pdb.Status.DisruptionsAllowed
			}
			gotPods, gotNumViolating, gotStatus := pl.selectVictimsOnNode(state, tt.preemptor, c.Get(tt.mainNode), tt.pdbs, allowed)
			wantCode := tt.expectedStatus.Code()
			if gotStatus.Code() != wantCode {
				t.Errorf("Status mismatch. Want %v, Got %v", wantCode, gotStatus.Code())
			}
			if wantCode != fwk.Success {
				return
			}
			if gotNumViolating != tt.expectedNumViolatingVictim {
				t.Errorf("Violating victim count mismatch. Want %d, Got %d", tt.expectedNumViolatingVictim, gotNumViolating)
			}
			gotNames := sets.New[string]()
			for _, p := range gotPods {
				gotNames.Insert(p.Pod.Name)
			}
			if !gotNames.Equal(tt.expectedPods) {
				t.Errorf("Victims mismatch: want %v, got %v", sets.List(tt.expectedPods), sets.List(gotNames))
			}
		})
	}
}
