package kubeapi

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// loadedWeb is two web pods requesting 200m, each using 180m of CPU.
var loadedWeb = mainWeb("annotations: {sim.kubesim.io/cpu: 180m}", 2, "        resources:\n          requests: {cpu: 200m}\n")

// TestKubectlAutoscale creates an HPA with `kubectl autoscale` and reads
// it back with `kubectl get hpa` in kubectl's columns.
func TestKubectlAutoscale(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	require.Contains(t, k.apply(loadedWeb), "deployment.apps/web created")
	require.NoError(t, f.sess.RunFor(time.Minute))

	out := k.ok("autoscale", "deployment", "web", "--cpu-percent=50", "--min=1", "--max=5")
	require.Contains(t, out, "horizontalpodautoscaler.autoscaling/web autoscaled")
	out = k.ok("get", "hpa")
	require.Regexp(t, spaced("NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"), out)
	require.Regexp(t, spaced("web", "Deployment/web", "cpu: <unknown>/50%", "1", "5", "0"), out)

	require.NoError(t, f.sess.RunFor(20*time.Second))
	out = k.ok("get", "hpa", "web")
	require.Regexp(t, spaced("web", "Deployment/web", "cpu: 90%/50%", "1", "5", "4"), out)
	require.Equal(t, "4", k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"))
	out = k.ok("get", "events", "--field-selector", "involvedObject.kind=HorizontalPodAutoscaler")
	require.Contains(t, out, "New size: 4; reason: cpu resource utilization (percentage of request) above target")
}

// TestAutoscalingDiscovery: one autoscaling group serving v2 (preferred)
// and v1, and an HPA created as v1 reads back as v2 with its CPU target.
func TestAutoscalingDiscovery(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	groups, err := f.client.Discovery().ServerGroups()
	require.NoError(t, err)
	n := 0
	for _, g := range groups.Groups {
		if g.Name == "autoscaling" {
			n++
			require.Equal(t, "autoscaling/v2", g.PreferredVersion.GroupVersion)
			require.Len(t, g.Versions, 2)
		}
	}
	require.Equal(t, 1, n)

	in := &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "h"},
		Spec: autoscalingv1.HorizontalPodAutoscalerSpec{MaxReplicas: 3, TargetCPUUtilizationPercentage: ptr.To(int32(60)),
			ScaleTargetRef: autoscalingv1.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}}}
	_, err = f.client.AutoscalingV1().HorizontalPodAutoscalers("default").Create(context.Background(), in, metav1.CreateOptions{})
	require.NoError(t, err)
	v2, err := f.client.AutoscalingV2().HorizontalPodAutoscalers("default").Get(context.Background(), "h", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, int32(60), *v2.Spec.Metrics[0].Resource.Target.AverageUtilization)
	require.Equal(t, int32(1), *v2.Spec.MinReplicas)
	v1, err := f.client.AutoscalingV1().HorizontalPodAutoscalers("default").Get(context.Background(), "h", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, int32(60), *v1.Spec.TargetCPUUtilizationPercentage)
}
