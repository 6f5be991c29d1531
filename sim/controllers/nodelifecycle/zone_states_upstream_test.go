package nodelifecycle

// Ported from upstream, inputs and expected values unchanged, harness
// adapted:
//   kubernetes v1.37.2 pkg/controller/nodelifecycle/node_lifecycle_controller_test.go
//     TestMonitorNodeHealth (the zone states)
// Harness: as monitor_upstream_test.go's (timestamps shifted to the
// simulator's clock, nodes written to the store directly, a pass is
// monitorNodeHealth); the second pass runs 60 virtual minutes later after
// each node's status is replaced by the table's, as upstream's fake node
// handler does. The controller uses upstream's test thresholds (large
// cluster 20 nodes, unhealthy zone 55%). Zone ids are upstream's
// CreateZoneID (region ":\x00:" zone). No case is skipped.

import (
	"maps"
	"slices"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func createZoneID(region, zone string) string { return region + ":\x00:" + zone }

func TestMonitorNodeHealthUpstream(t *testing.T) {
	fakeNow := metav1.Date(2015, 1, 1, 12, 0, 0, 0, time.UTC)
	timeToPass := 60 * time.Minute
	healthyNodeNewStatus := v1.NodeStatus{
		Conditions: []v1.NodeCondition{
			{
				Type:               v1.NodeReady,
				Status:             v1.ConditionTrue,
				LastHeartbeatTime:  metav1.NewTime(fakeNow.Add(timeToPass)),
				LastTransitionTime: fakeNow,
			},
		},
	}
	unhealthyNodeNewStatus := v1.NodeStatus{
		Conditions: []v1.NodeCondition{
			{
				Type:   v1.NodeReady,
				Status: v1.ConditionUnknown,
				// Node status was updated by nodecontroller timeToPass ago
				LastHeartbeatTime:  fakeNow,
				LastTransitionTime: fakeNow,
			},
		},
	}
	zoneLabels := func(region, zone string) map[string]string {
		return map[string]string{
			v1.LabelTopologyRegion:          region,
			v1.LabelTopologyZone:            zone,
			v1.LabelFailureDomainBetaRegion: region,
			v1.LabelFailureDomainBetaZone:   zone,
		}
	}
	ready := func(s v1.ConditionStatus) v1.NodeStatus {
		return v1.NodeStatus{Conditions: []v1.NodeCondition{{
			Type:               v1.NodeReady,
			Status:             s,
			LastHeartbeatTime:  metav1.Date(2015, 1, 1, 12, 0, 0, 0, time.UTC),
			LastTransitionTime: metav1.Date(2015, 1, 1, 12, 0, 0, 0, time.UTC),
		}}}
	}
	node := func(name string, labels map[string]string, status v1.NodeStatus) *v1.Node {
		return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: fakeNow, Labels: labels}, Status: status}
	}

	// The zones' ids, as upstream's CreateZoneID makes them.
	r1z1, r1z2, r2z2 := createZoneID("region1", "zone1"), createZoneID("region1", "zone2"), createZoneID("region2", "zone2")

	tests := map[string]struct {
		nodeList                []*v1.Node
		updatedNodeStatuses     []v1.NodeStatus
		expectedInitialStates   map[string]ZoneState
		expectedFollowingStates map[string]ZoneState
	}{
		"No Disruption: Node created recently without failure domain labels (happens only at cluster startup)": {
			nodeList: []*v1.Node{
				node("node0", nil, v1.NodeStatus{Conditions: []v1.NodeCondition{{
					Type: v1.NodeReady, Status: v1.ConditionTrue, LastHeartbeatTime: fakeNow, LastTransitionTime: fakeNow,
				}}}),
			},
			updatedNodeStatuses:     []v1.NodeStatus{healthyNodeNewStatus},
			expectedInitialStates:   map[string]ZoneState{"": StateNormal},
			expectedFollowingStates: map[string]ZoneState{"": StateNormal},
		},
		"No Disruption: Initially both zones down, one comes back": {
			nodeList: []*v1.Node{
				node("node0", zoneLabels("region1", "zone1"), ready(v1.ConditionUnknown)),
				node("node1", zoneLabels("region1", "zone2"), ready(v1.ConditionUnknown)),
			},
			updatedNodeStatuses:     []v1.NodeStatus{unhealthyNodeNewStatus, healthyNodeNewStatus},
			expectedInitialStates:   map[string]ZoneState{r1z1: StateFullDisruption, r1z2: StateFullDisruption},
			expectedFollowingStates: map[string]ZoneState{r1z1: StateFullDisruption, r1z2: StateNormal},
		},
		"Partial Disruption: Nodes created recently without status conditions (happens only at cluster startup)": {
			nodeList: []*v1.Node{
				node("node0", zoneLabels("region1", "zone1"), v1.NodeStatus{}),
				node("node1", zoneLabels("region1", "zone1"), v1.NodeStatus{}),
				node("node2", zoneLabels("region1", "zone1"), v1.NodeStatus{}),
				node("node3", zoneLabels("region1", "zone1"), v1.NodeStatus{}),
			},
			updatedNodeStatuses: []v1.NodeStatus{unhealthyNodeNewStatus, unhealthyNodeNewStatus, unhealthyNodeNewStatus, healthyNodeNewStatus},
			// we've not received any status for the nodes yet
			// so the controller assumes the zones is fully disrupted
			expectedInitialStates:   map[string]ZoneState{r1z1: StateFullDisruption},
			expectedFollowingStates: map[string]ZoneState{r1z1: StatePartialDisruption},
		},
		"Partial Disruption: one Node failed leading to the number of healthy Nodes to exceed the configured threshold": {
			nodeList: []*v1.Node{
				node("node0", zoneLabels("region1", "zone1"), ready(v1.ConditionUnknown)),
				node("node1", zoneLabels("region1", "zone1"), ready(v1.ConditionUnknown)),
				node("node2", zoneLabels("region1", "zone1"), ready(v1.ConditionTrue)),
				node("node3", zoneLabels("region1", "zone1"), ready(v1.ConditionTrue)),
				node("node4", zoneLabels("region1", "zone1"), ready(v1.ConditionTrue)),
			},
			updatedNodeStatuses:     []v1.NodeStatus{unhealthyNodeNewStatus, unhealthyNodeNewStatus, unhealthyNodeNewStatus, healthyNodeNewStatus, healthyNodeNewStatus},
			expectedInitialStates:   map[string]ZoneState{r1z1: StateNormal},
			expectedFollowingStates: map[string]ZoneState{r1z1: StatePartialDisruption},
		},
		"Full Disruption: the zone has less than 2 Nodes down, the last healthy Node has failed": {
			nodeList: []*v1.Node{
				node("node0", zoneLabels("region1", "zone1"), ready(v1.ConditionUnknown)),
				node("node1", zoneLabels("region1", "zone1"), ready(v1.ConditionUnknown)),
				node("node2", zoneLabels("region1", "zone1"), ready(v1.ConditionTrue)),
			},
			updatedNodeStatuses: []v1.NodeStatus{unhealthyNodeNewStatus, unhealthyNodeNewStatus, unhealthyNodeNewStatus},
			// if a zone has a number of unhealthy nodes less or equal to 2
			// the controller will consider it normal regardless on
			// the ration of healthy vs unhealthy nodes
			expectedInitialStates:   map[string]ZoneState{r1z1: StateNormal},
			expectedFollowingStates: map[string]ZoneState{r1z1: StateFullDisruption},
		},
		"Full Disruption: all the Nodes in one zone are down": {
			nodeList: []*v1.Node{
				node("node0", zoneLabels("region1", "zone1"), ready(v1.ConditionUnknown)),
				node("node1", zoneLabels("region1", "zone2"), ready(v1.ConditionTrue)),
			},
			updatedNodeStatuses:     []v1.NodeStatus{unhealthyNodeNewStatus, healthyNodeNewStatus},
			expectedInitialStates:   map[string]ZoneState{r1z1: StateFullDisruption, r1z2: StateNormal},
			expectedFollowingStates: map[string]ZoneState{r1z1: StateFullDisruption, r1z2: StateNormal},
		},
		"Full Disruption: all the Nodes in both the zones are down": {
			nodeList: []*v1.Node{
				node("node0", zoneLabels("region1", "zone1"), ready(v1.ConditionUnknown)),
				node("node1", zoneLabels("region2", "zone2"), ready(v1.ConditionUnknown)),
			},
			updatedNodeStatuses:     []v1.NodeStatus{unhealthyNodeNewStatus, unhealthyNodeNewStatus},
			expectedInitialStates:   map[string]ZoneState{r1z1: StateFullDisruption, r2z2: StateFullDisruption},
			expectedFollowingStates: map[string]ZoneState{r1z1: StateFullDisruption, r2z2: StateFullDisruption},
		},
		"Full Disruption: Ready condition removed from the Node": {
			nodeList: []*v1.Node{
				node("node0", zoneLabels("region1", "zone1"), ready(v1.ConditionTrue)),
			},
			updatedNodeStatuses:     []v1.NodeStatus{{Conditions: []v1.NodeCondition{}}},
			expectedInitialStates:   map[string]ZoneState{r1z1: StateNormal},
			expectedFollowingStates: map[string]ZoneState{r1z1: StateFullDisruption},
		},
		"Full Disruption: the only available Node has the node.kubernetes.io/exclude-disruption label": {
			nodeList: []*v1.Node{
				node("node0", zoneLabels("region1", "zone1"), ready(v1.ConditionUnknown)),
				node("node-master", func() map[string]string {
					l := zoneLabels("region1", "zone1")
					l[labelExcludeDisruption] = ""
					return l
				}(), ready(v1.ConditionTrue)),
			},
			updatedNodeStatuses:     []v1.NodeStatus{unhealthyNodeNewStatus, healthyNodeNewStatus},
			expectedInitialStates:   map[string]ZoneState{r1z1: StateFullDisruption},
			expectedFollowingStates: map[string]ZoneState{r1z1: StateFullDisruption},
		},
	}

	for _, testName := range slices.Sorted(maps.Keys(tests)) {
		tt := tests[testName]
		t.Run(testName, func(t *testing.T) {
			w, shift := upstreamWorld(fakeNow)
			e, st, srv := w.Engine, w.Store, w.Server
			for _, n := range tt.nodeList {
				if _, err := st.Create(shiftNode(n, shift)); err != nil {
					t.Fatal(err)
				}
			}
			c := New(e, srv.Client("node-lifecycle-controller"), Config{
				MonitorGracePeriod: 50 * time.Second, StartupGracePeriod: 60 * time.Second, MonitorPeriod: 5 * time.Second,
				LargeClusterThreshold: 20, UnhealthyZoneThreshold: 0.55,
			})
			syncAndDiffZoneState := func(wanted map[string]ZoneState) {
				t.Helper()
				c.monitorNodeHealth()
				if !maps.Equal(wanted, c.states) {
					t.Errorf("unexpected zone state: want %q, got %q", wanted, c.states)
				}
			}

			// initial zone state
			syncAndDiffZoneState(tt.expectedInitialStates)

			// following zone state
			e.RunUntil(e.Elapsed() + timeToPass)
			for i := range tt.updatedNodeStatuses {
				o, _ := st.Get("Node", "", tt.nodeList[i].Name)
				n := o.(*v1.Node).DeepCopy()
				n.Status = *tt.updatedNodeStatuses[i].DeepCopy()
				shiftStatus(&n.Status, shift)
				if _, err := st.Update(n); err != nil {
					t.Fatal(err)
				}
			}
			syncAndDiffZoneState(tt.expectedFollowingStates)
		})
	}
}
