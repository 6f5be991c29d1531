package kubeapi

import (
	"fmt"
	"strings"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubesim/kubesim/sim/store"
)

// kubectl v1.32's `get hpa` columns.
func init() {
	printers["HorizontalPodAutoscaler"] = &printer{cols("Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"), hpaCells}
}

func hpaCells(o store.Object, now time.Time) []any {
	h := o.(*autoscalingv2.HorizontalPodAutoscaler)
	minPods := "<unset>"
	if h.Spec.MinReplicas != nil {
		minPods = fmt.Sprint(*h.Spec.MinReplicas)
	}
	ref := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
	return []any{h.Name, ref, hpaTargets(h), minPods, int64(h.Spec.MaxReplicas), int64(h.Status.CurrentReplicas), age(h.CreationTimestamp, now)}
}

// hpaTargets is the TARGETS cell: "cpu: 45%/50%" per Resource metric
// ("<unknown>" before the first measurement), two at most then "+ N more...".
func hpaTargets(h *autoscalingv2.HorizontalPodAutoscaler) string {
	var list []string
	for i, m := range h.Spec.Metrics {
		var cur *autoscalingv2.MetricValueStatus
		if i < len(h.Status.CurrentMetrics) && h.Status.CurrentMetrics[i].Resource != nil {
			cur = &h.Status.CurrentMetrics[i].Resource.Current
		}
		list = append(list, metricTarget(m, cur))
	}
	switch {
	case len(list) == 0:
		return "<none>"
	case len(list) > 2:
		return fmt.Sprintf("%s + %d more...", strings.Join(list[:2], ", "), len(list)-2)
	}
	return strings.Join(list, ", ")
}

func metricTarget(m autoscalingv2.MetricSpec, cur *autoscalingv2.MetricValueStatus) string {
	if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil {
		return "<unknown>/<unknown>"
	}
	t, current := m.Resource.Target, "<unknown>"
	if t.AverageUtilization != nil {
		if cur != nil && cur.AverageUtilization != nil {
			current = fmt.Sprintf("%d%%", *cur.AverageUtilization)
		}
		return fmt.Sprintf("%s: %s/%d%%", m.Resource.Name, current, *t.AverageUtilization)
	}
	if cur != nil && cur.AverageValue != nil {
		current = cur.AverageValue.String()
	}
	target := "<unknown>"
	if t.AverageValue != nil {
		target = t.AverageValue.String()
	}
	return fmt.Sprintf("%s: %s/%s", m.Resource.Name, current, target)
}

var autoscalingV1 = schema.GroupVersion{Group: "autoscaling", Version: "v1"}

// toAutoscalingV1 is the autoscaling/v1 view of a stored (v2) HPA: its
// CPU utilization target and current utilization.
func toAutoscalingV1(o store.Object) any {
	h := o.(*autoscalingv2.HorizontalPodAutoscaler)
	out := &autoscalingv1.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: autoscalingV1.String(), Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: *objectMeta(h),
		Spec: autoscalingv1.HorizontalPodAutoscalerSpec{MinReplicas: h.Spec.MinReplicas, MaxReplicas: h.Spec.MaxReplicas,
			ScaleTargetRef: autoscalingv1.CrossVersionObjectReference(h.Spec.ScaleTargetRef)},
		Status: autoscalingv1.HorizontalPodAutoscalerStatus{ObservedGeneration: h.Status.ObservedGeneration,
			LastScaleTime: h.Status.LastScaleTime, CurrentReplicas: h.Status.CurrentReplicas, DesiredReplicas: h.Status.DesiredReplicas},
	}
	for i, m := range h.Spec.Metrics {
		if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil || m.Resource.Name != corev1.ResourceCPU ||
			m.Resource.Target.AverageUtilization == nil {
			continue
		}
		out.Spec.TargetCPUUtilizationPercentage = m.Resource.Target.AverageUtilization
		if i < len(h.Status.CurrentMetrics) && h.Status.CurrentMetrics[i].Resource != nil {
			out.Status.CurrentCPUUtilizationPercentage = h.Status.CurrentMetrics[i].Resource.Current.AverageUtilization
		}
		break
	}
	return out
}

// fromAutoscalingV1 reads an autoscaling/v1 HPA (what `kubectl autoscale`
// v1.32 sends) as the stored v2 object.
func fromAutoscalingV1(body []byte, tm metav1.TypeMeta, v *validation) (store.Object, error) {
	if tm.APIVersion != "" && tm.APIVersion != autoscalingV1.String() {
		return nil, badRequest("the API version in the data (%s) does not match the expected API version (%s)", tm.APIVersion, autoscalingV1.String())
	}
	if tm.Kind != "" && tm.Kind != "HorizontalPodAutoscaler" {
		return nil, badRequest("the kind in the data (%s) does not match the expected kind (HorizontalPodAutoscaler)", tm.Kind)
	}
	var in autoscalingv1.HorizontalPodAutoscaler
	if err := v.unmarshal(body, &in, "HorizontalPodAutoscaler", autoscalingV1); err != nil {
		return nil, err
	}
	out := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: in.ObjectMeta, Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference(in.Spec.ScaleTargetRef),
		MinReplicas:    in.Spec.MinReplicas, MaxReplicas: in.Spec.MaxReplicas}}
	if in.Spec.TargetCPUUtilizationPercentage != nil {
		out.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{
				Type: autoscalingv2.UtilizationMetricType, AverageUtilization: in.Spec.TargetCPUUtilizationPercentage}}}}
	}
	return out, nil
}
