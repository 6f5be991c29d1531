// Package interpodaffinity enforces required pod affinity and
// anti-affinity (the incoming pod's own terms and the existing pods'
// anti-affinity against it) and scores nodes by preferred terms (both
// directions, plus existing pods' required affinity with weight 1).
//
// Matching pods are found through the cache's label index when a term's
// selector pins a label and lists its namespaces, so the cost follows the
// matching pods rather than every pod in the cluster.
package interpodaffinity

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Name is the plugin name.
const Name = "InterPodAffinity"

// Upstream's failure reasons.
const (
	ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
	ErrReasonAffinityRulesNotMatch             = "node(s) didn't match pod affinity rules"
	ErrReasonAntiAffinityRulesNotMatch         = "node(s) didn't match pod anti-affinity rules"
)

// hardPodAffinityWeight is the score weight of an existing pod's required
// affinity term matching the incoming pod (upstream default 1).
const hardPodAffinityWeight = 1

// NamespaceLabels returns a namespace's labels (for namespaceSelector).
type NamespaceLabels func(ns string) map[string]string

// InterPodAffinity is the plugin.
type InterPodAffinity struct {
	lister   framework.SharedLister
	nsLabels NamespaceLabels
}

// New returns the plugin.
func New(lister framework.SharedLister, nsLabels NamespaceLabels) *InterPodAffinity {
	return &InterPodAffinity{lister: lister, nsLabels: nsLabels}
}

// Name implements framework.Plugin.
func (*InterPodAffinity) Name() string { return Name }

type topologyPair struct{ key, value string }

func (pl *InterPodAffinity) namespaceLabels(ns string) labels.Set {
	if pl.nsLabels == nil {
		return nil
	}
	return pl.nsLabels(ns)
}

// forEachMatch calls fn for every assigned pod the term selects.
func (pl *InterPodAffinity) forEachMatch(t *framework.AffinityTerm, fn func(*framework.PodInfo)) {
	if t.NamespaceSelector == nil {
		for _, ns := range t.Namespaces {
			for _, pi := range framework.CandidatePods(pl.lister, ns, t.Selector) {
				if pi.Node != nil && t.Selector.Matches(labels.Set(pi.Pod.Labels)) {
					fn(pi)
				}
			}
		}
		return
	}
	for _, ni := range pl.lister.NodeInfos() {
		for _, pi := range ni.Pods {
			if t.Matches(pi.Pod, pl.namespaceLabels(pi.Pod.Namespace)) {
				fn(pi)
			}
		}
	}
}

func nodeLabel(pi *framework.PodInfo, key string) (string, bool) {
	if pi.Node == nil || pi.Node.Node() == nil {
		return "", false
	}
	v, ok := pi.Node.Node().Labels[key]
	return v, ok
}

// incoming is the PodInfo of the pod being scheduled: the one the
// scheduler derived for the cycle, or a new one (read-only either way).
func incoming(state *framework.CycleState, pod *corev1.Pod) *framework.PodInfo {
	if pi := state.PodInfo(pod); pi != nil {
		return pi
	}
	return framework.NewPodInfo(pod)
}

// hasPodAffinity reports whether the pod has any pod (anti-)affinity, so
// that most cycles skip parsing it.
func hasPodAffinity(pod *corev1.Pod) bool {
	a := pod.Spec.Affinity
	return a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil)
}
