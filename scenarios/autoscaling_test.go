package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAutoscalingParses(t *testing.T) {
	in := strings.Replace(base, "cluster:\n", `cluster:
  region: eu-west-1
  autoscaling:
    clusterAutoscaler:
      expander: priority,least-waste
      scaleDownUnneededTime: 5m
      scaleDownUtilizationThreshold: 0.6
      balanceSimilarNodeGroups: true
      skipNodesWithSystemPods: false
      maxNodeProvisionTime: 10m
`, 1)
	in = strings.Replace(in, "count: 3}", "count: 3, min: 1, max: 9, capacityType: SPOT}", 1)
	s, err := Parse("s.yaml", []byte(in), testFS)
	require.NoError(t, err)
	require.Equal(t, "eu-west-1", s.Cluster.Region)
	require.Equal(t, []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, s.Cluster.Zones, "the region's zones")
	ca := s.Cluster.ClusterAutoscaler
	require.NotNil(t, ca)
	require.Equal(t, "priority,least-waste", ca.Expander)
	require.Equal(t, 5*time.Minute, ca.ScaleDownUnneededTime)
	require.Equal(t, 0.6, ca.ScaleDownUtilizationThreshold)
	require.True(t, ca.BalanceSimilarNodeGroups)
	require.False(t, *ca.SkipNodesWithSystemPods)
	require.Nil(t, ca.ScaleDownEnabled, "unset options stay unset (upstream default)")
	g := s.Cluster.NodeGroups[0]
	require.Equal(t, []int{1, 9}, []int{g.Min, g.Max})
	require.Equal(t, "SPOT", g.CapacityType)

	s, err = Parse("s.yaml", []byte(base), testFS)
	require.NoError(t, err)
	require.Nil(t, s.Cluster.ClusterAutoscaler, "off unless asked for")
	require.Equal(t, "us-east-1", s.Cluster.Region)
}

func TestAutoscalingErrors(t *testing.T) {
	ca := func(opts string) string {
		return strings.Replace(base, "cluster:\n", "cluster:\n  autoscaling:\n    clusterAutoscaler: "+opts+"\n", 1)
	}
	tests := []struct {
		name, in string
		want     []string
	}{
		{"unknown region", strings.Replace(base, "cluster:\n", "cluster:\n  region: us-east-9\n", 1),
			[]string{"s.yaml:4:11: cluster.region: no prices for region \"us-east-9\"\n  hint: did you mean \"us-east-1\"?"}},
		{"option typo", ca("{scaleDownUnneededTim: 5m}"),
			[]string{"s.yaml:5:25: unknown field \"scaleDownUnneededTim\" in cluster.autoscaling.clusterAutoscaler\n  hint: did you mean \"scaleDownUnneededTime\"?"}},
		{"unknown expander", ca("{expander: least-wast}"),
			[]string{"s.yaml:5:35: cluster.autoscaling.clusterAutoscaler.expander: unknown expander \"least-wast\"\n  hint: did you mean \"least-waste\"?"}},
		{"threshold out of range", ca("{scaleDownUtilizationThreshold: 1.5}"),
			[]string{"s.yaml:5:56: cluster.autoscaling.clusterAutoscaler.scaleDownUtilizationThreshold: expected a number greater than 0 and at most 1, got \"1.5\"\n  hint: e.g. 0.5 (half of allocatable)"}},
		{"backoff bounds", ca("{initialNodeGroupBackoffDuration: 40m}"),
			[]string{"s.yaml:5:24: cluster.autoscaling.clusterAutoscaler: maxNodeGroupBackoffDuration 30m0s is shorter than initialNodeGroupBackoffDuration 40m0s"}},
		{"karpenter unknown option", strings.Replace(base, "cluster:\n", "cluster:\n  autoscaling: {karpenter: {batchIdle: 2s}}\n", 1),
			[]string{"s.yaml:4:29: unknown field \"batchIdle\" in cluster.autoscaling.karpenter\n  hint: valid fields: batchIdleDuration, batchMaxDuration, featureGates"}},
		{"karpenter batch bounds", strings.Replace(base, "cluster:\n", "cluster:\n  autoscaling: {karpenter: {batchIdleDuration: 20s}}\n", 1),
			[]string{"s.yaml:4:28: cluster.autoscaling.karpenter: batchMaxDuration 10s is shorter than batchIdleDuration 20s"}},
		{"capacity type", strings.Replace(base, "count: 3}", "count: 3, capacityType: spot}", 1),
			[]string{"s.yaml:5:71: cluster.nodeGroups[0].capacityType: unknown capacity type \"spot\" (EKS managed node groups take ON_DEMAND or SPOT)\n  hint: did you mean \"SPOT\"?"}},
		{"min above max", strings.Replace(base, "count: 3}", "count: 3, min: 5, max: 4}", 1),
			[]string{"s.yaml:5:62: cluster.nodeGroups[0]: min 5 is larger than count 3"}},
		{"ec2 unknown type", base + "timeline:\n  - at: 1m\n    ec2: {insufficientCapacity: {type: m5.lrage, zone: us-east-1a}}\n",
			[]string{"s.yaml:8:40: ec2.insufficientCapacity.type: unknown instance type \"m5.lrage\"\n  hint: did you mean \"m5.large\"?"}},
		{"ec2 unknown zone", base + "timeline:\n  - at: 1m\n    ec2: {insufficientCapacity: {type: m5.large, zone: us-east-1q}}\n",
			[]string{"s.yaml:8:33: ec2.insufficientCapacity: no zone \"us-east-1q\" in this cluster\n  hint: did you mean \"us-east-1a\"?"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireParseErrors(t, tc.in, testFS, tc.want)
		})
	}
}
