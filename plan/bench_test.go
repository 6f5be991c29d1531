package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchPlan writes the benchmark plan: a 1,500-pod workload (30
// Deployments × 50 replicas) on 8 candidates of about 50 nodes, 3 faults,
// seeds seeds, duration each.
func benchPlan(tb testing.TB, candidates, seeds int, duration string) string {
	dir := tb.TempDir()
	var m strings.Builder
	for i := range 30 {
		fmt.Fprintf(&m, `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app%d}
spec:
  replicas: 50
  selector: {matchLabels: {app: app%d}}
  template:
    metadata: {labels: {app: app%d}}
    spec:
      containers:
        - name: c
          image: nginx:1.27
          resources: {requests: {cpu: %dm, memory: %dMi}}
`, i, i, i, 100+10*(i%5), 128+64*(i%4))
	}
	if err := os.WriteFile(filepath.Join(dir, "apps.yaml"), []byte(m.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	shapes := []struct {
		typ   string
		count int
	}{{"m5.2xlarge", 50}, {"m5.2xlarge", 46}, {"m5.xlarge", 50}, {"c5.2xlarge", 50}, {"r5.xlarge", 50}, {"m5.4xlarge", 30}, {"m6i.large", 50}, {"m7i.large", 50}}
	var c strings.Builder
	for i, s := range shapes[:candidates] {
		fmt.Fprintf(&c, "  - name: c%d-%s\n    nodeGroups:\n      - {name: ng, instanceType: %s, count: %d}\n", i, strings.ReplaceAll(s.typ, ".", "-"), s.typ, s.count)
	}
	plan := fmt.Sprintf(`name: bench
duration: %s
settle: 5m
seeds: %d
workloads:
  - file: apps.yaml
candidates:
%sfaults:
  - none: true
  - anyNode: true
  - etcdMember: true
slos:
  - allReady: {within: 10m}
  - available: {deployment: app0, atLeast: 40}
`, duration, seeds, c.String())
	path := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(path, []byte(plan), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkPlanSweep is the benchmark: 8 candidates × 3 faults ×
// 10 seeds, 50 nodes / 1,500 pods, 1 hour of virtual time each, on every
// core. PLAN_BENCH_SEEDS / PLAN_BENCH_CANDIDATES / PLAN_BENCH_DURATION
// shrink it.
func BenchmarkPlanSweep(b *testing.B) {
	seeds, cands, dur := 10, 8, "1h"
	_, _ = fmt.Sscan(os.Getenv("PLAN_BENCH_SEEDS"), &seeds)
	_, _ = fmt.Sscan(os.Getenv("PLAN_BENCH_CANDIDATES"), &cands)
	if d := os.Getenv("PLAN_BENCH_DURATION"); d != "" {
		dur = d
	}
	pl, err := Load(benchPlan(b, cands, seeds, dur))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		start := time.Now()
		part, err := Sweep(pl, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(part.Results)), "runs")
		b.ReportMetric(time.Since(start).Seconds()/float64(len(part.Results)), "s/run")
	}
}
