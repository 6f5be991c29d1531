package hpa

import (
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/kubesim/kubesim/sim/apiserver"
)

// DownscaleStabilization is the scale-down window of rules that set none
// (--horizontal-pod-autoscaler-downscale-stabilization).
const DownscaleStabilization = 5 * time.Minute

// timed is a recommendation or a scale event with its time.
type timed struct {
	at    time.Time
	value int32
}

// history is what the controller remembers of one HPA between syncs.
type history struct {
	recommendations []timed
	ups, downs      []timed // replicas added / removed by each rescale
}

// limits is the outcome of normalisation: the replicas to set and the
// ScalingLimited / AbleToScale reasons.
type limits struct {
	stable                      int32 // after the stabilisation windows
	replicas                    int32
	limitReason, limitMessage   string
	stableReason, stableMessage string
}

func behaviorOf(h *autoscalingv2.HorizontalPodAutoscaler) (up, down *autoscalingv2.HPAScalingRules) {
	up, down = apiserver.DefaultScaleUpRules(), apiserver.DefaultScaleDownRules()
	if b := h.Spec.Behavior; b != nil {
		if b.ScaleUp != nil {
			up = b.ScaleUp
		}
		if b.ScaleDown != nil {
			down = b.ScaleDown
		}
	}
	return up, down
}

func windowOf(r *autoscalingv2.HPAScalingRules, def time.Duration) time.Duration {
	if r.StabilizationWindowSeconds == nil {
		return def
	}
	return time.Duration(*r.StabilizationWindowSeconds) * time.Second
}

// normalize is upstream's normalizeDesiredReplicasWithBehaviors: the
// stabilisation windows (the lowest recent recommendation when going up,
// the highest when going down), then the rate policies and min/max.
func normalize(hist *history, up, down *autoscalingv2.HPAScalingRules, current, desired, minR, maxR int32, now time.Time) limits {
	var l limits
	stable := stabilize(hist, windowOf(up, 0), windowOf(down, DownscaleStabilization), current, desired, now)
	if stable != desired {
		if stable > desired {
			l.stableReason, l.stableMessage = "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation"
		} else {
			l.stableReason, l.stableMessage = "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation"
		}
	} else {
		l.stableReason, l.stableMessage = "ReadyForNewScale", "recommended size matches current size"
	}
	l.stable = stable
	l.replicas, l.limitReason, l.limitMessage = applyRates(hist, up, down, current, stable, minR, maxR, now)
	return l
}

// Scale-up bound of an HPA without spec.behavior (upstream's
// scaleUpLimitFactor and scaleUpLimitMinimum).
const (
	scaleUpLimitFactor  = 2.0
	scaleUpLimitMinimum = 4.0
)

// normalizeLegacy is upstream's normalizeDesiredReplicas, the path of an
// HPA without spec.behavior (the API server does not default one): the
// highest recommendation of the downscale stabilisation window, the new
// one included, then convertDesiredReplicasWithRules.
func normalizeLegacy(hist *history, current, desired, minR, maxR int32, now time.Time) limits {
	var l limits
	stable := desired
	cutoff := now.Add(-DownscaleStabilization)
	old := -1 // upstream overwrites the last sample older than the window
	for i, r := range hist.recommendations {
		if r.at.Before(cutoff) {
			old = i
			continue
		}
		stable = max(stable, r.value)
	}
	if old >= 0 {
		hist.recommendations[old] = timed{now, desired}
	} else {
		hist.recommendations = append(hist.recommendations, timed{now, desired})
	}
	if stable != desired {
		l.stableReason, l.stableMessage = "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation"
	} else {
		l.stableReason, l.stableMessage = "ReadyForNewScale", "recommended size matches current size"
	}
	l.stable = stable
	l.replicas, l.limitReason, l.limitMessage = convertWithRules(current, stable, minR, maxR)
	return l
}

// legacyScaleUpLimit is the most an HPA without spec.behavior scales up to in
// one step: max(2×current, 4).
func legacyScaleUpLimit(current int32) int32 {
	return int32(math.Max(scaleUpLimitFactor*float64(current), scaleUpLimitMinimum))
}

// convertWithRules is upstream's convertDesiredReplicasWithRules: desired
// within min/max, and at most legacyScaleUpLimit.
func convertWithRules(current, desired, minR, maxR int32) (int32, string, string) {
	maxAllowed, reason, msg := maxR, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
	if limit := legacyScaleUpLimit(current); maxR > limit {
		maxAllowed, reason, msg = limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
	}
	switch {
	case desired < minR:
		return minR, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
	case desired > maxAllowed:
		return maxAllowed, reason, msg
	}
	return desired, "DesiredWithinRange", "the desired count is within the acceptable range"
}

// stabilize records desired and returns the stabilised recommendation.
func stabilize(hist *history, upWindow, downWindow time.Duration, current, desired int32, now time.Time) int32 {
	upRec, downRec := desired, desired
	longest := max(upWindow, downWindow)
	kept := hist.recommendations[:0]
	for _, r := range hist.recommendations {
		if r.at.After(now.Add(-upWindow)) {
			upRec = min(upRec, r.value)
		}
		if r.at.After(now.Add(-downWindow)) {
			downRec = max(downRec, r.value)
		}
		if r.at.After(now.Add(-longest)) {
			kept = append(kept, r)
		}
	}
	hist.recommendations = append(kept, timed{now, desired})
	rec := current
	if rec < upRec {
		rec = upRec
	}
	if rec > downRec {
		rec = downRec
	}
	return rec
}

// applyRates is upstream's convertDesiredReplicasWithBehaviorRate.
func applyRates(hist *history, up, down *autoscalingv2.HPAScalingRules, current, desired, minR, maxR int32, now time.Time) (int32, string, string) {
	switch {
	case desired > current:
		limit := max(scaleUpLimit(current, hist, up, now), current)
		if maxR > limit {
			if desired > limit {
				return limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
			}
		} else if desired > maxR {
			return maxR, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
		}
	case desired < current:
		limit := min(scaleDownLimit(current, hist, down, now), current)
		if minR < limit {
			if desired < limit {
				return limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"
			}
		} else if desired < minR {
			return minR, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
		}
	}
	return desired, "DesiredWithinRange", "the desired count is within the acceptable range"
}

// changeSince sums the events within period.
func changeSince(events []timed, period time.Duration, now time.Time) int32 {
	var n int32
	for _, e := range events {
		if e.at.After(now.Add(-period)) {
			n += e.value
		}
	}
	return n
}

// scaleUpLimit is upstream's calculateScaleUpLimitWithScalingRules.
func scaleUpLimit(current int32, hist *history, r *autoscalingv2.HPAScalingRules, now time.Time) int32 {
	return policyLimit(current, hist, r, now, true)
}

// scaleDownLimit is upstream's calculateScaleDownLimitWithBehaviors.
func scaleDownLimit(current int32, hist *history, r *autoscalingv2.HPAScalingRules, now time.Time) int32 {
	return policyLimit(current, hist, r, now, false)
}

// policyLimit is the count the scaling policies let one step reach from
// current, up or down: each policy proposes a count from the replicas
// before its period's changes, and selectPolicy Max (the default) takes
// the proposal that changes most, Min the one that changes least.
// Percentages round up when scaling up and down when scaling down.
func policyLimit(current int32, hist *history, r *autoscalingv2.HPAScalingRules, now time.Time, up bool) int32 {
	if r.SelectPolicy != nil && *r.SelectPolicy == autoscalingv2.DisabledPolicySelect {
		return current
	}
	selectMin := r.SelectPolicy != nil && *r.SelectPolicy == autoscalingv2.MinChangePolicySelect
	lowest := up == selectMin // keep the lowest proposal, or the highest
	result := int32(math.MinInt32)
	if lowest {
		result = math.MaxInt32
	}
	for _, p := range r.Policies {
		period := time.Duration(p.PeriodSeconds) * time.Second
		start := current - changeSince(hist.ups, period, now) + changeSince(hist.downs, period, now)
		var proposed int32
		switch {
		case p.Type == autoscalingv2.PodsScalingPolicy && up:
			proposed = start + p.Value
		case p.Type == autoscalingv2.PodsScalingPolicy:
			proposed = start - p.Value
		case up:
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		default:
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		if lowest {
			result = min(result, proposed)
		} else {
			result = max(result, proposed)
		}
	}
	return result
}

// record remembers a rescale for the rate policies, dropping events older
// than any policy's period.
func (h *history) record(from, to int32, up, down *autoscalingv2.HPAScalingRules, now time.Time) {
	keep := max(longestPeriod(up), longestPeriod(down))
	h.ups, h.downs = prune(h.ups, keep, now), prune(h.downs, keep, now)
	if to > from {
		h.ups = append(h.ups, timed{now, to - from})
	} else if to < from {
		h.downs = append(h.downs, timed{now, from - to})
	}
}

func longestPeriod(r *autoscalingv2.HPAScalingRules) time.Duration {
	var p int32
	for _, pol := range r.Policies {
		p = max(p, pol.PeriodSeconds)
	}
	return time.Duration(p) * time.Second
}

func prune(events []timed, period time.Duration, now time.Time) []timed {
	kept := events[:0]
	for _, e := range events {
		if e.at.After(now.Add(-period)) {
			kept = append(kept, e)
		}
	}
	return kept
}
