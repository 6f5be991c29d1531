package hpa_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/controllers/controllertest"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/controllers/hpa"
	"github.com/kubesim/kubesim/sim/kubelet/images"
)

func web(cpu string) *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Annotations: map[string]string{images.AnnotationCPU: cpu}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(2)), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "main", Image: "nginx:1.27", Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m")}}}}}}},
	}
}

func autoscaler(target int32) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 10,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(target)}}}}},
	}
}

func replicas(t *testing.T, c *cluster.Cluster) int32 {
	return *fake.Get[*appsv1.Deployment](t, c.Store, "Deployment", "web").Spec.Replicas
}

func getHPA(t *testing.T, c *cluster.Cluster) *autoscalingv2.HorizontalPodAutoscaler {
	return fake.Get[*autoscalingv2.HorizontalPodAutoscaler](t, c.Store, "HorizontalPodAutoscaler", "web")
}

func condition(h *autoscalingv2.HorizontalPodAutoscaler, typ autoscalingv2.HorizontalPodAutoscalerConditionType) autoscalingv2.HorizontalPodAutoscalerCondition {
	for _, c := range h.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return autoscalingv2.HorizontalPodAutoscalerCondition{}
}

func events(t *testing.T, c *cluster.Cluster, reason string) []string {
	var out []string
	for _, o := range c.Store.List("Event", "default") {
		if ev := o.(*corev1.Event); ev.Reason == reason && ev.InvolvedObject.Kind == "HorizontalPodAutoscaler" {
			require.Equal(t, hpa.Name, ev.Source.Component)
			out = append(out, ev.Message)
		}
	}
	return out
}

// TestScalesUpThenDownAfterTheWindow runs a whole cluster: a loaded
// Deployment scales up, and after the load drops it scales down only
// once the 5-minute stabilisation window has passed.
func TestScalesUpThenDownAfterTheWindow(t *testing.T) {
	c := controllertest.Cluster(t, 3)
	cl := c.Client("test")
	_, err := cl.Create(web("180m"))
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + time.Minute)
	out, err := cl.Create(autoscaler(50))
	require.NoError(t, err)
	require.Equal(t, int32(1), *out.(*autoscalingv2.HorizontalPodAutoscaler).Spec.MinReplicas, "defaulted")

	c.Engine.RunUntil(c.Engine.Elapsed() + 5*time.Second)
	require.Equal(t, int32(4), replicas(t, c), "90%% of a 50%% target: ceil(2*1.8)")
	require.Equal(t, []string{"New size: 4; reason: cpu resource utilization (percentage of request) above target"}, events(t, c, "SuccessfulRescale"))
	h := getHPA(t, c)
	require.Equal(t, int32(90), *h.Status.CurrentMetrics[0].Resource.Current.AverageUtilization)
	require.Equal(t, "180m", h.Status.CurrentMetrics[0].Resource.Current.AverageValue.String())
	require.Equal(t, int32(4), h.Status.DesiredReplicas)
	require.NotNil(t, h.Status.LastScaleTime)
	require.Equal(t, "SucceededRescale", condition(h, hpa.AbleToScale).Reason)
	require.Equal(t, "ValidMetricFound", condition(h, hpa.ScalingActive).Reason)

	c.Engine.RunUntil(c.Engine.Elapsed() + 3*time.Minute)
	require.Equal(t, int32(10), replicas(t, c), "keeps scaling up to maxReplicas as new pods become ready")
	require.Equal(t, "TooManyReplicas", condition(getHPA(t, c), hpa.ScalingLimited).Reason)

	d, _ := c.Store.Get("Deployment", "default", "web")
	dc := d.(*appsv1.Deployment).DeepCopy()
	dc.Annotations[images.AnnotationCPU] = "20m" // 10%: wants 2 pods
	_, err = cl.Update(dc)
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + 4*time.Minute)
	require.Equal(t, int32(10), replicas(t, c), "no scale-down inside the stabilisation window")
	h = getHPA(t, c)
	require.Equal(t, int32(10), *h.Status.CurrentMetrics[0].Resource.Current.AverageUtilization)
	require.Equal(t, "ScaleDownStabilized", condition(h, hpa.AbleToScale).Reason)

	c.Engine.RunUntil(c.Engine.Elapsed() + 2*time.Minute)
	require.Equal(t, int32(2), replicas(t, c))
	require.Contains(t, events(t, c, "SuccessfulRescale"), "New size: 2; reason: All metrics below target")
}

func TestFailedGetScale(t *testing.T) {
	c := controllertest.Cluster(t, 1)
	_, err := c.Client("test").Create(autoscaler(50))
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + 20*time.Second)
	h := getHPA(t, c)
	require.Equal(t, corev1.ConditionFalse, condition(h, hpa.AbleToScale).Status)
	require.Equal(t, "FailedGetScale", condition(h, hpa.AbleToScale).Reason)
	require.Equal(t, []string{`deployments.apps "web" not found`}, events(t, c, "FailedGetScale"))
}

func TestValidation(t *testing.T) {
	c := controllertest.Cluster(t, 0)
	h := autoscaler(50)
	h.Spec.MinReplicas, h.Spec.MaxReplicas = ptr.To(int32(3)), 2
	_, err := c.Client("test").Create(h)
	require.ErrorContains(t, err, "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`")
	h = autoscaler(50)
	h.Spec.Metrics[0].Resource.Target.AverageUtilization = nil
	_, err = c.Client("test").Create(h)
	require.ErrorContains(t, err, "spec.metrics[0].resource.target.averageUtilization: Required value")
}

// An HPA without spec.behavior takes upstream's legacy path: one step
// goes to at most max(2×current, 4) (from 1 replica: 4, where the default
// behavior rules would allow 1+4 = 5), limited as ScaleUpLimit.
func TestLegacyScaleUpLimitWithoutBehavior(t *testing.T) {
	c := controllertest.Cluster(t, 3)
	cl := c.Client("test")
	d := web("1000m") // 500% of the 200m request
	d.Spec.Replicas = ptr.To(int32(1))
	_, err := cl.Create(d)
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + time.Minute)
	_, err = cl.Create(autoscaler(50))
	require.NoError(t, err)

	c.Engine.RunUntil(c.Engine.Elapsed() + 5*time.Second)
	require.Equal(t, int32(4), replicas(t, c))
	h := getHPA(t, c)
	require.Nil(t, h.Spec.Behavior, "the API server defaults no behavior")
	require.Equal(t, "ScaleUpLimit", condition(h, hpa.ScalingLimited).Reason)
	require.Equal(t, corev1.ConditionTrue, condition(h, hpa.ScalingLimited).Status)
}

// TestScalesReplicationController: an HPA's scale target may be a v1
// ReplicationController (through its scale subresource, as upstream's
// scale client), and a missing one is named by its resource.
func TestScalesReplicationController(t *testing.T) {
	c := controllertest.Cluster(t, 3)
	cl := c.Client("test")
	d := web("180m")
	t0 := d.Spec.Template
	_, err := cl.Create(&corev1.ReplicationController{ObjectMeta: d.ObjectMeta,
		Spec: corev1.ReplicationControllerSpec{Replicas: d.Spec.Replicas, Selector: d.Spec.Selector.MatchLabels, Template: &t0}})
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + time.Minute)
	h := autoscaler(50)
	h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: "ReplicationController", Name: "web"}
	_, err = cl.Create(h)
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + 5*time.Second)
	require.Equal(t, int32(4), *fake.Get[*corev1.ReplicationController](t, c.Store, "ReplicationController", "web").Spec.Replicas,
		"90%% of a 50%% target: ceil(2*1.8)")
	require.Equal(t, []string{"New size: 4; reason: cpu resource utilization (percentage of request) above target"}, events(t, c, "SuccessfulRescale"))

	h2 := autoscaler(50)
	h2.Name = "gone"
	h2.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: "ReplicationController", Name: "gone"}
	_, err = cl.Create(h2)
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + 20*time.Second)
	require.Equal(t, []string{`replicationcontrollers "gone" not found`}, events(t, c, "FailedGetScale"))
}
