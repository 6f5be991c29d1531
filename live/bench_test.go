package live

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/scenarios"
)

// scaleScenario is nodes m5.4xlarge nodes running deployments × replicas
// pods of 100m/128Mi, add-ons off: the shape of the web page's scale test.
func scaleScenario(nodes, deployments, replicas int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: scale\nseed: 1\nduration: 2h\ncluster:\n  addons: false\n  nodeGroups:\n    - {name: general, instanceType: m5.4xlarge, count: %d}\nworkloads:\n", nodes)
	for i := range deployments {
		fmt.Fprintf(&b, `  - manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: app-%d}
      spec:
        replicas: %d
        selector: {matchLabels: {app: app-%d}}
        template:
          metadata: {labels: {app: app-%d}}
          spec:
            containers:
              - {name: c, image: nginx:1.27, resources: {requests: {cpu: 100m, memory: 128Mi}}}
`, i, replicas, i, i)
	}
	return b.String()
}

// BenchmarkRefresh is the cost of one view of a 300-node, 9,000-pod
// cluster, rebuilt after a minute of steady state: what every frontend
// waits on while the simulation runs (the session publishes at most every
// five times this cost).
func BenchmarkRefresh(b *testing.B) {
	sc, err := scenarios.Parse("scale.yaml", []byte(scaleScenario(300, 30, 300)), nil)
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(sc, Options{Paused: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for s.Snapshot().Counts.Running < 9000 && s.Snapshot().Time < 10*time.Minute {
		if err := s.RunFor(time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	if got := s.Snapshot().Counts.Running; got != 9000 {
		b.Fatalf("%d pods running, want 9000", got)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.mu.Lock()
		s.refreshLocked()
		s.mu.Unlock()
	}
}
