// Package st has pod and node builders with the names and meaning of
// upstream's scheduler test wrappers (k8s.io/kubernetes
// pkg/scheduler/testing: st.MakePod(), st.MakeNode(), ...), so that
// upstream's plugin test tables can be ported with their inputs
// unchanged. Only the builders those tables use are here.
package st

import (
	"cmp"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

const pauseImage = "registry.k8s.io/pause:3.10"

// ContainerWrapper builds a container.
type ContainerWrapper struct{ corev1.Container }

// MakeContainer starts an empty container.
func MakeContainer() *ContainerWrapper { return &ContainerWrapper{} }

// Obj returns the container.
func (c *ContainerWrapper) Obj() corev1.Container { return c.Container }

// Name sets the name.
func (c *ContainerWrapper) Name(n string) *ContainerWrapper { c.Container.Name = n; return c }

// Image sets the image.
func (c *ContainerWrapper) Image(i string) *ContainerWrapper { c.Container.Image = i; return c }

// ContainerPort sets the ports.
func (c *ContainerWrapper) ContainerPort(ports []corev1.ContainerPort) *ContainerWrapper {
	c.Ports = ports
	return c
}

// ResourceRequests sets the requests.
func (c *ContainerWrapper) ResourceRequests(m map[corev1.ResourceName]string) *ContainerWrapper {
	c.Resources.Requests = list(m)
	return c
}

// RestartPolicy sets the container restart policy (Always: a sidecar).
func (c *ContainerWrapper) RestartPolicy(p corev1.ContainerRestartPolicy) *ContainerWrapper {
	c.Container.RestartPolicy = &p
	return c
}

func list(m map[corev1.ResourceName]string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for k, v := range m {
		l[k] = resource.MustParse(v)
	}
	return l
}

// PodWrapper builds a pod.
type PodWrapper struct{ corev1.Pod }

// MakePod starts an empty pod.
func MakePod() *PodWrapper { return &PodWrapper{} }

// Obj returns the pod.
func (p *PodWrapper) Obj() *corev1.Pod { return &p.Pod }

// Name sets the name.
func (p *PodWrapper) Name(s string) *PodWrapper { p.SetName(s); return p }

// UID sets the UID.
func (p *PodWrapper) UID(s string) *PodWrapper { p.SetUID(types.UID(s)); return p }

// Namespace sets the namespace.
func (p *PodWrapper) Namespace(s string) *PodWrapper { p.SetNamespace(s); return p }

// Node assigns the pod.
func (p *PodWrapper) Node(s string) *PodWrapper { p.Spec.NodeName = s; return p }

// Priority sets the priority.
func (p *PodWrapper) Priority(v int32) *PodWrapper { p.Spec.Priority = &v; return p }

// Label sets a label.
func (p *PodWrapper) Label(k, v string) *PodWrapper {
	if p.ObjectMeta.Labels == nil {
		p.ObjectMeta.Labels = map[string]string{}
	}
	p.ObjectMeta.Labels[k] = v
	return p
}

// StartTime sets the pod's status.startTime.
func (p *PodWrapper) StartTime(t metav1.Time) *PodWrapper { p.Status.StartTime = &t; return p }

// PodGroupName puts the pod in a PodGroup (spec.schedulingGroup).
func (p *PodWrapper) PodGroupName(name string) *PodWrapper {
	p.Spec.SchedulingGroup = &corev1.PodSchedulingGroup{PodGroupName: &name}
	return p
}

// Container adds a container con<N> with the image.
func (p *PodWrapper) Container(image string) *PodWrapper {
	name := fmt.Sprintf("con%d", len(p.Spec.Containers))
	p.Spec.Containers = append(p.Spec.Containers, MakeContainer().Name(name).Image(image).Obj())
	return p
}

// Req adds a container con<N> with these requests (none when empty).
func (p *PodWrapper) Req(m map[corev1.ResourceName]string) *PodWrapper {
	if len(m) == 0 {
		return p
	}
	name := fmt.Sprintf("con%d", len(p.Spec.Containers))
	p.Spec.Containers = append(p.Spec.Containers, MakeContainer().Name(name).Image(pauseImage).ResourceRequests(m).Obj())
	return p
}

// ContainerPort adds a container with these ports.
func (p *PodWrapper) ContainerPort(ports []corev1.ContainerPort) *PodWrapper {
	p.Spec.Containers = append(p.Spec.Containers, MakeContainer().Name("container").Image("pause").ContainerPort(ports).Obj())
	return p
}

// InitContainerPort adds an init container (a sidecar when sidecar) with
// these ports.
func (p *PodWrapper) InitContainerPort(sidecar bool, ports []corev1.ContainerPort) *PodWrapper {
	c := MakeContainer().Name("init-container").Image("pause").ContainerPort(ports)
	if sidecar {
		c.RestartPolicy(corev1.ContainerRestartPolicyAlways)
	}
	p.Spec.InitContainers = append(p.Spec.InitContainers, c.Obj())
	return p
}

// NodeSelector sets the node selector.
func (p *PodWrapper) NodeSelector(m map[string]string) *PodWrapper { p.Spec.NodeSelector = m; return p }

// NodeWrapper builds a node.
type NodeWrapper struct{ corev1.Node }

// MakeNode starts a node with 32 pods of capacity.
func MakeNode() *NodeWrapper { return (&NodeWrapper{}).Capacity(nil) }

// Obj returns the node.
func (n *NodeWrapper) Obj() *corev1.Node { return &n.Node }

// Name sets the name.
func (n *NodeWrapper) Name(s string) *NodeWrapper { n.SetName(s); return n }

// Label sets a label.
func (n *NodeWrapper) Label(k, v string) *NodeWrapper {
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	n.Labels[k] = v
	return n
}

// Capacity sets capacity and allocatable: pods 32 plus these.
func (n *NodeWrapper) Capacity(m map[corev1.ResourceName]string) *NodeWrapper {
	res := corev1.ResourceList{corev1.ResourcePods: resource.MustParse("32")}
	for k, v := range m {
		res[k] = resource.MustParse(v)
	}
	n.Status.Capacity, n.Status.Allocatable = res, res
	return n
}

// Taints sets the taints.
func (n *NodeWrapper) Taints(t []corev1.Taint) *NodeWrapper { n.Spec.Taints = t; return n }

// Named returns pods with the empty names filled in (pod-<i>), so that a
// cache keyed by namespace/name holds every one of them as upstream's
// snapshot does.
func Named(pods []*corev1.Pod) []*corev1.Pod {
	out := make([]*corev1.Pod, len(pods))
	for i, p := range pods {
		if p.Name == "" {
			p = p.DeepCopy()
			p.Name = fmt.Sprintf("pod-%d", i)
		}
		out[i] = p
	}
	return out
}

// LabelSelectorWrapper builds a label selector.
type LabelSelectorWrapper struct{ metav1.LabelSelector }

// MakeLabelSelector starts an empty selector.
func MakeLabelSelector() *LabelSelectorWrapper { return &LabelSelectorWrapper{} }

func (s *LabelSelectorWrapper) expr(k string, op metav1.LabelSelectorOperator, vals []string) *LabelSelectorWrapper {
	s.MatchExpressions = append(s.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: op, Values: vals})
	return s
}

// In adds a "key In vals" expression.
func (s *LabelSelectorWrapper) In(k string, vals []string) *LabelSelectorWrapper {
	return s.expr(k, metav1.LabelSelectorOpIn, vals)
}

// NotIn adds a "key NotIn vals" expression.
func (s *LabelSelectorWrapper) NotIn(k string, vals []string) *LabelSelectorWrapper {
	return s.expr(k, metav1.LabelSelectorOpNotIn, vals)
}

// Exists adds a "key Exists" expression.
func (s *LabelSelectorWrapper) Exists(k string) *LabelSelectorWrapper {
	return s.expr(k, metav1.LabelSelectorOpExists, nil)
}

// Obj returns the selector.
func (s *LabelSelectorWrapper) Obj() *metav1.LabelSelector { return &s.LabelSelector }

// SpreadConstraint adds a topology spread constraint.
func (p *PodWrapper) SpreadConstraint(maxSkew int, tpKey string, mode corev1.UnsatisfiableConstraintAction, selector *metav1.LabelSelector,
	minDomains *int32, nodeAffinityPolicy, nodeTaintsPolicy *corev1.NodeInclusionPolicy, matchLabelKeys []string) *PodWrapper {
	p.Spec.TopologySpreadConstraints = append(p.Spec.TopologySpreadConstraints, corev1.TopologySpreadConstraint{
		MaxSkew: int32(maxSkew), TopologyKey: tpKey, WhenUnsatisfiable: mode, LabelSelector: selector,
		MinDomains: minDomains, NodeAffinityPolicy: nodeAffinityPolicy, NodeTaintsPolicy: nodeTaintsPolicy, MatchLabelKeys: matchLabelKeys,
	})
	return p
}

// NodeSelectorType says whether a node selector requirement is a label
// expression or a field (metadata.name) requirement.
type NodeSelectorType int

// The node selector requirement types.
const (
	NodeSelectorTypeMatchExpressions NodeSelectorType = iota
	NodeSelectorTypeMatchFields
)

func (p *PodWrapper) requiredNodeAffinity(term corev1.NodeSelectorTerm) *PodWrapper {
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &corev1.Affinity{}
	}
	if p.Spec.Affinity.NodeAffinity == nil {
		p.Spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{term}}
	return p
}

// NodeAffinityIn sets the required node affinity to one term "key In
// vals" (a label expression or a field requirement).
func (p *PodWrapper) NodeAffinityIn(key string, vals []string, t NodeSelectorType) *PodWrapper {
	r := corev1.NodeSelectorRequirement{Key: key, Operator: corev1.NodeSelectorOpIn, Values: vals}
	var term corev1.NodeSelectorTerm
	if t == NodeSelectorTypeMatchExpressions {
		term.MatchExpressions = []corev1.NodeSelectorRequirement{r}
	} else {
		term.MatchFields = []corev1.NodeSelectorRequirement{r}
	}
	return p.requiredNodeAffinity(term)
}

// NodeAffinityNotIn sets the required node affinity to one term "key
// NotIn vals".
func (p *PodWrapper) NodeAffinityNotIn(key string, vals []string) *PodWrapper {
	return p.requiredNodeAffinity(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
		{Key: key, Operator: corev1.NodeSelectorOpNotIn, Values: vals}}})
}

// terminatingSince is the deletion timestamp Terminating sets: a fixed
// time, the value does not matter to the scheduler.
var terminatingSince = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

// Terminating marks the pod as being deleted.
func (p *PodWrapper) Terminating() *PodWrapper {
	p.DeletionTimestamp = &terminatingSince
	return p
}

// Labels sets these labels.
func (p *PodWrapper) Labels(m map[string]string) *PodWrapper {
	for k, v := range m {
		p.Label(k, v)
	}
	return p
}

// PodAffinityKind says which pod (anti-)affinity list a builder fills.
type PodAffinityKind int

// The pod affinity kinds of upstream's wrappers.
const (
	NilPodAffinity PodAffinityKind = iota
	PodAffinityWithRequiredReq
	PodAffinityWithPreferredReq
	PodAffinityWithRequiredPreferredReq
	PodAntiAffinityWithRequiredReq
	PodAntiAffinityWithPreferredReq
	PodAntiAffinityWithRequiredPreferredReq
)

// podAffinityTerms adds the term to the required and/or preferred
// (weight 1) lists the kind names.
// PodAffinity adds a pod affinity term of this kind.
func (p *PodWrapper) PodAffinity(topologyKey string, sel *metav1.LabelSelector, kind PodAffinityKind) *PodWrapper {
	return p.podAffinityTerm(corev1.PodAffinityTerm{LabelSelector: sel, TopologyKey: topologyKey}, kind, false)
}

// PodAntiAffinity adds a pod anti-affinity term of this kind.
func (p *PodWrapper) PodAntiAffinity(topologyKey string, sel *metav1.LabelSelector, kind PodAffinityKind) *PodWrapper {
	return p.podAffinityTerm(corev1.PodAffinityTerm{LabelSelector: sel, TopologyKey: topologyKey}, kind, true)
}

// podAffinityTerm adds term to the pod's affinity (or anti-affinity) as
// a required term, a preferred one of weight 1, or both, as kind says.
func (p *PodWrapper) podAffinityTerm(term corev1.PodAffinityTerm, kind PodAffinityKind, anti bool) *PodWrapper {
	if kind == NilPodAffinity {
		return p
	}
	p.Spec.Affinity = cmp.Or(p.Spec.Affinity, &corev1.Affinity{})
	var req *[]corev1.PodAffinityTerm
	var pref *[]corev1.WeightedPodAffinityTerm
	var required, preferred bool
	if anti {
		a := cmp.Or(p.Spec.Affinity.PodAntiAffinity, &corev1.PodAntiAffinity{})
		p.Spec.Affinity.PodAntiAffinity = a
		req, pref = &a.RequiredDuringSchedulingIgnoredDuringExecution, &a.PreferredDuringSchedulingIgnoredDuringExecution
		required = kind == PodAntiAffinityWithRequiredReq || kind == PodAntiAffinityWithRequiredPreferredReq
		preferred = kind == PodAntiAffinityWithPreferredReq || kind == PodAntiAffinityWithRequiredPreferredReq
	} else {
		a := cmp.Or(p.Spec.Affinity.PodAffinity, &corev1.PodAffinity{})
		p.Spec.Affinity.PodAffinity = a
		req, pref = &a.RequiredDuringSchedulingIgnoredDuringExecution, &a.PreferredDuringSchedulingIgnoredDuringExecution
		required = kind == PodAffinityWithRequiredReq || kind == PodAffinityWithRequiredPreferredReq
		preferred = kind == PodAffinityWithPreferredReq || kind == PodAffinityWithRequiredPreferredReq
	}
	if required {
		*req = append(*req, term)
	}
	if preferred {
		*pref = append(*pref, corev1.WeightedPodAffinityTerm{Weight: 1, PodAffinityTerm: term})
	}
	return p
}

// PodAffinityExists adds a pod affinity term selecting labelKey Exists.
func (p *PodWrapper) PodAffinityExists(labelKey, topologyKey string, kind PodAffinityKind) *PodWrapper {
	return p.PodAffinity(topologyKey, MakeLabelSelector().Exists(labelKey).Obj(), kind)
}

// PodAntiAffinityExists adds an anti-affinity term selecting labelKey
// Exists.
func (p *PodWrapper) PodAntiAffinityExists(labelKey, topologyKey string, kind PodAffinityKind) *PodWrapper {
	return p.PodAntiAffinity(topologyKey, MakeLabelSelector().Exists(labelKey).Obj(), kind)
}

// PodAffinityIn adds a pod affinity term selecting labelKey In vals.
func (p *PodWrapper) PodAffinityIn(labelKey, topologyKey string, vals []string, kind PodAffinityKind) *PodWrapper {
	return p.PodAffinity(topologyKey, MakeLabelSelector().In(labelKey, vals).Obj(), kind)
}

// PodAntiAffinityIn adds an anti-affinity term selecting labelKey In
// vals.
func (p *PodWrapper) PodAntiAffinityIn(labelKey, topologyKey string, vals []string, kind PodAffinityKind) *PodWrapper {
	return p.PodAntiAffinity(topologyKey, MakeLabelSelector().In(labelKey, vals).Obj(), kind)
}

// PodAffinityNotIn adds a pod affinity term selecting labelKey NotIn vals.
func (p *PodWrapper) PodAffinityNotIn(labelKey, topologyKey string, vals []string, kind PodAffinityKind) *PodWrapper {
	return p.PodAffinity(topologyKey, MakeLabelSelector().NotIn(labelKey, vals).Obj(), kind)
}

// PodAntiAffinityNotIn adds an anti-affinity term selecting labelKey
// NotIn vals.
func (p *PodWrapper) PodAntiAffinityNotIn(labelKey, topologyKey string, vals []string, kind PodAffinityKind) *PodWrapper {
	return p.PodAntiAffinity(topologyKey, MakeLabelSelector().NotIn(labelKey, vals).Obj(), kind)
}
