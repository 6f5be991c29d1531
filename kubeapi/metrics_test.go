package kubeapi

import (
	"encoding/json"
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

// TestKubectlTop: the real kubectl finds metrics.k8s.io in discovery and
// `kubectl top nodes|pods` show metrics-server's samples: each web pod's
// 180m (its Deployment's sim.kubesim.io/cpu) and a node's sum of its pods.
func TestKubectlTop(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	require.Contains(t, k.apply(loadedWeb), "deployment.apps/web created")
	require.NoError(t, f.sess.RunFor(time.Minute))

	out := k.ok("top", "pods", "-l", "app=web")
	require.Regexp(t, spaced("NAME", "CPU(cores)", "MEMORY(bytes)"), out)
	require.Len(t, regexp.MustCompile(`web-\S+\s+180m\s+64Mi`).FindAllString(out, -1), 2, out)

	// --containers splits a pod's usage by container; -A adds NAMESPACE
	// (the add-ons' pods are sampled too).
	out = k.ok("top", "pods", "-l", "app=web", "--containers")
	require.Regexp(t, spaced("POD", "NAME", "CPU(cores)", "MEMORY(bytes)"), out)
	require.Len(t, regexp.MustCompile(`web-\S+\s+main\s+180m\s+64Mi`).FindAllString(out, -1), 2, out)
	out = k.ok("top", "pods", "-A", "--sort-by=cpu")
	require.Regexp(t, spaced("NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"), out)
	require.Regexp(t, `kube-system\s+coredns-\S+\s+\d+m`, out)

	out = k.ok("top", "nodes")
	require.Regexp(t, spaced("NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"), out)
	require.Len(t, regexp.MustCompile(`(?m)^general-\d\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%`).FindAllString(out, -1), 3, out)

	// The JSON is metrics-server's: the 15 s window, a scrape's timestamp.
	resp, err := f.httpClient(t).Get(f.ts.URL + "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var list metricsv1beta1.PodMetricsList
	require.NoError(t, json.Unmarshal(body, &list), string(body))
	require.Len(t, list.Items, 2)
	require.Equal(t, 15*time.Second, list.Items[0].Window.Duration)
	require.Equal(t, int64(180), list.Items[0].Containers[0].Usage.Cpu().MilliValue())
	ts := list.Items[0].Timestamp.Time
	require.Equal(t, ts.Truncate(15*time.Second), ts, "sampled on a scrape (every 15 s from the start)")

	// A pod metrics-server has not sampled twice yet has no metrics.
	require.Contains(t, k.ok("scale", "deploy/web", "--replicas=3"), "scaled")
	require.NoError(t, f.sess.RunFor(3*time.Second))
	out, err = k.run("top", "pods", "-l", "app=web")
	require.NoError(t, err, out)
	require.Len(t, regexp.MustCompile(`web-\S+\s+180m`).FindAllString(out, -1), 2, "the new pod is not listed yet: %s", out)
	_, err = k.run("top", "pod", "nonexistent")
	require.Error(t, err)
}
