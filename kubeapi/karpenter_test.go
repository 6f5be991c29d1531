package kubeapi

import (
	"os"
	"path/filepath"
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
	if _, err := os.Stat(kubectlPath); err != nil {
		t.Skipf("kubectl is not installed at %s", kubectlPath)
	}
	f := newFixture(t, fixtureOpts{speed: 20})
	k := kubectl{t: t, config: f.kubeconfig(t)}
	dir := t.TempDir()
	manifest := filepath.Join(dir, "karpenter.yaml")
	require.NoError(t, os.WriteFile(manifest, []byte(karpenterManifest), 0o644))

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

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(`apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: bad}
spec:
  template:
    spec:
      requirements: [{key: karpenter.sh/nodepool, operator: In, values: [x]}, {key: node.kubernetes.io/instance-type, operator: In}]
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  disruption: {consolidationPolicy: Sometimes, budgets: [{nodes: "110%"}]}
`), 0o644))
	out, err := k.run("apply", "-f", bad)
	require.Error(t, err)
	require.Contains(t, out, `label "karpenter.sh/nodepool" is restricted`)
	require.Contains(t, out, "requirements with operator 'In' must have a value defined")
	require.Contains(t, out, `spec.disruption.consolidationPolicy: Unsupported value: "Sometimes"`)
	require.Contains(t, out, `spec.disruption.budgets[0].nodes: Invalid value: "110%"`)
}
