package daemonset

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
)

// BenchmarkDaemonSetManyNodes adds nodes one every 12 ms (5,000 in a
// minute) under one DaemonSet: go test -bench ManyNodes -benchtime 1x.
func BenchmarkDaemonSetManyNodes(b *testing.B) {
	for i := 0; i < b.N; i++ {
		w := fake.New(1)
		w.RunScheduler()
		w.RunKubelet()
		New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig()).Start()
		_, err := w.Admin.Create(newDS("agent", "agent:1"))
		require.NoError(b, err)
		const n = 5000
		for j := 0; j < n; j++ {
			name := fmt.Sprintf("n%04d", j)
			w.Engine.After(time.Duration(j)*12*time.Millisecond, "add-node", func() { w.AddNode(name, nil) })
		}
		w.Run(2 * time.Minute)
		_, avail := w.CountPods(nil)
		require.Equal(b, n, avail)
	}
}
