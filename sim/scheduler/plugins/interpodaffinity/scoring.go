package interpodaffinity

import (
	"fmt"
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

const preScoreKey framework.StateKey = "PreScore" + Name

type preScoreState struct {
	// keys lists the topology keys with scores, sorted; scores[i] maps a
	// value of keys[i] to its summed weight.
	keys   []string
	scores []map[string]int64
}

func (s *preScoreState) add(key, value string, w int64) {
	i, found := slices.BinarySearch(s.keys, key)
	if !found {
		s.keys = slices.Insert(s.keys, i, key)
		s.scores = slices.Insert(s.scores, i, map[string]int64{})
	}
	s.scores[i][value] += w
}

// PreScore sums preferred-term weights per topology domain: the incoming
// pod's terms over the pods they select, and existing pods' terms that
// select the incoming pod. Nothing to score means Skip.
func (pl *InterPodAffinity) PreScore(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	if !hasPodAffinity(pod) && pl.lister.NumPodsWithAffinity() == 0 {
		return framework.SkipStatus
	}
	pi := incoming(state, pod)
	if pi.ParseErr != nil {
		return framework.AsStatus(fmt.Errorf("failed to parse pod: %w", pi.ParseErr))
	}
	hasOwn := len(pi.PreferredAffinityTerms)+len(pi.PreferredAntiAffinityTerms) > 0
	if !hasOwn && pl.lister.NumPodsWithAffinity() == 0 {
		return framework.SkipStatus
	}
	s := &preScoreState{}
	for _, sign := range [...]int64{1, -1} {
		terms := pi.PreferredAffinityTerms
		if sign < 0 {
			terms = pi.PreferredAntiAffinityTerms
		}
		for i := range terms {
			t := &terms[i]
			pl.forEachMatch(&t.AffinityTerm, func(ex *framework.PodInfo) {
				if v, ok := nodeLabel(ex, t.TopologyKey); ok {
					s.add(t.TopologyKey, v, sign*int64(t.Weight))
				}
			})
		}
	}
	if pl.lister.NumPodsWithAffinity() > 0 {
		nsLabels := pl.namespaceLabels(pod.Namespace)
		for _, ni := range pl.lister.NodeInfos() {
			for _, ex := range ni.PodsWithAffinity {
				existingTerms(s, ex, pod, nsLabels)
			}
		}
	}
	if len(s.keys) == 0 {
		return framework.SkipStatus // no term scores any domain
	}
	state.Write(preScoreKey, s)
	return nil
}

// existingTerms adds an existing pod's terms that select the incoming pod.
func existingTerms(s *preScoreState, ex *framework.PodInfo, pod *corev1.Pod, nsLabels map[string]string) {
	apply := func(t *framework.AffinityTerm, w int64) {
		if v, ok := nodeLabel(ex, t.TopologyKey); ok && t.Matches(pod, nsLabels) {
			s.add(t.TopologyKey, v, w)
		}
	}
	for i := range ex.RequiredAffinityTerms {
		apply(&ex.RequiredAffinityTerms[i], hardPodAffinityWeight)
	}
	for i := range ex.PreferredAffinityTerms {
		apply(&ex.PreferredAffinityTerms[i].AffinityTerm, int64(ex.PreferredAffinityTerms[i].Weight))
	}
	for i := range ex.PreferredAntiAffinityTerms {
		apply(&ex.PreferredAntiAffinityTerms[i].AffinityTerm, -int64(ex.PreferredAntiAffinityTerms[i].Weight))
	}
}

// Score sums the node's domains' weights.
func (pl *InterPodAffinity) Score(state *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, status := framework.ReadAs[*preScoreState](state, preScoreKey)
	if status != nil {
		return 0, status
	}
	var sum int64
	labels := ni.Node().Labels
	for i, k := range s.keys {
		if val, ok := labels[k]; ok {
			sum += s.scores[i][val]
		}
	}
	return sum, nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *InterPodAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps raw sums (which may be negative) linearly from
// [min, max] to [0, 100].
func (pl *InterPodAffinity) NormalizeScore(_ *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	if len(scores) == 0 {
		return nil
	}
	var lo int64 = math.MaxInt64
	var hi int64 = math.MinInt64
	for i := range scores {
		lo = min(lo, scores[i].Score)
		hi = max(hi, scores[i].Score)
	}
	diff := hi - lo
	for i := range scores {
		f := 0.0
		if diff > 0 {
			f = float64(framework.MaxNodeScore) * (float64(scores[i].Score-lo) / float64(diff))
		}
		scores[i].Score = int64(f)
	}
	return nil
}
