package daemonset

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingcorev1 "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
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

// placement is what decides where a DaemonSet runs, computed once per sync.
type placement struct {
	spec     *corev1.PodSpec
	tols     []corev1.Toleration
	affinity nodeaffinity.RequiredNodeAffinity
}

func newPlacement(ds *appsv1.DaemonSet) placement {
	spec := &ds.Spec.Template.Spec
	return placement{spec: spec, tols: daemonTolerations(spec),
		affinity: nodeaffinity.NewRequiredNodeAffinity(spec.NodeSelector, spec.Affinity)}
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
	// spec.nodeSelector and the required node affinity, as upstream's
	// predicates (an unparsable selector matches no node).
	if fits, _ := p.affinity.Match(node); !fits {
		return false, false
	}
	noSchedOrExec := func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	}
	if p.untolerated(node, noSchedOrExec) {
		exec := func(t *corev1.Taint) bool { return t.Effect == corev1.TaintEffectNoExecute }
		return false, !p.untolerated(node, exec)
	}
	return true, true
}

// untolerated reports whether one of the node's taints that filter
// selects is not tolerated by the daemon pod.
func (p placement) untolerated(node *corev1.Node, filter func(*corev1.Taint) bool) bool {
	_, found := schedulingcorev1.FindMatchingUntoleratedTaint(klog.Background(), node.Spec.Taints, p.tols, filter, false)
	return found
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
