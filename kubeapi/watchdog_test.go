package kubeapi

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// TestWatchdogUnderConcurrentClients drives the server with client-go
// from every side at once for a bounded time: 20 watchers (re-watching
// when a watch ends), 10 writers creating ConfigMaps, and list storms of
// pods and ConfigMaps, while the session runs at x30. /readyz must answer
// within a second throughout, and every acknowledged write must be there
// afterwards.
func TestWatchdogUnderConcurrentClients(t *testing.T) {
	f := newFixture(t, fixtureOpts{speed: 30})
	run := 8 * time.Second
	if testing.Short() {
		run = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), run)
	defer cancel()
	cfg := rest.CopyConfig(f.config)
	cfg.QPS, cfg.Burst = 1000, 1000 // no client-side throttling: load the server
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	cms := cs.CoreV1().ConfigMaps("default")
	var wg sync.WaitGroup
	var watchEvents, lists atomic.Int64

	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				w, err := cms.Watch(ctx, metav1.ListOptions{})
				if err != nil {
					continue
				}
				for range w.ResultChan() {
					watchEvents.Add(1)
				}
				w.Stop()
			}
		}()
	}

	var mu sync.Mutex
	acked := map[string]bool{}
	var writeErrs atomic.Int64
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				name := fmt.Sprintf("w%d-%d", i, n)
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"n": fmt.Sprint(n)}}
				if _, err := cms.Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
					writeErrs.Add(1)
					continue
				}
				mu.Lock()
				acked[name] = true
				mu.Unlock()
			}
		}()
	}

	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err == nil {
					lists.Add(1)
				}
				if _, err := cms.List(ctx, metav1.ListOptions{}); err == nil {
					lists.Add(1)
				}
			}
		}()
	}

	// Each probe times /readyz, which takes the simulation's lock, against
	// /version, which takes none, asked just before it: what /readyz takes
	// beyond /version is the wait for the lock. A loaded machine delays
	// both alike (a 1.07 s /readyz at a load average of 27 failed a bound
	// on its whole time), a lock held for long delays only /readyz.
	client := f.httpClient(t)
	var worst, worstOver time.Duration
	probes := 0
	get := func(path string) time.Duration {
		start := time.Now()
		resp, err := client.Get(f.ts.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return time.Since(start)
	}
	for ctx.Err() == nil {
		free := get("/version")
		ready := get("/readyz")
		worst, worstOver = max(worst, ready), max(worstOver, ready-free)
		probes++
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	t.Logf("%d /readyz probes, worst %s (%s over /version); %d writes acknowledged (%d refused), %d watch events, %d lists",
		probes, worst, worstOver, len(acked), writeErrs.Load(), watchEvents.Load(), lists.Load())
	require.Less(t, worstOver, raceSlowdown*time.Second,
		"/readyz answered within a second of a lock-free request throughout (×%d under -race)", raceSlowdown)
	require.NotEmpty(t, acked)
	require.Positive(t, watchEvents.Load())
	require.Positive(t, lists.Load())

	list, err := cms.List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	have := map[string]bool{}
	for _, cm := range list.Items {
		have[cm.Name] = true
	}
	for name := range acked {
		require.True(t, have[name], "acknowledged write %s is missing", name)
	}
}
