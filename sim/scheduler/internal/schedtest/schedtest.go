// Package schedtest has small builders for scheduler tests: nodes, pods
// and a cache snapshot holding them.
package schedtest

import (
	"cmp"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// NodeWrapper builds a node.
type NodeWrapper struct{ corev1.Node }

// Node starts a node with a hostname label and the given allocatable.
func Node(name, cpu, mem string, pods int64) *NodeWrapper {
	n := &NodeWrapper{}
	n.Name = name
	n.Labels = map[string]string{corev1.LabelHostname: name}
	n.Status.Allocatable = corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem),
		corev1.ResourcePods: *resource.NewQuantity(pods, resource.DecimalSI),
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	return n
}

// Label sets a label.
func (n *NodeWrapper) Label(k, v string) *NodeWrapper { n.Labels[k] = v; return n }

// Zone sets the zone label.
func (n *NodeWrapper) Zone(z string) *NodeWrapper { return n.Label(corev1.LabelTopologyZone, z) }

// Taint adds a taint.
func (n *NodeWrapper) Taint(k, v string, e corev1.TaintEffect) *NodeWrapper {
	n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: k, Value: v, Effect: e})
	return n
}

// Unschedulable cordons the node.
func (n *NodeWrapper) Unschedulable() *NodeWrapper { n.Spec.Unschedulable = true; return n }

// Image adds an image of size bytes.
func (n *NodeWrapper) Image(name string, size int64) *NodeWrapper {
	n.Status.Images = append(n.Status.Images, corev1.ContainerImage{Names: []string{name}, SizeBytes: size})
	return n
}

// Obj returns the node.
func (n *NodeWrapper) Obj() *corev1.Node { return &n.Node }

// PodWrapper builds a pod.
type PodWrapper struct{ corev1.Pod }

// Pod starts a pod in namespace default with one container.
func Pod(name string) *PodWrapper {
	p := &PodWrapper{}
	p.Name, p.Namespace, p.UID = name, "default", types.UID("uid-"+name)
	p.Labels = map[string]string{}
	p.Spec.SchedulerName = corev1.DefaultSchedulerName
	p.Spec.Containers = []corev1.Container{{Name: "c", Image: "app:1"}}
	return p
}

// Req sets the first container's requests ("" = unset).
func (p *PodWrapper) Req(cpu, mem string) *PodWrapper {
	r := corev1.ResourceList{}
	if cpu != "" {
		r[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		r[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	p.Spec.Containers[0].Resources.Requests = r
	return p
}

// Label sets a label.
func (p *PodWrapper) Label(k, v string) *PodWrapper { p.Labels[k] = v; return p }

// Node assigns the pod.
func (p *PodWrapper) Node(n string) *PodWrapper { p.Spec.NodeName = n; return p }

// Image sets the first container's image.
func (p *PodWrapper) Image(img string) *PodWrapper { p.Spec.Containers[0].Image = img; return p }

// Priority sets the priority.
func (p *PodWrapper) Priority(v int32) *PodWrapper { p.Spec.Priority = &v; return p }

// Toleration adds a toleration.
func (p *PodWrapper) Toleration(k, v string, op corev1.TolerationOperator, e corev1.TaintEffect) *PodWrapper {
	p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: k, Value: v, Operator: op, Effect: e})
	return p
}

// NodeSelector sets a nodeSelector entry.
func (p *PodWrapper) NodeSelector(k, v string) *PodWrapper {
	if p.Spec.NodeSelector == nil {
		p.Spec.NodeSelector = map[string]string{}
	}
	p.Spec.NodeSelector[k] = v
	return p
}

// Spread adds a topology spread constraint selecting app=<app>.
func (p *PodWrapper) Spread(key string, maxSkew int32, action corev1.UnsatisfiableConstraintAction, app string) *PodWrapper {
	p.Spec.TopologySpreadConstraints = append(p.Spec.TopologySpreadConstraints, corev1.TopologySpreadConstraint{
		MaxSkew: maxSkew, TopologyKey: key, WhenUnsatisfiable: action,
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
	})
	return p
}

func (p *PodWrapper) affinity() *corev1.Affinity {
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &corev1.Affinity{}
	}
	return p.Spec.Affinity
}

func appTerm(key, app string) corev1.PodAffinityTerm {
	return corev1.PodAffinityTerm{TopologyKey: key, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}}
}

// PodAffinity adds a required pod affinity term for app=<app>.
func (p *PodWrapper) PodAffinity(key, app string) *PodWrapper {
	a := p.affinity()
	a.PodAffinity = cmp.Or(a.PodAffinity, &corev1.PodAffinity{})
	a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, appTerm(key, app))
	return p
}

// PodAntiAffinity adds a required anti-affinity term for app=<app>.
func (p *PodWrapper) PodAntiAffinity(key, app string) *PodWrapper {
	a := p.affinity()
	a.PodAntiAffinity = cmp.Or(a.PodAntiAffinity, &corev1.PodAntiAffinity{})
	a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, appTerm(key, app))
	return p
}

// PreferredPodAffinity adds a preferred affinity (w>0) or anti-affinity
// (w<0) term for app=<app>.
func (p *PodWrapper) PreferredPodAffinity(key, app string, w int32) *PodWrapper {
	a := p.affinity()
	if w > 0 {
		if a.PodAffinity == nil {
			a.PodAffinity = &corev1.PodAffinity{}
		}
		a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
			corev1.WeightedPodAffinityTerm{Weight: w, PodAffinityTerm: appTerm(key, app)})
		return p
	}
	if a.PodAntiAffinity == nil {
		a.PodAntiAffinity = &corev1.PodAntiAffinity{}
	}
	a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
		corev1.WeightedPodAffinityTerm{Weight: -w, PodAffinityTerm: appTerm(key, app)})
	return p
}

// PreferredNodeAffinity adds a preferred node affinity term key In value.
func (p *PodWrapper) PreferredNodeAffinity(key, value string, w int32) *PodWrapper {
	a := p.affinity()
	if a.NodeAffinity == nil {
		a.NodeAffinity = &corev1.NodeAffinity{}
	}
	a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
		corev1.PreferredSchedulingTerm{Weight: w, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
			{Key: key, Operator: corev1.NodeSelectorOpIn, Values: []string{value}}}}})
	return p
}

// Obj returns the pod.
func (p *PodWrapper) Obj() *corev1.Pod { return &p.Pod }

// Snapshot returns a cache holding nodes and (assigned) pods.
func Snapshot(nodes []*corev1.Node, pods []*corev1.Pod) *cache.Cache {
	c := cache.New()
	for _, n := range nodes {
		c.AddNode(n)
	}
	for _, p := range pods {
		c.AddPod(p)
	}
	return c
}

// Scores runs a score plugin's PreScore, Score and NormalizeScore over
// every node of c, in list order, and returns the scores by node name.
func Scores(pl framework.ScorePlugin, c *cache.Cache, pod *corev1.Pod) (map[string]int64, *framework.Status) {
	state := framework.NewCycleState()
	nodes := c.NodeInfos()
	if pre, ok := pl.(framework.PreScorePlugin); ok {
		if st := pre.PreScore(state, pod, nodes); !st.IsSuccess() {
			return nil, st
		}
	}
	scores, st := ScoreNodes(pl, state, pod, nodes)
	if !st.IsSuccess() {
		return nil, st
	}
	out := map[string]int64{}
	for _, s := range scores {
		out[s.Name] = s.Score
	}
	return out, nil
}

// NodeScore is a node's name and score, as upstream's plugin tests list
// them.
type NodeScore struct {
	Name  string
	Score int64
}

// ScoreNodes runs a score plugin's Score on each node, in order, then its
// NormalizeScore; PreScore, when the test wants it, ran on state before.
func ScoreNodes(pl framework.ScorePlugin, state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) ([]NodeScore, *framework.Status) {
	scores := make([]framework.NodeScore, len(nodes))
	for i, n := range nodes {
		s, st := pl.Score(state, pod, n)
		if !st.IsSuccess() {
			return nil, st
		}
		scores[i] = framework.NodeScore{Node: n, Score: s}
	}
	if ext := pl.ScoreExtensions(); ext != nil {
		if st := ext.NormalizeScore(state, pod, scores); !st.IsSuccess() {
			return nil, st
		}
	}
	out := make([]NodeScore, len(scores))
	for i, s := range scores {
		out[i] = NodeScore{Name: s.Node.Name(), Score: s.Score}
	}
	return out, nil
}

// Filter runs a filter plugin (with its PreFilter, if any) on the named
// node.
func Filter(pl framework.FilterPlugin, c *cache.Cache, pod *corev1.Pod, node string) *framework.Status {
	state := framework.NewCycleState()
	if pre, ok := pl.(framework.PreFilterPlugin); ok {
		st := pre.PreFilter(state, pod)
		if st.IsSkip() {
			return nil
		}
		if !st.IsSuccess() {
			return st
		}
	}
	return pl.Filter(state, pod, c.Get(node))
}
