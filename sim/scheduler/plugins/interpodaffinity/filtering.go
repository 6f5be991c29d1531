package interpodaffinity

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

const preFilterKey framework.StateKey = "PreFilter" + Name

var (
	statusAffinity     = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonAffinityRulesNotMatch).WithPlugin(Name)
	statusAnti         = framework.NewStatus(framework.Unschedulable, ErrReasonAntiAffinityRulesNotMatch).WithPlugin(Name)
	statusExistingAnti = framework.NewStatus(framework.Unschedulable, ErrReasonExistingAntiAffinityRulesNotMatch).WithPlugin(Name)
)

type preFilterState struct {
	pod *framework.PodInfo
	// existingAnti counts existing pods whose required anti-affinity
	// selects the incoming pod, per topology pair of their node.
	existingAnti map[topologyPair]int
	// affinity / anti count existing pods the incoming pod's required
	// (anti-)affinity terms select, per topology pair.
	affinity, anti map[topologyPair]int
}

// PreFilter counts, per topology domain, the pods relevant to the
// incoming pod's required terms and the existing pods whose anti-affinity
// rejects it. Nothing to check means Skip.
func (pl *InterPodAffinity) PreFilter(state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	if !hasPodAffinity(pod) && pl.lister.NumPodsWithRequiredAntiAffinity() == 0 {
		return framework.SkipStatus
	}
	pi := incoming(state, pod)
	if pi.ParseErr != nil {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("parsing pod: %+v", pi.ParseErr))
	}
	noTerms := len(pi.RequiredAffinityTerms) == 0 && len(pi.RequiredAntiAffinityTerms) == 0
	if noTerms && pl.lister.NumPodsWithRequiredAntiAffinity() == 0 {
		return framework.SkipStatus
	}
	s := &preFilterState{pod: pi, existingAnti: map[topologyPair]int{}, affinity: map[topologyPair]int{}, anti: map[topologyPair]int{}}
	if pl.lister.NumPodsWithRequiredAntiAffinity() > 0 {
		nsLabels := pl.namespaceLabels(pod.Namespace)
		for _, ni := range pl.lister.NodeInfos() {
			for _, ex := range ni.PodsWithRequiredAntiAffinity {
				for i := range ex.RequiredAntiAffinityTerms {
					t := &ex.RequiredAntiAffinityTerms[i]
					if v, ok := nodeLabel(ex, t.TopologyKey); ok && t.Matches(pod, nsLabels) {
						s.existingAnti[topologyPair{t.TopologyKey, v}]++
					}
				}
			}
		}
	}
	if noTerms && len(s.existingAnti) == 0 {
		return framework.SkipStatus // no existing pod's anti-affinity selects this pod
	}
	pl.countAffinity(pi.RequiredAffinityTerms, s.affinity)
	countTerms(pl, pi.RequiredAntiAffinityTerms, s.anti)
	state.Write(preFilterKey, s)
	return nil
}

// countAffinity counts, per topology pair of each term, the existing pods
// that match every one of the required affinity terms: upstream counts a
// pod for the affinity only when it satisfies all terms at once, so that
// two terms on one topology key are not met by two different pods.
func (pl *InterPodAffinity) countAffinity(terms []framework.AffinityTerm, into map[topologyPair]int) {
	if len(terms) == 0 {
		return
	}
	pl.forEachMatch(&terms[0], func(ex *framework.PodInfo) {
		nsLabels := pl.namespaceLabels(ex.Pod.Namespace)
		for i := 1; i < len(terms); i++ {
			if !terms[i].Matches(ex.Pod, nsLabels) {
				return
			}
		}
		for i := range terms {
			if v, ok := nodeLabel(ex, terms[i].TopologyKey); ok {
				into[topologyPair{terms[i].TopologyKey, v}]++
			}
		}
	})
}

func countTerms(pl *InterPodAffinity, terms []framework.AffinityTerm, into map[topologyPair]int) {
	for i := range terms {
		t := &terms[i]
		pl.forEachMatch(t, func(ex *framework.PodInfo) {
			if v, ok := nodeLabel(ex, t.TopologyKey); ok {
				into[topologyPair{t.TopologyKey, v}]++
			}
		})
	}
}

// Filter checks the pod's affinity, its anti-affinity, then existing pods'
// anti-affinity, as upstream.
func (pl *InterPodAffinity) Filter(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	s, status := framework.ReadAs[*preFilterState](state, preFilterKey)
	if status != nil {
		return status
	}
	node := ni.Node()
	if !s.satisfiesAffinity(node) {
		return statusAffinity
	}
	for i := range s.pod.RequiredAntiAffinityTerms {
		t := &s.pod.RequiredAntiAffinityTerms[i]
		if v, ok := node.Labels[t.TopologyKey]; ok && s.anti[topologyPair{t.TopologyKey, v}] > 0 {
			return statusAnti
		}
	}
	if len(s.existingAnti) > 0 {
		for k, v := range node.Labels { // any hit rejects: order is irrelevant
			if s.existingAnti[topologyPair{k, v}] > 0 {
				return statusExistingAnti
			}
		}
	}
	return nil
}

// EventsToRegister implements framework.EnqueueExtensions: pods and node labels decide which topologies match.
func (*InterPodAffinity) EventsToRegister() map[string][]framework.ClusterEvent {
	return map[string][]framework.ClusterEvent{Name: {framework.AssignedPodAdd, framework.AssignedPodDelete, framework.NodeLabelChange}}
}

// satisfiesAffinity: every required affinity term has a matching pod in
// the node's domain — or no pod matches any term anywhere and the pod
// matches its own terms (the first pod of a group may go anywhere).
func (s *preFilterState) satisfiesAffinity(node *corev1.Node) bool {
	podsExist := true
	for i := range s.pod.RequiredAffinityTerms {
		t := &s.pod.RequiredAffinityTerms[i]
		v, ok := node.Labels[t.TopologyKey]
		if !ok {
			return false
		}
		if s.affinity[topologyPair{t.TopologyKey, v}] <= 0 {
			podsExist = false
		}
	}
	if podsExist {
		return true
	}
	if len(s.affinity) > 0 {
		return false
	}
	for i := range s.pod.RequiredAffinityTerms {
		if !s.pod.RequiredAffinityTerms[i].Matches(s.pod.Pod, nil) {
			return false
		}
	}
	return true
}

// CloneState copies the counts for preemption's dry run, which changes
// them through AddPod and RemovePod.
func (s *preFilterState) CloneState() any {
	return &preFilterState{pod: s.pod, existingAnti: maps.Clone(s.existingAnti), affinity: maps.Clone(s.affinity), anti: maps.Clone(s.anti)}
}

// AddPod counts podToAdd, now on node, as PreFilter would have.
func (pl *InterPodAffinity) AddPod(state *framework.CycleState, pod *corev1.Pod, podToAdd *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	return pl.updateWithPod(state, pod, podToAdd, node, 1)
}

// RemovePod stops counting podToRemove, no longer on node.
func (pl *InterPodAffinity) RemovePod(state *framework.CycleState, pod *corev1.Pod, podToRemove *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	return pl.updateWithPod(state, pod, podToRemove, node, -1)
}

// updateWithPod adds delta to every count the pod takes part in: its own
// required anti-affinity against the incoming pod, and the incoming pod's
// required affinity (all terms at once) and anti-affinity terms. A count
// down to zero is deleted, so that "no matching pod anywhere" holds again
// once the last one is gone.
func (pl *InterPodAffinity) updateWithPod(state *framework.CycleState, pod *corev1.Pod, pi *framework.PodInfo, ni *framework.NodeInfo, delta int) *framework.Status {
	s, status := framework.ReadAs[*preFilterState](state, preFilterKey)
	if status != nil {
		return status
	}
	node := ni.Node()
	if node == nil {
		return nil
	}
	update := func(m map[topologyPair]int, key string) {
		if val, ok := node.Labels[key]; ok {
			p := topologyPair{key, val}
			m[p] += delta
			if m[p] == 0 {
				delete(m, p)
			}
		}
	}
	inNs := pl.namespaceLabels(pod.Namespace)
	for i := range pi.RequiredAntiAffinityTerms {
		if t := &pi.RequiredAntiAffinityTerms[i]; t.Matches(pod, inNs) {
			update(s.existingAnti, t.TopologyKey)
		}
	}
	exNs := pl.namespaceLabels(pi.Pod.Namespace)
	if terms := s.pod.RequiredAffinityTerms; len(terms) > 0 {
		all := true
		for i := range terms {
			if !terms[i].Matches(pi.Pod, exNs) {
				all = false
				break
			}
		}
		if all {
			for i := range terms {
				update(s.affinity, terms[i].TopologyKey)
			}
		}
	}
	for i := range s.pod.RequiredAntiAffinityTerms {
		if t := &s.pod.RequiredAntiAffinityTerms[i]; t.Matches(pi.Pod, exNs) {
			update(s.anti, t.TopologyKey)
		}
	}
	return nil
}
