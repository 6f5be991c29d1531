package bench

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing/fstest"
	"time"

	"github.com/kubesim/kubesim/scenarios"
)

// The node autoscalers a diurnal benchmark runs under (Config.Autoscaler).
const (
	ClusterAutoscaler = "cluster-autoscaler"
	Karpenter         = "karpenter"
)

// Autoscalers are the valid Config.Autoscaler values.
var Autoscalers = []string{ClusterAutoscaler, Karpenter}

// The diurnal day's workload: every Deployment asks 500m/512Mi per pod,
// its HPA keeps 2 to 20 pods at 60% of the request, and one request costs
// 1m of CPU, so a pod serves 300 requests/s at the target.
const (
	diurnalMinReplicas = 2
	diurnalMaxReplicas = 20
	diurnalPodRPS      = 300
)

// GenerateDiurnal is the capacity planner's benchmark: a day
// (cfg.Duration, 24h by default) of traffic following a sine over
// cfg.Deployments Deployments, each with its HPA, under Cluster Autoscaler
// (one m5.large managed node group from 3 up to cfg.Nodes nodes, upstream's
// defaults) or Karpenter (a NodePool of on-demand c/m/r amd64 types,
// limited to cfg.Nodes m5.large worth of CPU, beside a two-node system
// group for the add-ons). Deployment i peaks at 300 x (8 + i mod 9)
// requests/s, i.e. 8 to 16 pods, at 12h ± 3h; at night each falls to
// 100/s (its HPA minimum of 2 pods), so the cluster grows from a handful
// of nodes to its daily peak and back.
func GenerateDiurnal(cfg Config) (*scenarios.Scenario, error) {
	cfg = cfg.withDefaults()
	var sc bytes.Buffer
	writeHeader(&sc, "bench-diurnal-"+cfg.Autoscaler, cfg)
	switch cfg.Autoscaler {
	case ClusterAutoscaler:
		fmt.Fprintf(&sc, "  autoscaling: {clusterAutoscaler: {}}\n  nodeGroups:\n    - {name: general, instanceType: m5.large, count: 3, min: 3, max: %d}\n", cfg.Nodes)
	case Karpenter:
		sc.WriteString("  autoscaling: {karpenter: {}}\n  nodeGroups:\n" +
			"    - {name: system, instanceType: m5.large, count: 2, taints: [{key: CriticalAddonsOnly, effect: NoSchedule}]}\n")
	default:
		return nil, fmt.Errorf("bench: unknown autoscaler %q (want %s or %s)", cfg.Autoscaler, ClusterAutoscaler, Karpenter)
	}
	sc.WriteString("workloads:\n")
	if cfg.Autoscaler == Karpenter {
		sc.WriteString("  - file: manifests/karpenter-nodeclass.yaml\n  - file: nodepool.yaml\n")
	}
	if cfg.Deployments > 0 {
		sc.WriteString("  - file: deployments.yaml\nload:\n")
	}
	var m bytes.Buffer
	for i := 0; i < cfg.Deployments; i++ {
		name := "app-" + strconv.Itoa(i)
		m.WriteString(deployment(name, diurnalMinReplicas, `{requests: {cpu: 500m, memory: 512Mi}, limits: {cpu: "1"}}`))
		writeHPA(&m, name)
		peak := 12*time.Hour + time.Duration(i%7-3)*time.Hour
		fmt.Fprintf(&sc, "  - {target: deployment/%s, curve: {diurnal: {min: 100, max: %d, period: 24h, peakAt: %s}}, cpuPerRequest: 1m}\n",
			name, diurnalPodRPS*(8+i%9), peak)
	}
	nodeClass, err := scenarios.LibraryManifest("manifests/karpenter-nodeclass.yaml")
	if err != nil {
		return nil, err
	}
	fsys := fstest.MapFS{
		"bench/scenario.yaml":                      {Data: sc.Bytes()},
		"bench/deployments.yaml":                   {Data: m.Bytes()},
		"bench/manifests/karpenter-nodeclass.yaml": {Data: nodeClass},
		"bench/nodepool.yaml":                      {Data: []byte(fmt.Sprintf(nodePool, 2*cfg.Nodes))},
	}
	return scenarios.Parse("bench/scenario.yaml", sc.Bytes(), fsys)
}

// nodePool is the Karpenter NodePool of the benchmark, beside the
// library scenarios' EC2NodeClass; %d is its CPU limit.
const nodePool = `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: default}
spec:
  template:
    spec:
      requirements:
        - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
        - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m, r]}
        - {key: kubernetes.io/arch, operator: In, values: [amd64]}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  limits: {cpu: %d}
  disruption: {consolidationPolicy: WhenEmptyOrUnderutilized, consolidateAfter: 1m}
`

// writeHPA writes the HorizontalPodAutoscaler of Deployment name: 60% CPU,
// from diurnalMinReplicas to diurnalMaxReplicas.
func writeHPA(w io.Writer, name string) {
	fmt.Fprintf(w, `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: %[1]s}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: %[1]s}
  minReplicas: %[2]d
  maxReplicas: %[3]d
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
`, name, diurnalMinReplicas, diurnalMaxReplicas)
}
