package apiserver

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Upstream's autoscaling/v2 defaults: minReplicas 1, a CPU target of 80%
// when no metric is given, and, when a behavior is given, its missing
// rules filled in (scale up: no stabilisation, max(4 pods, 100%) per 15 s;
// scale down: the controller's 300 s window, 100% per 15 s).
const (
	defaultCPUUtilization  = 80
	defaultScalingPeriod   = 15
	defaultScaleUpPods     = 4
	defaultScalingPercent  = 100
	defaultUpStabilization = 0
)

func defaultHPA(h *autoscalingv2.HorizontalPodAutoscaler) {
	if h.Spec.MinReplicas == nil {
		h.Spec.MinReplicas = ptr.To(int32(1))
	}
	if len(h.Spec.Metrics) == 0 {
		h.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{
				Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(int32(defaultCPUUtilization))}}}}
	}
	if b := h.Spec.Behavior; b != nil {
		b.ScaleUp = defaultScalingRules(b.ScaleUp, DefaultScaleUpRules())
		b.ScaleDown = defaultScalingRules(b.ScaleDown, DefaultScaleDownRules())
	}
}

// DefaultScaleUpRules are the scale-up rules of an HPA without behavior.
func DefaultScaleUpRules() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: ptr.To(int32(defaultUpStabilization)),
		SelectPolicy:               ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: defaultScaleUpPods, PeriodSeconds: defaultScalingPeriod},
			{Type: autoscalingv2.PercentScalingPolicy, Value: defaultScalingPercent, PeriodSeconds: defaultScalingPeriod},
		},
	}
}

// DefaultScaleDownRules are the scale-down rules of an HPA without
// behavior (a nil window means the controller's 300 s default).
func DefaultScaleDownRules() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		SelectPolicy: ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: defaultScalingPercent, PeriodSeconds: defaultScalingPeriod},
		},
	}
}

func defaultScalingRules(r, def *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if r == nil {
		return def
	}
	if r.StabilizationWindowSeconds == nil {
		r.StabilizationWindowSeconds = def.StabilizationWindowSeconds
	}
	if r.SelectPolicy == nil {
		r.SelectPolicy = def.SelectPolicy
	}
	if len(r.Policies) == 0 {
		r.Policies = def.Policies
	}
	return r
}

// validateHPA checks the replica bounds, the target reference and that
// every metric has a target.
func validateHPA(h *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec")
	ref := h.Spec.ScaleTargetRef
	if ref.Kind == "" {
		errs = append(errs, field.Required(p.Child("scaleTargetRef", "kind"), ""))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(p.Child("scaleTargetRef", "name"), ""))
	}
	if h.Spec.MinReplicas != nil && *h.Spec.MinReplicas < 1 {
		errs = append(errs, field.Invalid(p.Child("minReplicas"), *h.Spec.MinReplicas, "must be greater than or equal to 1"))
	}
	if h.Spec.MaxReplicas < 1 {
		errs = append(errs, field.Invalid(p.Child("maxReplicas"), h.Spec.MaxReplicas, "must be greater than 0"))
	}
	if h.Spec.MinReplicas != nil && h.Spec.MaxReplicas < *h.Spec.MinReplicas {
		errs = append(errs, field.Invalid(p.Child("maxReplicas"), h.Spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	for i := range h.Spec.Metrics {
		errs = append(errs, validateMetric(&h.Spec.Metrics[i], p.Child("metrics").Index(i))...)
	}
	return errs
}

func validateMetric(m *autoscalingv2.MetricSpec, p *field.Path) field.ErrorList {
	if m.Type != autoscalingv2.ResourceMetricSourceType && m.Type != autoscalingv2.ContainerResourceMetricSourceType &&
		m.Type != autoscalingv2.PodsMetricSourceType && m.Type != autoscalingv2.ObjectMetricSourceType &&
		m.Type != autoscalingv2.ExternalMetricSourceType {
		return field.ErrorList{field.NotSupported(p.Child("type"), m.Type, []string{"ContainerResource", "External", "Object", "Pods", "Resource"})}
	}
	if m.Type != autoscalingv2.ResourceMetricSourceType {
		return nil // accepted; the controller reports it cannot fetch it
	}
	if m.Resource == nil {
		return field.ErrorList{field.Required(p.Child("resource"), "must populate information for the given metric source")}
	}
	t, tp := m.Resource.Target, p.Child("resource", "target")
	switch {
	case t.Type == autoscalingv2.UtilizationMetricType && t.AverageUtilization == nil:
		return field.ErrorList{field.Required(tp.Child("averageUtilization"), "must set either a target raw value or a target utilization")}
	case t.Type == autoscalingv2.AverageValueMetricType && t.AverageValue == nil:
		return field.ErrorList{field.Required(tp.Child("averageValue"), "must set either a target raw value or a target utilization")}
	case t.Type != autoscalingv2.UtilizationMetricType && t.Type != autoscalingv2.AverageValueMetricType:
		return field.ErrorList{field.NotSupported(tp.Child("type"), t.Type, []string{"AverageValue", "Utilization"})}
	case t.AverageUtilization != nil && *t.AverageUtilization < 1:
		return field.ErrorList{field.Invalid(tp.Child("averageUtilization"), *t.AverageUtilization, "must be greater than 0")}
	}
	return nil
}
