package kubeapi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const karpenterManifest = `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  role: KarpenterNodeRole-demo
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
spec:
  weight: 10
  template:
    spec:
      requirements:
        - {key: karpenter.sh/capacity-type, operator: In, values: [spot, on-demand]}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  limits:
    cpu: 100
`

// TestKubectlKarpenterKinds: the real kubectl creates and lists
// Karpenter's kinds with their CRDs' printer columns and defaults, finds
// them by category and short name, and gets the CRD validation messages.
func TestKubectlKarpenterKinds(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 20})
	manifest := k.file(karpenterManifest)

	out := k.ok("apply", "-f", manifest)
	require.Contains(t, out, "ec2nodeclass.karpenter.k8s.aws/default created")
	require.Contains(t, out, "nodepool.karpenter.sh/default created")

	out = k.ok("get", "nodepools", "-o", "wide")
	require.Regexp(t, spaced("NAME", "NODECLASS", "NODES", "READY", "AGE", "WEIGHT", "CPU", "MEMORY"), out)
	require.Regexp(t, spaced("default", "default", "0"), out)
	require.Regexp(t, spaced("NAME", "READY", "AGE", "ROLE"), k.ok("get", "ec2nc", "-o", "wide"))
	require.Contains(t, k.ok("get", "karpenter"), "ec2nodeclass.karpenter.k8s.aws/default")

	// The CRD defaults: budgets 10%, consolidateAfter 0s, WhenEmptyOrUnderutilized, expireAfter 720h.
	require.Equal(t, "10%|0s|WhenEmptyOrUnderutilized|720h", k.ok("get", "nodepool", "default", "-o",
		"jsonpath={.spec.disruption.budgets[0].nodes}|{.spec.disruption.consolidateAfter}|{.spec.disruption.consolidationPolicy}|{.spec.template.spec.expireAfter}"))

	bad := k.file(`apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: bad}
spec:
  template:
    spec:
      requirements: [{key: karpenter.sh/nodepool, operator: In, values: [x]}, {key: node.kubernetes.io/instance-type, operator: In}]
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  disruption: {consolidationPolicy: Sometimes, budgets: [{nodes: "110%"}]}
`)
	out, err := k.run("apply", "-f", bad)
	require.Error(t, err)
	require.Contains(t, out, `label "karpenter.sh/nodepool" is restricted`)
	require.Contains(t, out, "requirements with operator 'In' must have a value defined")
	require.Contains(t, out, `spec.disruption.consolidationPolicy: Unsupported value: "Sometimes"`)
	require.Contains(t, out, `spec.disruption.budgets[0].nodes: Invalid value: "110%"`)
}

// karpenterScenario runs Karpenter with a spot-or-on-demand NodePool.
const karpenterScenario = `name: kubeapi-karpenter
seed: 3
duration: 30m
cluster:
  autoscaling:
    karpenter: {}
  nodeGroups:
    - {name: system, instanceType: m5.large, count: 1, taints: [{key: CriticalAddonsOnly, effect: NoSchedule}]}
workloads:
  - manifest:
      apiVersion: karpenter.k8s.aws/v1
      kind: EC2NodeClass
      metadata: {name: default}
      spec:
        role: KarpenterNodeRole-demo
        amiSelectorTerms: [{alias: al2023@latest}]
        subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
        securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
  - manifest:
      apiVersion: karpenter.sh/v1
      kind: NodePool
      metadata: {name: default}
      spec:
        template:
          spec:
            requirements:
              - {key: karpenter.sh/capacity-type, operator: In, values: [spot, on-demand]}
              - {key: kubernetes.io/arch, operator: In, values: [amd64]}
            nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
`

// TestKubectlGetNodeClaims: a Deployment created with the real kubectl
// gets a NodeClaim from Karpenter; kubectl lists it with the CRD's columns
// (type, capacity type, zone, node, Ready) and the NodePool counts it.
func TestKubectlGetNodeClaims(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 50, scenario: karpenterScenario})
	require.Contains(t, k.ok("create", "deployment", "web", "--image=nginx:1.27", "--replicas=3"), "deployment.apps/web created")
	require.Contains(t, k.ok("set", "resources", "deployment/web", "--requests=cpu=500m,memory=256Mi"), "resource requirements updated")
	require.Contains(t, k.ok("rollout", "status", "deploy/web", "--timeout=120s"), "successfully rolled out")
	out := k.ok("wait", "nodeclaims", "--all", "--for=condition=Ready", "--timeout=60s")
	require.Regexp(t, `nodeclaim.karpenter.sh/default-\S+ condition met`, out)

	out = k.ok("get", "nodeclaims", "-o", "wide")
	require.Regexp(t, spaced("NAME", "TYPE", "CAPACITY", "ZONE", "NODE", "READY", "AGE", "IMAGEID", "ID", "NODEPOOL", "NODECLASS", "DRIFTED"), out)
	require.Regexp(t, `default-\S+\s+\S+\.\S+\s+spot\s+us-east-1[abc]\s+ip-192-168-\S+\.compute\.internal\s+True\s+\S+\s+ami-0\S+\s+aws:///us-east-1[abc]/i-0\S+\s+default\s+default`, out)
	node := k.ok("get", "nodeclaims", "-o", "jsonpath={.items[0].status.nodeName}")
	require.Contains(t, k.ok("get", "node", node, "--show-labels"), "karpenter.sh/initialized=true")
	require.Regexp(t, spaced("default", "default", "1", "True"), k.ok("get", "nodepools"))
	require.Contains(t, k.ok("describe", "nodeclaim"), "Launched")
}
