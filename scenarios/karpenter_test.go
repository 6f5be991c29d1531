package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const karpenterBase = `name: s
duration: 1m
cluster:
  autoscaling: {karpenter: {}}
  nodeGroups: [{name: s, instanceType: m5.large, count: 1}]
workloads:
  - manifest:
      apiVersion: karpenter.sh/v1
      kind: NodePool
      metadata: {name: default}
      spec:
        template:
          spec:
            requirements:
              - REQ
            nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
        limits: {cpu: LIMIT}
`

// TestNodePoolErrors: a NodePool's requirements and limits are checked
// against the catalogue, positioned, with did-you-mean hints.
func TestNodePoolErrors(t *testing.T) {
	for _, tc := range []struct {
		name, req, limit, want string
	}{
		{"unknown key in karpenter.k8s.aws", "{key: karpenter.k8s.aws/instance-famly, operator: In, values: [m5]}", "100",
			"s.yaml:15:23: NodePool default: spec.template.spec.requirements[0].key: unknown label \"karpenter.k8s.aws/instance-famly\" in the restricted domain \"karpenter.k8s.aws\"\n  hint: did you mean \"karpenter.k8s.aws/instance-family\"?"},
		{"unknown instance type", "{key: node.kubernetes.io/instance-type, operator: In, values: [m5.large, m5.lrage]}", "100",
			"s.yaml:15:90: NodePool default: spec.template.spec.requirements[0].values[1]: unknown node.kubernetes.io/instance-type \"m5.lrage\"\n  hint: did you mean \"m5.large\"?"},
		{"unknown capacity type", "{key: karpenter.sh/capacity-type, operator: In, values: [ondemand]}", "100",
			"s.yaml:15:74: NodePool default: spec.template.spec.requirements[0].values[0]: unknown karpenter.sh/capacity-type \"ondemand\"\n  hint: did you mean \"on-demand\"?"},
		{"limit below one node", "{key: karpenter.k8s.aws/instance-family, operator: In, values: [m5]}", "1",
			"s.yaml:17:23: NodePool default: spec.limits.cpu 1 is below one node: the smallest instance type it allows, m5.large, has 2\n  hint: raise the limit or allow smaller instance types"},
		{"bad operator", "{key: kubernetes.io/arch, operator: Within, values: [amd64]}", "100",
			"spec.template.spec.requirements[0].operator: Unsupported value: \"Within\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(strings.Replace(karpenterBase, "REQ", tc.req, 1), "LIMIT", tc.limit, 1)
			_, err := Parse("s.yaml", []byte(src), nil)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
	src := strings.Replace(strings.Replace(karpenterBase, "REQ", "{key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m]}", 1), "LIMIT", "100", 1)
	_, err := Parse("s.yaml", []byte(src), nil)
	require.NoError(t, err)
}
