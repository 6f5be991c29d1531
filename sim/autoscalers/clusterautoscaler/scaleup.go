package clusterautoscaler

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/autoscalers/simulator"
	"github.com/kubesim/kubesim/sim/podutil"
)

// Option is one way to scale up: NodeCount more machines of Group would
// make Pods schedulable (upstream's expander.Option).
type Option struct {
	Group     NodeGroup
	NodeCount int
	Pods      []*corev1.Pod
}

// unschedulablePods are the pending pods the scheduler marked
// Unschedulable, oldest key order, minus expendable and too-young ones.
func (a *Autoscaler) unschedulablePods() []*corev1.Pod {
	var out []*corev1.Pod
	now := a.Engine.Now()
	for _, key := range sortedKeys(a.Snap.Pending) {
		p := a.Snap.Pending[key]
		if p.DeletionTimestamp != nil || podutil.IsTerminal(p) || p.Spec.SchedulerName != corev1.DefaultSchedulerName {
			continue
		}
		if p.Spec.Priority != nil && *p.Spec.Priority < *a.opts.ExpendablePodsPriorityCutoff {
			continue
		}
		unschedulable := false
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				unschedulable = true
			}
		}
		if !unschedulable || now.Sub(p.CreationTimestamp.Time) < a.opts.NewPodScaleUpDelay {
			continue
		}
		out = append(out, p)
	}
	return out
}

// scaleUp runs upstream's scale-up: pods that fit the cluster as it will
// be once the machines already asked for have registered are left to the
// scheduler; for the rest every group's template node is tried, the
// binpacking estimate gives each group's node count, and the expander
// picks one option. It reports whether a scale-up was requested.
func (a *Autoscaler) scaleUp(groups []NodeGroup) bool {
	pods := a.unschedulablePods()
	if len(pods) == 0 {
		return false
	}
	var base simulator.Undo
	defer a.Snap.Revert(&base)
	nodes := a.groupNodes()
	targets := map[string]int{}
	for _, g := range groups {
		targets[g.Name] = a.cloud.TargetSize(g.Name)
		ready := 0
		for _, e := range nodes[g.Name] {
			if e.ready == corev1.ConditionTrue {
				ready++
			}
		}
		for i := range targets[g.Name] - ready { // upcoming machines
			a.addTemplate(&base, g, i)
		}
	}
	// Filter out pods schedulable on existing or upcoming nodes.
	var rest []*corev1.Pod
	for _, p := range pods {
		if n := a.Snap.FindPlace(p, nil); n != "" {
			a.Snap.Place(&base, p, n)
			continue
		}
		rest = append(rest, p)
	}
	if len(rest) == 0 {
		return false
	}
	reasons := make([]map[string]int, len(rest)) // pod -> reason -> groups
	for i := range reasons {
		reasons[i] = map[string]int{}
	}
	helped := make([]bool, len(rest))
	var options []Option
	for _, g := range groups {
		switch {
		case targets[g.Name] >= g.Max:
			for i := range rest {
				reasons[i]["max node group size reached"]++
			}
			continue
		case a.inBackoff(g.Name):
			for i := range rest {
				reasons[i]["in backoff after failed scale-up"]++
			}
			continue
		}
		if opt, ok := a.estimate(g, g.Max-targets[g.Name], rest, reasons, helped); ok {
			options = append(options, opt)
		}
	}
	for i, p := range rest {
		if !helped[i] {
			a.notTriggerScaleUp(p, reasons[i])
		}
	}
	if len(options) == 0 {
		return false
	}
	best := a.expand(options)
	plan := []Option{best}
	if a.opts.BalanceSimilarNodeGroups {
		plan = a.balance(best, options, targets)
	}
	var infos []string
	launchedAny := false
	for _, o := range plan {
		cur := targets[o.Group.Name]
		launched, err := a.cloud.IncreaseSize(o.Group.Name, o.NodeCount)
		if launched > 0 {
			launchedAny = true
			a.stats.NodesAdded += launched
			infos = append(infos, fmt.Sprintf("{%s %d->%d (max: %d)}", o.Group.Name, cur, cur+launched, o.Group.Max))
			a.statusEvent(corev1.EventTypeNormal, "ScaledUpGroup",
				fmt.Sprintf("Scale-up: setting group %s size to %d instead of %d (max: %d)", o.Group.Name, cur+launched, cur, o.Group.Max))
		}
		if err != nil {
			a.failScaleUp(o.Group.Name, err.Error())
			a.statusEvent(corev1.EventTypeWarning, "FailedToScaleUpGroup",
				fmt.Sprintf("Scale-up failed for group %s: %v", o.Group.Name, err))
		}
	}
	if !launchedAny {
		return false
	}
	a.stats.ScaleUps++
	a.lastScaleUp = a.now()
	msg := "pod triggered scale-up: [" + strings.Join(infos, " ") + "]"
	for _, o := range plan {
		for _, p := range o.Pods {
			a.Client.Event(p, corev1.EventTypeNormal, "TriggeredScaleUp", msg)
		}
	}
	return true
}

// estimate tries the pods on g's template node and packs those that fit
// onto as few new nodes as the binpacking estimator would, at most limit.
func (a *Autoscaler) estimate(g NodeGroup, limit int, pods []*corev1.Pod, reasons []map[string]int, helped []bool) (Option, bool) {
	var u simulator.Undo
	defer a.Snap.Revert(&u)
	probe := a.addTemplate(&u, g, 999)
	type cand struct {
		pod   *corev1.Pod
		i     int
		score float64
	}
	var fit []cand
	alloc := podutil.NodeAllocatable(g.Template)
	for i, p := range pods {
		if st := a.Snap.Check(p, probe); !st.IsSuccess() {
			for _, r := range st.Reasons() {
				reasons[i][nodeReason(r)]++
			}
			continue
		}
		req := podutil.PodRequests(p)
		score := 0.0
		if alloc.MilliCPU > 0 {
			score += float64(req.MilliCPU) / float64(alloc.MilliCPU)
		}
		if alloc.Memory > 0 {
			score += float64(req.Memory) / float64(alloc.Memory)
		}
		fit = append(fit, cand{p, i, score})
	}
	a.Snap.Revert(&u)
	if len(fit) == 0 {
		return Option{}, false
	}
	// Largest pods first (upstream's binpacking estimator order).
	slices.SortStableFunc(fit, func(x, y cand) int { return cmp.Compare(y.score, x.score) })
	opt := Option{Group: g}
	var opened []string
	for _, c := range fit {
		placed := false
		for _, n := range opened {
			if a.Snap.Check(c.pod, a.Snap.Get(n)).IsSuccess() {
				a.Snap.Place(&u, c.pod, n)
				placed = true
				break
			}
		}
		if !placed && len(opened) < limit {
			ni := a.addTemplate(&u, g, len(opened))
			if a.Snap.Check(c.pod, ni).IsSuccess() {
				a.Snap.Place(&u, c.pod, ni.Name())
				opened = append(opened, ni.Name())
				placed = true
			}
		}
		if placed {
			opt.Pods = append(opt.Pods, c.pod)
			helped[c.i] = true
		} else {
			reasons[c.i]["max node group size reached"]++
		}
	}
	opt.NodeCount = len(opened)
	return opt, opt.NodeCount > 0
}

const notTriggerRepeat = 5 * time.Minute

// nodeReason turns a filter reason into the wording upstream's
// NotTriggerScaleUp uses for template nodes.
func nodeReason(r string) string { return r }

// notTriggerScaleUp records why no group could help a pod; the same
// message for the same pod is repeated at most every 5 minutes (the
// event recorder's spam filter).
func (a *Autoscaler) notTriggerScaleUp(p *corev1.Pod, reasons map[string]int) {
	parts := make([]string, 0, len(reasons))
	for _, r := range sortedKeys(reasons) {
		parts = append(parts, strconv.Itoa(reasons[r])+" "+r)
	}
	msg := "pod didn't trigger scale-up:"
	if len(parts) > 0 {
		msg += " " + strings.Join(parts, ", ")
	}
	key := p.Namespace + "/" + p.Name
	if last, ok := a.notTriggered[key]; ok && last.msg == msg && a.now()-last.at < notTriggerRepeat {
		return
	}
	a.notTriggered[key] = notice{msg: msg, at: a.now()}
	a.Client.Event(p, corev1.EventTypeNormal, "NotTriggerScaleUp", msg)
}
