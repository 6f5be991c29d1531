package kubelet

import (
	"strconv"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/cloud"
)

// BenchmarkHeartbeats is the steady state of a large cluster: 5,000
// Ready nodes with nothing to report, each op 10 s of virtual time, in
// which every kubelet's status tick runs once and its lease tick about
// four times. A kubelet is cold in memory at each of its ticks, as in a
// run, so the cost is mostly the cache lines a tick reads. It reports the
// CPU time of all threads per tick (cpu-ns/tick): the machine is shared.
func BenchmarkHeartbeats(b *testing.B) {
	const nodes = 5000
	w := apiservertest.NewWorld(1, "default", NodeLeaseNamespace)
	for i := range nodes {
		spec := cloud.NodeSpec{Name: "node-" + strconv.Itoa(i), Group: "general", Zone: "us-east-1a", InstanceType: "m5.large", Index: i}
		New(w.Engine, w.Server.Client("kubelet/"+spec.Name), spec, Config{}).Start(true)
	}
	w.Engine.RunUntil(time.Minute)
	steps := w.Engine.Steps()
	b.ReportAllocs()
	cpu0 := benchCPU()
	b.ResetTimer()
	for range b.N {
		w.Engine.RunUntil(w.Engine.Elapsed() + 10*time.Second)
	}
	b.StopTimer()
	b.ReportMetric(float64(benchCPU()-cpu0)/float64(w.Engine.Steps()-steps), "cpu-ns/tick")
}
