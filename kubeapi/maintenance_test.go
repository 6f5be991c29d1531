package kubeapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for a process writing and a test
// reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// background starts a long-running kubectl (a watch) that ends with the
// test.
func (k kubectl) background(out *syncBuffer, args ...string) {
	k.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := k.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(k.t, cmd.Start())
	k.t.Cleanup(func() { cancel(); _ = cmd.Wait() }) // killed: an error
}

// TestKubectlNodeMaintenanceLoop is the sequence after which `kubesim
// serve` once stopped answering kubectl: cordon, drain, taint, label and
// uncordon every node of a three-node cluster, round after round, with
// watches open. Every command must finish (well within kubectl's own
// timeouts), /readyz must keep answering, and the watches must still be
// streaming at the end.
func TestKubectlNodeMaintenanceLoop(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{speed: 30})
	// The Deployment without its PodDisruptionBudget: the maintenance
	// loop is about the server staying responsive, not about budgets.
	k.apply(strings.Split(webManifest, "---")[0])
	k.ok("scale", "deploy/web", "--replicas=6")
	require.Contains(t, k.ok("rollout", "status", "deploy/web", "--timeout=90s"), "successfully rolled out")

	var pods, nodes syncBuffer
	k.background(&pods, "get", "pods", "-A", "-w")
	k.background(&nodes, "get", "nodes", "-w", "-o", "wide")

	// /readyz must answer within a second throughout.
	stop := make(chan struct{})
	var worst time.Duration
	var probeErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := f.httpClient(t)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			start := time.Now()
			resp, err := client.Get(f.ts.URL + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("/readyz: %s", resp.Status)
				}
			}
			if d := time.Since(start); d > worst {
				worst = d
			}
			if err != nil && probeErr == nil {
				probeErr = err
			}
		}
	}()

	rounds := 2
	if testing.Short() {
		rounds = 1
	}
	for round := 1; round <= rounds; round++ {
		for _, node := range []string{"general-1", "general-2", "general-3"} {
			start := time.Now()
			require.Contains(t, k.ok("cordon", node), "node/"+node+" cordoned")
			out, err := k.run("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=60s")
			if err != nil {
				// Say where the server was: the stall this test guards
				// against is diagnosed from these stacks.
				var stacks strings.Builder
				_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1) // a strings.Builder does not fail
				t.Fatalf("kubectl drain %s (round %d): %v\n%s\nsession at %s, paused %v, stopped %q\nserver goroutines:\n%s",
					node, round, err, out, f.sess.Snapshot().Time, f.sess.Snapshot().Paused, f.sess.Snapshot().Stopped, stacks.String())
			}
			require.Contains(t, out, "node/"+node+" drained")
			require.Contains(t, k.ok("taint", "nodes", node, fmt.Sprintf("maintenance=round-%d:NoSchedule", round), "--overwrite"), "node/"+node)
			require.Contains(t, k.ok("label", "nodes", node, fmt.Sprintf("maintained=round-%d", round), "--overwrite"), "node/"+node+" labeled")
			require.Contains(t, k.ok("uncordon", node), "node/"+node+" uncordoned")
			require.Contains(t, k.ok("taint", "nodes", node, "maintenance:NoSchedule-"), "node/"+node+" untainted")
			t.Logf("round %d, %s: %s", round, node, time.Since(start).Round(time.Millisecond))
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("worst /readyz: %s", worst)
	require.NoError(t, probeErr)
	require.Less(t, worst, time.Second, "/readyz answered within a second throughout")

	// The cluster is whole and still answering; the watches still stream.
	require.Contains(t, k.ok("rollout", "status", "deploy/web", "--timeout=90s"), "successfully rolled out")
	out := k.ok("get", "nodes", "-L", "maintained")
	require.Equal(t, 3, strings.Count(out, fmt.Sprintf("round-%d", rounds)), out)
	require.NotContains(t, out, "SchedulingDisabled")
	k.ok("label", "nodes", "general-2", "watched=yes")
	require.Eventually(t, func() bool {
		return strings.Count(pods.String(), "\n") > 20 && strings.Count(nodes.String(), "general-2") > 1
	}, 30*time.Second, 100*time.Millisecond, "the watches still stream:\n%s\n%s", pods.String(), nodes.String())
}
