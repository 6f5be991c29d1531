package nodelifecycle_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim/controllers/nodelifecycle"
)

// BenchmarkMonitor5000 runs ten virtual minutes of a healthy 5,000-node
// cluster (the fake kubelets' lease renewals included).
func BenchmarkMonitor5000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		f := newFixture(&testing.T{})
		for n := 0; n < 5000; n++ {
			f.addNode(fmt.Sprintf("n-%04d", n), fmt.Sprintf("z%d", n%3))
		}
		startControllers(f, nodelifecycle.Config{})
		f.e.RunUntil(10 * time.Minute)
	}
}
