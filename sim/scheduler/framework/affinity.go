package framework

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// AffinityTerm is a parsed PodAffinityTerm: which pods (label selector,
// namespaces) must or must not share which topology domain.
type AffinityTerm struct {
	// Namespaces the term applies to; with NamespaceSelector nil and no
	// namespaces listed this is the pod's own namespace.
	Namespaces []string
	// NamespaceSelector selects more namespaces by label (nil = none).
	NamespaceSelector labels.Selector
	Selector          labels.Selector
	TopologyKey       string
}

// WeightedAffinityTerm is a preferred term with its weight.
type WeightedAffinityTerm struct {
	AffinityTerm
	Weight int32
}

// Matches reports whether pod (whose namespace has nsLabels) is selected
// by the term.
func (t *AffinityTerm) Matches(pod *corev1.Pod, nsLabels labels.Set) bool {
	inNS := false
	for _, ns := range t.Namespaces {
		if ns == pod.Namespace {
			inNS = true
			break
		}
	}
	if !inNS && t.NamespaceSelector != nil && nsLabels != nil {
		inNS = t.NamespaceSelector.Matches(nsLabels)
	}
	return inNS && t.Selector.Matches(labels.Set(pod.Labels))
}

// parseAffinityTerm parses term for a pod in namespace ns. An invalid
// selector selects nothing (the API server rejects them anyway) and is
// returned as the error.
func parseAffinityTerm(ns string, term *corev1.PodAffinityTerm) (AffinityTerm, error) {
	t := AffinityTerm{TopologyKey: term.TopologyKey, Namespaces: term.Namespaces}
	sel, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
	if err != nil {
		sel = labels.Nothing()
	}
	t.Selector = sel
	if term.NamespaceSelector != nil {
		nsSel, nerr := metav1.LabelSelectorAsSelector(term.NamespaceSelector)
		if nerr == nil {
			t.NamespaceSelector = nsSel
		} else if err == nil {
			err = nerr
		}
	}
	if len(t.Namespaces) == 0 && term.NamespaceSelector == nil {
		t.Namespaces = []string{ns}
	}
	return t, err
}

// affinityParser collects the terms of one list and its first parse
// error, prefixed with the list's name as upstream's NewPodInfo does.
type affinityParser struct {
	ns   string
	errs []error
}

func (p *affinityParser) term(list string, failed *bool, term *corev1.PodAffinityTerm) AffinityTerm {
	t, err := parseAffinityTerm(p.ns, term)
	if err != nil && !*failed {
		*failed = true
		p.errs = append(p.errs, fmt.Errorf("%s: %w", list, err))
	}
	return t
}

// PodAffinityTerms are a pod's parsed pod (anti-)affinity terms. A
// PodInfo's set is never changed once parsed (PodInfo copies share it).
type PodAffinityTerms struct {
	RequiredAffinityTerms      []AffinityTerm
	RequiredAntiAffinityTerms  []AffinityTerm
	PreferredAffinityTerms     []WeightedAffinityTerm
	PreferredAntiAffinityTerms []WeightedAffinityTerm
	// ParseErr says why a selector of the pod's affinity terms does not
	// parse (nil if all do), as upstream's NewPodInfo reports it: the
	// InterPodAffinity plugin rejects such a pod. The term itself selects
	// nothing.
	ParseErr error
}

// noPodAffinityTerms is the set of every pod without pod affinity.
var noPodAffinityTerms = &PodAffinityTerms{}

// parseAffinity parses the pod (anti-)affinity terms of a pod in
// namespace ns into a new set.
func parseAffinity(ns string, a *corev1.Affinity) *PodAffinityTerms {
	pi := &PodAffinityTerms{}
	p := affinityParser{ns: ns}
	var failed [4]bool
	if pa := a.PodAffinity; pa != nil {
		for i := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
			pi.RequiredAffinityTerms = append(pi.RequiredAffinityTerms, p.term("requiredAffinityTerms", &failed[0], &pa.RequiredDuringSchedulingIgnoredDuringExecution[i]))
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		for i := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
			pi.RequiredAntiAffinityTerms = append(pi.RequiredAntiAffinityTerms, p.term("requiredAntiAffinityTerms", &failed[1], &pa.RequiredDuringSchedulingIgnoredDuringExecution[i]))
		}
	}
	if pa := a.PodAffinity; pa != nil {
		for i := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			w := &pa.PreferredDuringSchedulingIgnoredDuringExecution[i]
			pi.PreferredAffinityTerms = append(pi.PreferredAffinityTerms, WeightedAffinityTerm{p.term("preferredAffinityTerms", &failed[2], &w.PodAffinityTerm), w.Weight})
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		for i := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			w := &pa.PreferredDuringSchedulingIgnoredDuringExecution[i]
			pi.PreferredAntiAffinityTerms = append(pi.PreferredAntiAffinityTerms, WeightedAffinityTerm{p.term("preferredAntiAffinityTerms", &failed[3], &w.PodAffinityTerm), w.Weight})
		}
	}
	if len(p.errs) > 0 {
		pi.ParseErr = utilerrors.NewAggregate(p.errs)
	}
	return pi
}
