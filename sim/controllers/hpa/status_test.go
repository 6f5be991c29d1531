package hpa

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim"
)

// TestSameStatusIsSemanticEquality: the status comparison that decides
// whether a sync writes agrees with equality.Semantic.DeepEqual on every
// field changed in turn, and on the equal forms it must accept (a nil and
// an empty list, one quantity spelt two ways).
func TestSameStatusIsSemanticEquality(t *testing.T) {
	now := metav1.NewTime(sim.Epoch.Add(time.Minute))
	base := func() autoscalingv2.HorizontalPodAutoscalerStatus {
		gen := int64(3)
		u := int32(55)
		return autoscalingv2.HorizontalPodAutoscalerStatus{ObservedGeneration: &gen, LastScaleTime: &now, CurrentReplicas: 2, DesiredReplicas: 3,
			CurrentMetrics: []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
				Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageValue: resource.NewMilliQuantity(1000, resource.DecimalSI), AverageUtilization: &u}}}},
			Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{{Type: AbleToScale, Status: corev1.ConditionTrue, Reason: "SucceededGetScale", Message: "m", LastTransitionTime: now}}}
	}
	changes := map[string]func(*autoscalingv2.HorizontalPodAutoscalerStatus){
		"nothing":            func(*autoscalingv2.HorizontalPodAutoscalerStatus) {},
		"observedGeneration": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { g := int64(4); s.ObservedGeneration = &g },
		"no observedGen":     func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.ObservedGeneration = nil },
		"lastScaleTime": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			t := metav1.NewTime(now.Add(time.Second))
			s.LastScaleTime = &t
		},
		"no lastScaleTime": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.LastScaleTime = nil },
		"currentReplicas":  func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.CurrentReplicas++ },
		"desiredReplicas":  func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.DesiredReplicas++ },
		"metric value": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.CurrentMetrics[0].Resource.Current.AverageValue = resource.NewMilliQuantity(999, resource.DecimalSI)
		},
		"metric spelling": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			q := resource.MustParse("1")
			s.CurrentMetrics[0].Resource.Current.AverageValue = &q
		},
		"metric utilization": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			u := int32(56)
			s.CurrentMetrics[0].Resource.Current.AverageUtilization = &u
		},
		"no utilization": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.CurrentMetrics[0].Resource.Current.AverageUtilization = nil
		},
		"metric raw value": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.CurrentMetrics[0].Resource.Current.Value = resource.NewQuantity(1, resource.DecimalSI)
		},
		"metric name": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.CurrentMetrics[0].Resource.Name = corev1.ResourceMemory
		},
		"no resource": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.CurrentMetrics[0].Resource = nil },
		"pods metric": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.CurrentMetrics[0] = autoscalingv2.MetricStatus{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricStatus{Metric: autoscalingv2.MetricIdentifier{Name: "qps"}}}
		},
		"no metrics":        func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.CurrentMetrics = nil },
		"condition status":  func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.Conditions[0].Status = corev1.ConditionFalse },
		"condition reason":  func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.Conditions[0].Reason = "x" },
		"condition message": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.Conditions[0].Message = "x" },
		"condition time": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(time.Second))
		},
		"condition type": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.Conditions[0].Type = ScalingActive },
		"no conditions":  func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.Conditions = nil },
		"empty conditions": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{}
		},
	}
	for name, change := range changes {
		a, b := base(), base()
		change(&b)
		require.Equal(t, equality.Semantic.DeepEqual(a, b), sameStatus(&a, &b), name)
	}
	a, b := base(), base()
	a.Conditions, b.Conditions = nil, []autoscalingv2.HorizontalPodAutoscalerCondition{}
	require.True(t, sameStatus(&a, &b), "nil and empty conditions are equal, as for Semantic")
}

// The selector cache takes a target's new selector object for the old
// one only when the two select the same pods.
func TestSameSelector(t *testing.T) {
	web := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	expr := func(op metav1.LabelSelectorOperator, vals ...string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: op, Values: vals}}}
	}
	for _, tc := range []struct {
		name string
		a, b *metav1.LabelSelector
		want bool
	}{
		{"same object", web, web, true},
		{"equal copies", web, web.DeepCopy(), true},
		{"other labels", web, &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}, false},
		{"nil and empty labels", &metav1.LabelSelector{}, &metav1.LabelSelector{MatchLabels: map[string]string{}}, true},
		{"one nil", web, nil, false},
		{"equal expressions", expr(metav1.LabelSelectorOpIn, "web"), expr(metav1.LabelSelectorOpIn, "web"), true},
		{"other operator", expr(metav1.LabelSelectorOpIn, "web"), expr(metav1.LabelSelectorOpNotIn, "web"), false},
		{"labels against expressions", web, expr(metav1.LabelSelectorOpIn, "web"), false},
	} {
		require.Equal(t, tc.want, sameSelector(tc.a, tc.b), tc.name)
	}
}

// TestStatusCopyIsDeepCopy: the sync's copy of an HPA equals the HPA with
// its status deep-copied (reflect.DeepEqual, so nil and empty lists stay
// as they were), for the statuses it copies by hand and those it hands to
// DeepCopyInto; and writing through every pointer of the copy, as
// reconcile does, leaves the stored HPA as it was.
func TestStatusCopyIsDeepCopy(t *testing.T) {
	now := metav1.NewTime(sim.Epoch.Add(time.Minute))
	cpu := func(avg *resource.Quantity, u *int32) autoscalingv2.MetricStatus {
		return autoscalingv2.MetricStatus{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
			Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageValue: avg, AverageUtilization: u}}}
	}
	cond := func(typ autoscalingv2.HorizontalPodAutoscalerConditionType) autoscalingv2.HorizontalPodAutoscalerCondition {
		return autoscalingv2.HorizontalPodAutoscalerCondition{Type: typ, Status: corev1.ConditionTrue, Reason: "r", Message: "m", LastTransitionTime: now}
	}
	gen, u := int64(3), int32(55)
	withValue := cpu(nil, nil)
	withValue.Resource.Current.Value = resource.NewQuantity(2, resource.DecimalSI)
	for name, st := range map[string]autoscalingv2.HorizontalPodAutoscalerStatus{
		"zero":  {},
		"empty": {CurrentMetrics: []autoscalingv2.MetricStatus{}, Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{}},
		"typical": {ObservedGeneration: &gen, LastScaleTime: &now, CurrentReplicas: 2, DesiredReplicas: 3,
			CurrentMetrics: []autoscalingv2.MetricStatus{cpu(resource.NewMilliQuantity(1234, resource.DecimalSI), &u)},
			Conditions:     []autoscalingv2.HorizontalPodAutoscalerCondition{cond(AbleToScale), cond(ScalingActive), cond(ScalingLimited)}},
		"failed metric": {CurrentMetrics: []autoscalingv2.MetricStatus{cpu(nil, nil)}, Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{cond(AbleToScale)}},
		"value":         {CurrentMetrics: []autoscalingv2.MetricStatus{withValue}},
		"big quantity":  {CurrentMetrics: []autoscalingv2.MetricStatus{cpu(ptr.To(resource.MustParse("1e40")), nil)}},
		"two metrics":   {CurrentMetrics: []autoscalingv2.MetricStatus{cpu(nil, &u), cpu(resource.NewMilliQuantity(1, resource.DecimalSI), nil)}},
		"pods metric":   {CurrentMetrics: []autoscalingv2.MetricStatus{{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricStatus{}}}},
		"five conditions": {Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{cond(AbleToScale), cond(ScalingActive), cond(ScalingLimited),
			cond("A"), cond("B")}},
	} {
		h := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "h", Namespace: "default", Generation: 4}, Status: st}
		stored := h.DeepCopy()
		want := *h
		h.Status.DeepCopyInto(&want.Status)
		got := withStatusCopy(h)
		require.Equal(t, &want, got, name)
		require.True(t, equality.Semantic.DeepEqual(want, *got), name)

		// Write through everything reconcile may write through.
		s := &got.Status
		s.ObservedGeneration = &got.Generation
		if s.LastScaleTime != nil {
			*s.LastScaleTime = metav1.NewTime(now.Add(time.Hour))
		}
		for i := range s.Conditions {
			s.Conditions[i].Reason, s.Conditions[i].LastTransitionTime = "changed", metav1.NewTime(now.Add(time.Hour))
		}
		s.Conditions = append(s.Conditions, cond("New"))
		setCPUMetric(s, recommendation{averageMilli: 777, utilization: 77}, true)
		for i := range s.CurrentMetrics {
			if r := s.CurrentMetrics[i].Resource; r != nil {
				if r.Current.Value != nil {
					*r.Current.Value = resource.MustParse("9")
				}
				if r.Current.AverageValue != nil {
					*r.Current.AverageValue = resource.MustParse("9")
				}
				if r.Current.AverageUtilization != nil {
					*r.Current.AverageUtilization = 99
				}
			}
		}
		require.Equal(t, stored, h, "%s: the stored HPA is untouched", name)
	}
}
