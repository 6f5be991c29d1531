package clusterautoscaler

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubesim/kubesim/sim/podutil"
)

// expand applies the expander chain: each expander keeps its best
// options, and a random choice settles what is left (upstream's chain
// ends in the random expander too).
func (a *Autoscaler) expand(options []Option) Option {
	best := options
	for _, name := range strings.Split(a.opts.Expander, ",") {
		if len(best) == 1 {
			break
		}
		switch strings.TrimSpace(name) {
		case ExpanderMostPods:
			best = keepBest(best, func(o Option) float64 { return -float64(len(o.Pods)) })
		case ExpanderLeastWaste:
			best = keepBest(best, wastedScore)
		case ExpanderPrice:
			best = keepBest(best, priceScore)
		case ExpanderPriority:
			best = a.priorityBest(best)
		}
	}
	if len(best) == 1 {
		return best[0]
	}
	return best[a.Rand.IntN(len(best))]
}

// keepBest keeps the options with the lowest score.
func keepBest(options []Option, score func(Option) float64) []Option {
	lo := math.Inf(1)
	var out []Option
	for _, o := range options {
		s := score(o)
		switch {
		case s < lo-1e-12:
			lo, out = s, []Option{o}
		case math.Abs(s-lo) <= 1e-12:
			out = append(out, o)
		}
	}
	return out
}

// wastedScore is least-waste's score: the share of the new nodes' cpu
// left unrequested by the pods plus the share of memory.
func wastedScore(o Option) float64 {
	var req podutil.Resources
	for _, p := range o.Pods {
		req = req.Add(podutil.PodRequests(p))
	}
	alloc := podutil.NodeAllocatable(o.Group.Template)
	n := int64(o.NodeCount)
	cpu, mem := float64(alloc.MilliCPU*n), float64(alloc.Memory*n)
	var s float64
	if cpu > 0 {
		s += (cpu - float64(req.MilliCPU)) / cpu
	}
	if mem > 0 {
		s += (mem - float64(req.Memory)) / mem
	}
	return s
}

// priceScore is the price expander's score, simplified to what it
// optimises: the price per hour of the new nodes per pod they schedule.
// (Upstream also prefers nodes near a preferred size; not modelled.)
func priceScore(o Option) float64 {
	return float64(o.NodeCount) * o.Group.PricePerHour / float64(len(o.Pods))
}

// priorityBest keeps the options whose group matches the highest
// priority in the cluster-autoscaler-priority-expander ConfigMap
// (data.priorities: "priority: [group-name regexps]"). Without the
// ConfigMap, or when nothing matches, every option stays.
func (a *Autoscaler) priorityBest(options []Option) []Option {
	o, ok := a.Store.Get("ConfigMap", "kube-system", PriorityConfigMap)
	if !ok {
		return options
	}
	var prio map[string][]string
	if err := yaml.Unmarshal([]byte(o.(*corev1.ConfigMap).Data["priorities"]), &prio); err != nil {
		return options
	}
	bestPrio := math.MinInt
	var out []Option
	for _, opt := range options {
		p, matched := math.MinInt, false
		for _, k := range sortedKeys(prio) {
			exprs := prio[k]
			n, err := strconv.Atoi(k)
			if err != nil {
				continue
			}
			for _, e := range exprs {
				if re, err := regexp.Compile(e); err == nil && re.MatchString(opt.Group.Name) && n > p {
					p, matched = n, true
				}
			}
		}
		if !matched {
			continue
		}
		switch {
		case p > bestPrio:
			bestPrio, out = p, []Option{opt}
		case p == bestPrio:
			out = append(out, opt)
		}
	}
	if len(out) == 0 {
		return options
	}
	return out
}
