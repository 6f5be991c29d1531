package daemonset

import (
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// daemonTolerations are the tolerations every DaemonSet pod gets (upstream
// AddOrUpdateDaemonPodTolerations): daemons keep running on not-ready and
// unreachable nodes, ignore node pressure and cordoning, and host-network
// daemons (the CNI itself) run before the network is up.
func daemonTolerations(spec *corev1.PodSpec) []corev1.Toleration {
	out := append([]corev1.Toleration(nil), spec.Tolerations...)
	add := func(key string, effect corev1.TaintEffect) {
		t := corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect}
		for i := range out {
			if out[i].MatchToleration(&t) {
				out[i] = t
				return
			}
		}
		out = append(out, t)
	}
	add(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute)
	add(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute)
	add(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule)
	add(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule)
	add(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule)
	add(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule)
	if spec.HostNetwork {
		add(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)
	}
	return out
}

// tolerates reports whether toleration t tolerates taint (Equal or
// Exists; an empty key with Exists tolerates everything; an empty effect
// matches every effect).
func tolerates(t *corev1.Toleration, taint *corev1.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case corev1.TolerationOpExists:
		return true
	case "", corev1.TolerationOpEqual:
		return t.Value == taint.Value
	}
	return false
}

func untolerated(taints []corev1.Taint, tols []corev1.Toleration, effect func(corev1.TaintEffect) bool) bool {
	for i := range taints {
		if !effect(taints[i].Effect) {
			continue
		}
		ok := false
		for j := range tols {
			if tolerates(&tols[j], &taints[i]) {
				ok = true
				break
			}
		}
		if !ok {
			return true
		}
	}
	return false
}

// placement is what decides where a DaemonSet runs, computed once per sync.
type placement struct {
	spec *corev1.PodSpec
	tols []corev1.Toleration
}

func newPlacement(ds *appsv1.DaemonSet) placement {
	return placement{spec: &ds.Spec.Template.Spec, tols: daemonTolerations(&ds.Spec.Template.Spec)}
}

// ShouldRun is upstream's NodeShouldRunDaemonPod: shouldRun says a daemon
// pod belongs on the node; shouldContinue says an existing one may stay
// (a new NoSchedule taint does not evict it, a NoExecute taint does).
func ShouldRun(node *corev1.Node, ds *appsv1.DaemonSet) (shouldRun, shouldContinue bool) {
	return newPlacement(ds).shouldRun(node)
}

func (p placement) shouldRun(node *corev1.Node) (bool, bool) {
	if p.spec.NodeName != "" && p.spec.NodeName != node.Name {
		return false, false
	}
	if !matchesNodeSelector(p.spec, node) {
		return false, false
	}
	noSchedOrExec := func(e corev1.TaintEffect) bool {
		return e == corev1.TaintEffectNoSchedule || e == corev1.TaintEffectNoExecute
	}
	if untolerated(node.Spec.Taints, p.tols, noSchedOrExec) {
		exec := func(e corev1.TaintEffect) bool { return e == corev1.TaintEffectNoExecute }
		return false, !untolerated(node.Spec.Taints, p.tols, exec)
	}
	return true, true
}

// matchesNodeSelector checks spec.nodeSelector and the required node
// affinity terms (ORed; expressions and fields within a term ANDed).
func matchesNodeSelector(spec *corev1.PodSpec, node *corev1.Node) bool {
	for k, v := range spec.NodeSelector {
		if w, ok := node.Labels[k]; !ok || w != v {
			return false
		}
	}
	a := spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return true
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		if termMatches(&term, node) {
			return true
		}
	}
	return false
}

func termMatches(t *corev1.NodeSelectorTerm, node *corev1.Node) bool {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return false // an empty term matches nothing
	}
	for i := range t.MatchExpressions {
		r := &t.MatchExpressions[i]
		v, ok := node.Labels[r.Key]
		if !requirementMatches(r, v, ok) {
			return false
		}
	}
	for i := range t.MatchFields {
		r := &t.MatchFields[i]
		if r.Key != "metadata.name" || !requirementMatches(r, node.Name, true) {
			return false
		}
	}
	return true
}

func requirementMatches(r *corev1.NodeSelectorRequirement, v string, ok bool) bool {
	switch r.Operator {
	case corev1.NodeSelectorOpIn:
		return ok && slices.Contains(r.Values, v)
	case corev1.NodeSelectorOpNotIn:
		return !ok || !slices.Contains(r.Values, v)
	case corev1.NodeSelectorOpExists:
		return ok
	case corev1.NodeSelectorOpDoesNotExist:
		return !ok
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if !ok || len(r.Values) != 1 {
			return false
		}
		have, err1 := strconv.ParseInt(v, 10, 64)
		want, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if r.Operator == corev1.NodeSelectorOpGt {
			return have > want
		}
		return have < want
	}
	return false
}

// pinToNode replaces the pod's required node affinity with one term
// matching only the node's name, so the default scheduler places the
// daemon pod there (upstream ReplaceDaemonSetPodNodeNameNodeAffinity).
func pinToNode(spec *corev1.PodSpec, node string) {
	sel := &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
		MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
	}}}
	if spec.Affinity == nil {
		spec.Affinity = &corev1.Affinity{}
	}
	if spec.Affinity.NodeAffinity == nil {
		spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = sel
}

// fit is a node's verdict for one DaemonSet.
type fit struct{ run, cont bool }

// evaluate is shouldRun for every node, computed once per sync and shared
// by the actions, the rolling update and the status.
func (p placement) evaluate(nodes []*corev1.Node) []fit {
	out := make([]fit, len(nodes))
	for i, n := range nodes {
		out[i].run, out[i].cont = p.shouldRun(n)
	}
	return out
}
