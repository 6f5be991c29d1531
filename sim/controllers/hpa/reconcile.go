package hpa

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// Condition types and the metric's description in messages.
const (
	AbleToScale    = autoscalingv2.AbleToScale
	ScalingActive  = autoscalingv2.ScalingActive
	ScalingLimited = autoscalingv2.ScalingLimited
	cpuUtilization = "cpu resource utilization (percentage of request)"
	cpuValue       = "cpu resource"
)

// metricDesc is how the status and events name a metric: its
// description, the ScalingActive message and the rescale reason, built
// once rather than every sync.
type metricDesc struct{ name, valid, above string }

func describe(name string) metricDesc {
	return metricDesc{name, "the HPA was able to successfully calculate a replica count from " + name, name + " above target"}
}

var cpuUtilizationDesc, cpuValueDesc = describe(cpuUtilization), describe(cpuValue)

// scaleTarget is the scale subresource of the HPA's target.
type scaleTarget struct {
	obj         store.Object
	kind        string
	spec        int32
	target      *hpaTarget // its selector and pods
	annotations map[string]string
}

// reconcile is upstream's reconcileAutoscaler on a copy of the HPA whose
// status it fills in.
func (c *Controller) reconcile(key string, hpa *autoscalingv2.HorizontalPodAutoscaler) {
	now := c.Engine.Now()
	st := &hpa.Status
	st.ObservedGeneration = &hpa.Generation
	tgt, err := c.scaleOf(key, hpa)
	if err != nil {
		c.Client.Event(hpa, corev1.EventTypeWarning, "FailedGetScale", err.Error())
		setCondition(st, AbleToScale, corev1.ConditionFalse, "FailedGetScale", "the HPA controller was unable to get the target's current scale: "+err.Error(), now)
		return
	}
	setCondition(st, AbleToScale, corev1.ConditionTrue, "SucceededGetScale", "the HPA controller was able to get the target's current scale", now)
	hist := c.history[key]
	if hist == nil { // first sight: no scale-down until the window has passed
		hist = &history{recommendations: []timed{{now, tgt.spec}}}
		c.history[key] = hist
	}
	minR := int32(1)
	if hpa.Spec.MinReplicas != nil {
		minR = *hpa.Spec.MinReplicas
	}
	current, desired, reason := tgt.spec, int32(0), ""
	switch {
	case current == 0 && minR != 0:
		setCondition(st, ScalingActive, corev1.ConditionFalse, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero", now)
	case current > hpa.Spec.MaxReplicas:
		desired, reason = hpa.Spec.MaxReplicas, "Current number of replicas above Spec.MaxReplicas"
	case current < minR:
		desired, reason = minR, "Current number of replicas below Spec.MinReplicas"
	default:
		var ok bool
		if desired, reason, ok = c.fromMetrics(hpa, &tgt, hist, minR, now); !ok {
			return
		}
	}
	if current != 0 && desired != current {
		if err := c.Client.Scale(tgt.kind, hpa.Namespace, tgt.obj.GetName(), desired); err != nil {
			c.Client.Event(hpa, corev1.EventTypeWarning, "FailedRescale", fmt.Sprintf("New size: %d; reason: %s; error: %v", desired, reason, err))
			setCondition(st, AbleToScale, corev1.ConditionFalse, "FailedUpdateScale", "the HPA controller was unable to update the target scale: "+err.Error(), now)
			return
		}
		setCondition(st, AbleToScale, corev1.ConditionTrue, "SucceededRescale", fmt.Sprintf("the HPA controller was able to update the target scale to %d", desired), now)
		c.Client.Event(hpa, corev1.EventTypeNormal, "SuccessfulRescale", fmt.Sprintf("New size: %d; reason: %s", desired, reason))
		if hpa.Spec.Behavior != nil { // upstream's storeScaleEvent keeps none without behavior
			up, down := behaviorOf(hpa)
			hist.record(current, desired, up, down, now)
		}
		t := metav1.NewTime(now)
		st.LastScaleTime = &t
	} else if current != 0 {
		desired = current
	}
	st.CurrentReplicas, st.DesiredReplicas = tgt.spec, desired
}

// fromMetrics computes and normalises the recommendation from the CPU
// metrics, setting ScalingActive and ScalingLimited; ok is false when no
// metric could be computed (the target is left alone).
func (c *Controller) fromMetrics(hpa *autoscalingv2.HorizontalPodAutoscaler, tgt *scaleTarget, hist *history, minR int32, now time.Time) (int32, string, bool) {
	st := &hpa.Status
	desired, desc, err := c.metricReplicas(hpa, tgt, now)
	if err != nil {
		c.Client.Event(hpa, corev1.EventTypeWarning, "FailedGetResourceMetric", err.Error())
		c.Client.Event(hpa, corev1.EventTypeWarning, "FailedComputeMetricsReplicas", "invalid metrics (1 invalid out of 1), first error is: "+err.Error())
		setCondition(st, ScalingActive, corev1.ConditionFalse, "FailedGetResourceMetric", "the HPA was unable to compute the replica count: "+err.Error(), now)
		st.CurrentMetrics = []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricStatus{Name: corev1.ResourceCPU}}}
		st.CurrentReplicas, st.DesiredReplicas = tgt.spec, tgt.spec
		return 0, "", false
	}
	setCondition(st, ScalingActive, corev1.ConditionTrue, "ValidMetricFound", desc.valid, now)
	var l limits
	if hpa.Spec.Behavior == nil {
		l = normalizeLegacy(hist, tgt.spec, desired, minR, hpa.Spec.MaxReplicas, now)
	} else {
		up, down := behaviorOf(hpa)
		l = normalize(hist, up, down, tgt.spec, desired, minR, hpa.Spec.MaxReplicas, now)
	}
	setCondition(st, AbleToScale, corev1.ConditionTrue, l.stableReason, l.stableMessage, now)
	limited := corev1.ConditionFalse
	if l.replicas != l.stable {
		limited = corev1.ConditionTrue
	}
	setCondition(st, ScalingLimited, limited, l.limitReason, l.limitMessage, now)
	if l.replicas < tgt.spec {
		return l.replicas, "All metrics below target", true
	}
	return l.replicas, desc.above, true
}

// metricReplicas evaluates the HPA's first CPU Resource metric and
// reports it in the status's currentMetrics.
func (c *Controller) metricReplicas(hpa *autoscalingv2.HorizontalPodAutoscaler, tgt *scaleTarget, now time.Time) (int32, *metricDesc, error) {
	var spec *autoscalingv2.ResourceMetricSource
	for i := range hpa.Spec.Metrics {
		m := &hpa.Spec.Metrics[i]
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU {
			spec = m.Resource
			break
		}
	}
	if spec == nil {
		return 0, nil, fmt.Errorf("the simulator only models Resource cpu metrics")
	}
	var t target
	desc := &cpuUtilizationDesc
	if spec.Target.AverageUtilization != nil {
		t.utilization = *spec.Target.AverageUtilization
	} else if spec.Target.AverageValue != nil {
		t.averageMilli, desc = spec.Target.AverageValue.MilliValue(), &cpuValueDesc
	}
	pods := c.podsOf(tgt.target)
	cfg := defaultCalcConfig
	cfg.tolerances = tolerancesOf(hpa)
	metrics, n := c.metricsOf(pods, tgt.annotations, now)
	var rec recommendation
	var err error
	rec, c.samples, err = podReplicas(tgt.spec, pods, metrics, n, t, cfg, now, c.samples)
	if err != nil {
		return 0, nil, fmt.Errorf("failed to get cpu utilization: %w", err)
	}
	setCPUMetric(&hpa.Status, rec, t.utilization > 0)
	return rec.replicas, desc, nil
}

// setCPUMetric makes the status's currentMetrics the one CPU Resource
// metric of rec. The status is the sync's own deep copy, so the metric
// it already holds (the last sync's) is overwritten in place rather than
// allocated again.
func setCPUMetric(st *autoscalingv2.HorizontalPodAutoscalerStatus, rec recommendation, utilization bool) {
	if len(st.CurrentMetrics) != 1 || st.CurrentMetrics[0].Type != autoscalingv2.ResourceMetricSourceType ||
		st.CurrentMetrics[0].Resource == nil || st.CurrentMetrics[0].Object != nil || st.CurrentMetrics[0].Pods != nil ||
		st.CurrentMetrics[0].ContainerResource != nil || st.CurrentMetrics[0].External != nil {
		st.CurrentMetrics = []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricStatus{}}}
	}
	r := st.CurrentMetrics[0].Resource
	r.Name = corev1.ResourceCPU
	if r.Current.AverageValue == nil {
		r.Current.AverageValue = new(resource.Quantity)
	}
	*r.Current.AverageValue = *resource.NewMilliQuantity(rec.averageMilli, resource.DecimalSI)
	r.Current.Value = nil
	if !utilization {
		r.Current.AverageUtilization = nil
		return
	}
	if r.Current.AverageUtilization == nil {
		r.Current.AverageUtilization = new(int32)
	}
	*r.Current.AverageUtilization = rec.utilization
}

// scaleOf reads the target's scale subresource.
func (c *Controller) scaleOf(key string, hpa *autoscalingv2.HorizontalPodAutoscaler) (scaleTarget, error) {
	ref := hpa.Spec.ScaleTargetRef
	o, ok := c.Store.Get(ref.Kind, hpa.Namespace, ref.Name)
	var sel *metav1.LabelSelector
	var spec *int32
	switch w := o.(type) {
	case *appsv1.Deployment:
		sel, spec = w.Spec.Selector, w.Spec.Replicas
	case *appsv1.ReplicaSet:
		sel, spec = w.Spec.Selector, w.Spec.Replicas
	case *appsv1.StatefulSet:
		sel, spec = w.Spec.Selector, w.Spec.Replicas
	case *corev1.ReplicationController:
		sel, spec = metav1.SetAsLabelSelector(w.Spec.Selector), w.Spec.Replicas
	default:
		if ok || ref.Kind == "" {
			return scaleTarget{}, fmt.Errorf("no scale subresource for kind %q", ref.Kind)
		}
	}
	if !ok {
		resourceName := strings.ToLower(ref.Kind) + "s.apps"
		if info, ok := store.LookupKind(ref.Kind); ok {
			resourceName = info.GroupResource().String()
		}
		return scaleTarget{}, fmt.Errorf("%s %q not found", resourceName, ref.Name)
	}
	tp, err := c.targetOf(key, hpa.Namespace, sel)
	if err != nil {
		return scaleTarget{}, err
	}
	t := scaleTarget{obj: o, kind: ref.Kind, target: tp, spec: 1, annotations: o.GetAnnotations()}
	if spec != nil {
		t.spec = *spec
	}
	return t, nil
}

// setCondition sets a condition, moving its transition time only when
// its status changes.
func setCondition(st *autoscalingv2.HorizontalPodAutoscalerStatus, t autoscalingv2.HorizontalPodAutoscalerConditionType,
	status corev1.ConditionStatus, reason, message string, now time.Time) {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.Type != t {
			continue
		}
		if c.Status != status {
			c.LastTransitionTime = metav1.NewTime(now)
		}
		c.Status, c.Reason, c.Message = status, reason, message
		return
	}
	st.Conditions = append(st.Conditions, autoscalingv2.HorizontalPodAutoscalerCondition{Type: t, Status: status,
		Reason: reason, Message: message, LastTransitionTime: metav1.NewTime(now)})
}
