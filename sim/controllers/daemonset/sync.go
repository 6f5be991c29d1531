package daemonset

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Event reasons.
const (
	FailedDaemonPod = "FailedDaemonPod"
	// templateGenerationAnnotation is set by upstream's API server on
	// DaemonSets; pods carry its value in pod-template-generation.
	templateGenerationAnnotation = "deprecated.daemonset.template.generation"
	templateGenerationLabel      = "pod-template-generation"
)

// sync reconciles one DaemonSet: record the template revision, then (if
// the watch has caught up) create and delete pods node by node, roll old
// pods, trim history, and write status.
func (c *Controller) sync(key string) error {
	ds, ok := controllerutil.Get[*appsv1.DaemonSet](c.Store, "DaemonSet", key)
	if !ok {
		c.exp.Delete(key)
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil
	}
	if sel.Empty() {
		c.Client.Event(ds, corev1.EventTypeWarning, "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required.")
		return nil
	}
	if ds.DeletionTimestamp != nil {
		return nil
	}
	cur, old, err := c.constructHistory(ds)
	if err != nil {
		return err
	}
	hash := cur.Labels[HashLabel]
	nodes := c.nodes()
	pl := newPlacement(ds)
	fits := pl.evaluate(nodes)
	// One claim serves both the actions and the status: like upstream's
	// informer cache, the status does not see this sync's own writes yet.
	byNode, err := c.podsByNode(ds)
	if err != nil {
		return err
	}
	if !c.exp.Satisfied(key) {
		return c.updateStatus(ds, nodes, fits, byNode, hash, false)
	}
	err = c.update(key, ds, nodes, fits, byNode, pl, hash, old)
	if serr := c.updateStatus(ds, nodes, fits, byNode, hash, true); err == nil {
		err = serr
	}
	return err
}

func (c *Controller) update(key string, ds *appsv1.DaemonSet, nodes []*corev1.Node, fits []fit, byNode map[string][]*corev1.Pod, pl placement, hash string, old []*appsv1.ControllerRevision) error {
	if err := c.manage(key, ds, nodes, fits, byNode, pl, hash); err != nil {
		return err
	}
	if c.exp.Satisfied(key) && ds.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if err := c.rollingUpdate(key, ds, nodes, fits, byNode, pl, hash); err != nil {
			return err
		}
	}
	return c.cleanupHistory(ds, old, byNode)
}

func (c *Controller) nodes() []*corev1.Node {
	objs := c.Store.List("Node", "")
	out := make([]*corev1.Node, len(objs))
	for i, o := range objs {
		out[i] = o.(*corev1.Node)
	}
	return out
}

// podsByNode claims the DaemonSet's pods and groups them by the node they
// are on or pinned to.
func (c *Controller) podsByNode(ds *appsv1.DaemonSet) (map[string][]*corev1.Pod, error) {
	sel, _ := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	claimed, err := controllerutil.Claim(c.Client, "Pod", ds, "DaemonSet", sel, ds.Spec.Selector.MatchLabels)
	if err != nil {
		return nil, err
	}
	return groupByNode(claimed), nil
}

// groupByNode groups pods by targetNode, each node's in their order.
// Nearly every node has one daemon pod: its slice is a one-element window
// of one shared array (capped, so that a second pod on the node is
// appended to a copy), not an allocation per node and sync.
func groupByNode(claimed []store.Object) map[string][]*corev1.Pod {
	out := make(map[string][]*corev1.Pod, len(claimed))
	one := make([]*corev1.Pod, len(claimed))
	for i, o := range claimed {
		p := o.(*corev1.Pod)
		n := targetNode(p)
		if n == "" {
			continue
		}
		if pods, ok := out[n]; ok {
			out[n] = append(pods, p)
			continue
		}
		one[i] = p
		out[n] = one[i : i+1 : i+1]
	}
	return out
}

// targetNode is the node a daemon pod runs on, or is pinned to by its
// node affinity while unscheduled.
func targetNode(p *corev1.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, f := range t.MatchFields {
			if f.Key == "metadata.name" && f.Operator == corev1.NodeSelectorOpIn && len(f.Values) == 1 {
				return f.Values[0]
			}
		}
	}
	return ""
}

// manage computes, node by node, the pods to create and delete.
func (c *Controller) manage(key string, ds *appsv1.DaemonSet, nodes []*corev1.Node, fits []fit, byNode map[string][]*corev1.Pod, pl placement, hash string) error {
	var create []string
	var del []*corev1.Pod
	for i, n := range nodes {
		cr, dl := c.podsShouldBeOnNode(key, ds, n, fits[i], byNode[n.Name])
		if cr {
			create = append(create, n.Name)
		}
		del = append(del, dl...)
	}
	// Unscheduled pods pinned to nodes that no longer exist.
	for _, name := range c.unknownNodes(byNode) {
		for _, p := range byNode[name] {
			if p.Spec.NodeName == "" && p.DeletionTimestamp == nil {
				del = append(del, p)
			}
		}
	}
	return c.syncNodes(key, ds, del, create, pl, hash)
}

func (c *Controller) podsShouldBeOnNode(key string, ds *appsv1.DaemonSet, node *corev1.Node, f fit, pods []*corev1.Pod) (bool, []*corev1.Pod) {
	shouldRun, shouldContinue := f.run, f.cont
	switch {
	case shouldRun && len(pods) == 0:
		return true, nil
	case shouldContinue:
		var del []*corev1.Pod
		var one [1]*corev1.Pod // the usual single running pod, not allocated
		running := one[:0]
		for _, p := range pods {
			switch {
			case p.DeletionTimestamp != nil:
			case p.Status.Phase == corev1.PodFailed:
				if c.failedPodReplaceable(key, node.Name) {
					c.Client.Event(ds, corev1.EventTypeWarning, FailedDaemonPod,
						fmt.Sprintf("Found failed daemon pod %s/%s on node %s, will try to kill it", p.Namespace, p.Name, node.Name))
					del = append(del, p)
				}
			case p.Status.Phase == corev1.PodSucceeded:
				del = append(del, p)
			default:
				running = append(running, p)
			}
		}
		if len(running) > 1 {
			// Keep the oldest (scheduled first) and delete the others.
			slices.SortStableFunc(running, byCreationAndPhase)
			del = append(del, running[1:]...)
		}
		return false, del
	case len(pods) > 0:
		var del []*corev1.Pod
		for _, p := range pods {
			if p.DeletionTimestamp == nil {
				del = append(del, p)
			}
		}
		return false, del
	}
	return false, nil
}

// failedPodReplaceable applies the per-node backoff to deleting failed
// daemon pods; while backing off it requeues the DaemonSet for later.
func (c *Controller) failedPodReplaceable(key, node string) bool {
	bk := key + "/" + node
	now := c.Engine.Elapsed()
	b := c.backoff[bk]
	if now < b.until {
		c.Queue.AddAfter(key, b.until-now)
		return false
	}
	b.delay = min(max(2*b.delay, failedBackoffInitial), failedBackoffMax)
	b.until = now + b.delay
	c.backoff[bk] = b
	return true
}

// byCreationAndPhase orders scheduled pods first, then oldest, then name.
func byCreationAndPhase(a, b *corev1.Pod) int {
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		if a.Spec.NodeName != "" {
			return -1
		}
		return 1
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		if a.CreationTimestamp.Before(&b.CreationTimestamp) {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Name, b.Name)
}

// unknownNodes lists, sorted, the nodes pods are on or pinned to that are
// not in the store (normally none, so nothing big is sorted).
func (c *Controller) unknownNodes(byNode map[string][]*corev1.Pod) []string {
	var out []string
	for name := range byNode {
		if _, ok := c.Store.Get("Node", "", name); !ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// syncNodes creates the missing daemon pods (in slow-start batches) and
// deletes the surplus ones, each capped at the burst, with expectations.
func (c *Controller) syncNodes(key string, ds *appsv1.DaemonSet, del []*corev1.Pod, create []string, pl placement, hash string) error {
	create = create[:min(len(create), c.Config.BurstReplicas)]
	del = del[:min(len(del), c.Config.BurstReplicas)]
	delKeys := make([]string, len(del))
	for i, p := range del {
		delKeys[i] = store.KeyOf(p)
	}
	c.exp.Expect(key, len(create), delKeys)
	tmpl := podTemplate(ds, pl, hash)
	ref := controllerutil.NewControllerRef(ds, "DaemonSet")
	next := 0
	ok, cerr := controllerutil.SlowStartBatch(len(create), controllerutil.SlowStartInitialBatchSize, func() error {
		node := create[next]
		next++
		pod := controllerutil.PodFromTemplate(tmpl, ds, &ref)
		pinToNode(&pod.Spec, node)
		_, err := c.CreatePod(ds, pod)
		return err
	})
	for i := ok; i < len(create); i++ {
		c.exp.CreationObserved(key)
	}
	derr := c.DeletePods(c.exp, key, ds, del)
	if cerr != nil {
		return cerr
	}
	return derr
}

// podTemplate is the DaemonSet's template with the daemon tolerations and
// the revision labels.
func podTemplate(ds *appsv1.DaemonSet, pl placement, hash string) *corev1.PodTemplateSpec {
	t := ds.Spec.Template.DeepCopy()
	t.Spec.Tolerations = pl.tols
	t.Labels = controllerutil.CloneAndAddLabel(t.Labels, HashLabel, hash)
	if g, ok := ds.Annotations[templateGenerationAnnotation]; ok {
		t.Labels[templateGenerationLabel] = g
	}
	return t
}

// isUpdated reports whether a pod runs the current template.
func isUpdated(ds *appsv1.DaemonSet, p *corev1.Pod, hash string) bool {
	if g, ok := ds.Annotations[templateGenerationAnnotation]; ok && p.Labels[templateGenerationLabel] == g {
		return true
	}
	return hash != "" && p.Labels[HashLabel] == hash
}

// rollingUpdate deletes old pods within maxUnavailable (replacements are
// created by manage on a later sync, once the old pod is gone). Old pods
// that are not available anyway are always replaced.
func (c *Controller) rollingUpdate(key string, ds *appsv1.DaemonSet, nodes []*corev1.Node, fits []fit, byNode map[string][]*corev1.Pod, pl placement, hash string) error {
	maxUnavailable := maxUnavailable(ds, fits)
	now := metav1.NewTime(c.Engine.Now())
	unavailable := 0
	var replace, candidates []*corev1.Pod
	names := make([]string, 0, len(byNode))
	for _, n := range nodes {
		if len(byNode[n.Name]) > 0 {
			names = append(names, n.Name)
		}
	}
	for _, node := range append(names, c.unknownNodes(byNode)...) {
		newPod, oldPod, ok := updatedPodsOnNode(ds, byNode[node], hash)
		switch {
		case !ok, newPod == nil && oldPod == nil, newPod != nil && oldPod != nil:
			unavailable++
		case newPod != nil:
			if !podutil.IsAvailable(newPod, ds.Spec.MinReadySeconds, now) {
				unavailable++
			}
		case !podutil.IsAvailable(oldPod, ds.Spec.MinReadySeconds, now):
			replace = append(replace, oldPod)
		case unavailable < maxUnavailable:
			candidates = append(candidates, oldPod)
		}
	}
	n := min(max(maxUnavailable-unavailable, 0), len(candidates))
	del := append(replace, candidates[:n]...)
	if len(del) == 0 {
		return nil
	}
	return c.syncNodes(key, ds, del, nil, pl, hash)
}

func updatedPodsOnNode(ds *appsv1.DaemonSet, pods []*corev1.Pod, hash string) (newPod, oldPod *corev1.Pod, ok bool) {
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		if isUpdated(ds, p, hash) {
			if newPod != nil {
				return nil, nil, false
			}
			newPod = p
		} else {
			if oldPod != nil {
				return nil, nil, false
			}
			oldPod = p
		}
	}
	return newPod, oldPod, true
}

// maxUnavailable resolves rollingUpdate.maxUnavailable against the number
// of nodes that should run the daemon (rounded up; at least 1 when
// maxSurge is 0 too).
func maxUnavailable(ds *appsv1.DaemonSet, fits []fit) int {
	desired := 0
	for _, f := range fits {
		if f.run {
			desired++
		}
	}
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	one := intstr.FromInt32(1)
	mu, ms := &one, (*intstr.IntOrString)(nil)
	if ru != nil {
		if ru.MaxUnavailable != nil {
			mu = ru.MaxUnavailable
		}
		ms = ru.MaxSurge
	}
	u, _ := intstr.GetScaledValueFromIntOrPercent(mu, desired, true)
	s := 0
	if ms != nil {
		s, _ = intstr.GetScaledValueFromIntOrPercent(ms, desired, true)
	}
	if u == 0 && s == 0 {
		u = 1
	}
	return u
}
