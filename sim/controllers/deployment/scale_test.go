package deployment

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/controllers/replicaset"
)

// runMany creates n Deployments of r replicas on nodes nodes and runs
// until every pod is available; it returns the trace hash.
func runMany(t testing.TB, n, r, nodes int) string {
	w := fake.New(42)
	for i := 0; i < nodes; i++ {
		w.AddNode(fmt.Sprintf("n%d", i), nil)
	}
	w.RunScheduler()
	w.RunKubelet()
	replicaset.New(w.Engine, w.Server.Client(replicaset.Name), controllerutil.DefaultConfig()).Start()
	New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig()).Start()
	for i := 0; i < n; i++ {
		_, err := w.Admin.Create(newDeployment(fmt.Sprintf("app%d", i), int32(r), "nginx:1"))
		require.NoError(t, err)
	}
	w.Run(2 * time.Minute)
	_, avail := w.CountPods(nil)
	require.Equal(t, n*r, avail)
	return w.Engine.Trace().Hash()
}

func TestDeterministicTrace(t *testing.T) {
	require.Equal(t, runMany(t, 5, 10, 4), runMany(t, 5, 10, 4))
}

// BenchmarkManyDeployments is the shape of the scale target (1,500 x 100)
// at a tenth of the size: go test -bench Many -benchtime 1x.
func BenchmarkManyDeployments(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runMany(b, 150, 100, 500)
	}
}
