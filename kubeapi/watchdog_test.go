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

	client := f.httpClient(t)
	var worst time.Duration
	probes := 0
	for ctx.Err() == nil {
		start := time.Now()
		resp, err := client.Get(f.ts.URL + "/readyz")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		worst = max(worst, time.Since(start))
		probes++
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	t.Logf("%d /readyz probes, worst %s; %d writes acknowledged (%d refused), %d watch events, %d lists",
		probes, worst, len(acked), writeErrs.Load(), watchEvents.Load(), lists.Load())
	require.Less(t, worst, raceSlowdown*time.Second, "/readyz answered within a second throughout (×%d under -race)", raceSlowdown)
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
