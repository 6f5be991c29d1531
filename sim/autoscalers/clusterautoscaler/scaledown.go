package clusterautoscaler

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/autoscalers/simulator"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Drain timing: evictions refused by a budget are retried every 5 s for
// at most MaxPodEvictionTime (upstream's 2m); the node is removed once its
// evicted pods are gone, waiting at most max-graceful-termination-sec plus
// that.
const (
	evictionRetry      = 5 * time.Second
	MaxPodEvictionTime = 2 * time.Minute
)

// deletion is a node being removed.
type deletion struct {
	node, group string
	empty       bool
	pods        []*corev1.Pod
	started     time.Duration
	timer       *sim.Timer
}

// candidate is a node that could go now.
type candidate struct {
	node, group string
	util        float64
	cpu, mem    float64
	pods        []*corev1.Pod
}

// scaleDown tracks unneeded nodes and removes those unneeded for
// scale-down-unneeded-time, unless a cool-down holds. It returns the
// number of unneeded nodes.
func (a *Autoscaler) scaleDown(groups []NodeGroup) int {
	if !*a.opts.ScaleDownEnabled {
		return 0
	}
	var u simulator.Undo
	defer a.Snap.Revert(&u)
	now := a.now()
	a.oldHints, a.hints = a.hints, map[string]string{} // hints older than one loop are dropped, as upstream's
	byName := map[string]NodeGroup{}
	removable := map[string]int{}
	for _, g := range groups {
		byName[g.Name] = g
		removable[g.Name] = a.cloud.TargetSize(g.Name) - g.Min
	}
	planned := map[string]bool{}
	for name := range a.deleting {
		planned[name] = true
	}
	budgets := a.Snap.PDBBudgets()
	var cands []candidate
	seen := map[string]bool{}
	nodes := a.groupNodes()
	for _, gname := range sortedKeys(nodes) {
		if _, ok := byName[gname]; !ok {
			continue
		}
		for _, e := range nodes[gname] {
			n := e.node
			c, ok := a.unneeded(e, planned, budgets, &u)
			if !ok {
				continue
			}
			seen[n.Name] = true
			if _, ok := a.unneededSince[n.Name]; !ok {
				a.unneededSince[n.Name] = now
			}
			planned[n.Name] = true
			cands = append(cands, c)
		}
	}
	for _, name := range sortedKeys(a.unneededSince) {
		if !seen[name] {
			delete(a.unneededSince, name)
		}
	}
	if now-a.lastScaleUp < a.opts.ScaleDownDelayAfterAdd || now-a.lastScaleDownDelete < a.opts.ScaleDownDelayAfterDelete ||
		now-a.lastScaleDownFail < a.opts.ScaleDownDelayAfterFailure {
		return len(cands) // scale-down in cool-down
	}
	draining := 0
	for _, d := range a.deleting {
		if !d.empty {
			draining++
		}
		removable[d.group]--
	}
	empties := 0
	for _, c := range cands {
		if now-a.unneededSince[c.node] < a.opts.ScaleDownUnneededTime || removable[c.group] <= 0 {
			continue
		}
		empty := len(c.pods) == 0
		switch {
		case empty && empties < a.opts.MaxEmptyBulkDelete:
			empties++
		case !empty && draining < a.opts.MaxDrainParallelism:
			draining++
		default:
			continue
		}
		removable[c.group]--
		a.startDeletion(c)
	}
	return len(cands)
}

// unneeded decides whether node n could be removed now: under the
// utilisation threshold and every pod that must move finds a place on the
// other nodes (moved there in the snapshot, so the next candidate cannot
// count on the same room).
func (a *Autoscaler) unneeded(e *nodeEntry, planned map[string]bool, budgets map[string]int32, u *simulator.Undo) (candidate, bool) {
	n, group := e.node, e.group
	if planned[n.Name] || e.scaleDownDisabled || e.ready != corev1.ConditionTrue || e.toBeDeleted {
		return candidate{}, false
	}
	ni := a.Snap.Get(n.Name)
	if ni == nil {
		return candidate{}, false
	}
	cpu, mem := a.utilization(ni)
	util := max(cpu, mem)
	if util >= a.opts.ScaleDownUtilizationThreshold {
		return candidate{}, false
	}
	now := a.now()
	if now < a.unremovableUntil[n.Name] {
		return candidate{}, false // recently unremovable: not simulated again yet
	}
	delete(a.unremovableUntil, n.Name)
	a.stats.RemovalSimulations++
	pods, ok := a.podsToMove(ni, budgets)
	if !ok {
		a.unremovableUntil[n.Name] = now + a.opts.UnremovableNodeRecheckTimeout
		return candidate{}, false
	}
	var mine simulator.Undo
	for _, p := range pods {
		target := a.findPlaceHinted(p, func(o *framework.NodeInfo) bool { return o.Name() == n.Name || planned[o.Name()] })
		if target == "" {
			a.Snap.Revert(&mine)
			a.unremovableUntil[n.Name] = now + a.opts.UnremovableNodeRecheckTimeout
			return candidate{}, false
		}
		a.Snap.Place(&mine, p, target)
	}
	u.Merge(&mine)
	return candidate{node: n.Name, group: group, util: util, cpu: cpu, mem: mem, pods: pods}, true
}

// utilization is the node's requested cpu and memory over allocatable
// (DaemonSet pods count unless --ignore-daemonsets-utilization; mirror
// pods never).
func (a *Autoscaler) utilization(ni *framework.NodeInfo) (cpu, mem float64) {
	if c, ok := a.utilCache[ni.Name()]; ok && c.ni == ni && c.gen == ni.Generation {
		return c.cpu, c.mem
	}
	cpu, mem = a.computeUtilization(ni)
	a.utilCache[ni.Name()] = cachedUtil{ni: ni, gen: ni.Generation, cpu: cpu, mem: mem}
	return cpu, mem
}

type cachedUtil struct {
	ni       *framework.NodeInfo
	gen      int64
	cpu, mem float64
}

func (a *Autoscaler) computeUtilization(ni *framework.NodeInfo) (cpu, mem float64) {
	var req podutil.Resources
	for _, pi := range ni.Pods {
		p := pi.Pod
		if simulator.IsMirror(p) || (a.opts.IgnoreDaemonSetsUtilization && simulator.IsDaemonSet(p)) {
			continue
		}
		req = req.Add(pi.Requests)
	}
	if ni.Allocatable.MilliCPU > 0 {
		cpu = float64(req.MilliCPU) / float64(ni.Allocatable.MilliCPU)
	}
	if ni.Allocatable.Memory > 0 {
		mem = float64(req.Memory) / float64(ni.Allocatable.Memory)
	}
	return cpu, mem
}

// podsToMove lists the pods a drain would evict, or reports false when a
// pod blocks the node's removal: safe-to-evict "false", no controller,
// a kube-system pod without a budget, local storage, or a budget with no
// disruption left (upstream's drainability rules; safe-to-evict "true"
// overrides all but the budget).
func (a *Autoscaler) podsToMove(ni *framework.NodeInfo, budgets map[string]int32) ([]*corev1.Pod, bool) {
	var out []*corev1.Pod
	use := map[string]int32{}
	for _, p := range a.Snap.Drainable(ni.Name()) {
		pdbs := a.Snap.MatchingPDBs(p)
		safe := p.Annotations[AnnotationSafeToEvict]
		switch {
		case safe == "false":
			return nil, false
		case safe == "true":
		case podutil.ControllerOf(p) == nil:
			return nil, false
		case p.Namespace == metav1.NamespaceSystem && *a.opts.SkipNodesWithSystemPods && len(pdbs) == 0:
			return nil, false
		case *a.opts.SkipNodesWithLocalStorage && hasLocalStorage(p):
			return nil, false
		}
		for _, k := range pdbs {
			use[k]++
			if use[k] > budgets[k] {
				return nil, false
			}
		}
		out = append(out, p)
	}
	for _, k := range sortedKeys(use) { // commit the budget this node uses
		budgets[k] -= use[k]
	}
	return out, true
}

func hasLocalStorage(p *corev1.Pod) bool {
	for _, v := range p.Spec.Volumes {
		if v.HostPath != nil || (v.EmptyDir != nil && v.EmptyDir.Medium != corev1.StorageMediumMemory) {
			return true
		}
	}
	return false
}

// startDeletion taints the node ToBeDeletedByClusterAutoscaler, evicts
// its pods and removes the machine once they are gone.
func (a *Autoscaler) startDeletion(c candidate) {
	o, ok := a.Store.Get("Node", "", c.node)
	if !ok {
		return
	}
	node := o.(*corev1.Node).DeepCopy()
	node.Spec.Taints = append(node.Spec.Taints, corev1.Taint{Key: TaintToBeDeleted,
		Value: strconv.FormatInt(a.Engine.Now().Unix(), 10), Effect: corev1.TaintEffectNoSchedule})
	if _, err := a.Client.Update(node); err != nil {
		a.lastScaleDownFail = a.now()
		return
	}
	d := &deletion{node: c.node, group: c.group, empty: len(c.pods) == 0, pods: c.pods, started: a.now()}
	a.deleting[c.node] = d
	delete(a.unneededSince, c.node)
	a.Client.Event(node, corev1.EventTypeNormal, "ScaleDown", "marked the node as toBeDeleted/unschedulable")
	if d.empty {
		a.statusEvent(corev1.EventTypeNormal, "ScaleDownEmpty", fmt.Sprintf("Scale-down: removing empty node %q", c.node))
		a.removeNode(d)
		return
	}
	names := make([]string, len(c.pods))
	for i, p := range c.pods {
		names[i] = p.Namespace + "/" + p.Name
	}
	a.statusEvent(corev1.EventTypeNormal, "ScaleDown", fmt.Sprintf("Scale-down: removing node %s, utilization: {%.2f %.2f 0 cpu %.2f}, pods to reschedule: %s",
		c.node, c.cpu, c.mem, c.util, strings.Join(names, ",")))
	for _, p := range c.pods {
		a.Client.Event(p, corev1.EventTypeNormal, "ScaleDown", "deleting pod for node scale down")
	}
	a.drain(d)
}

// drain evicts the pods still on the node; refused evictions are retried
// until MaxPodEvictionTime, then the scale-down fails.
func (a *Autoscaler) drain(d *deletion) {
	left := false
	for _, p := range d.pods {
		cur, ok := a.Store.Get("Pod", p.Namespace, p.Name)
		if !ok || cur.GetUID() != p.UID || cur.(*corev1.Pod).Spec.NodeName != d.node {
			continue
		}
		if cur.GetDeletionTimestamp() != nil {
			left = true
			continue
		}
		if err := a.Client.Evict(p.Namespace, p.Name); err != nil && !apierrors.IsNotFound(err) {
			if a.now()-d.started >= MaxPodEvictionTime {
				a.failDeletion(d, fmt.Sprintf("failed to evict pod %s/%s within allowed timeout (last error: %v)", p.Namespace, p.Name, err))
				return
			}
		}
		left = true
	}
	if !left {
		a.removeNode(d)
		return
	}
	if a.now()-d.started >= MaxPodEvictionTime+time.Duration(a.opts.MaxGracefulTerminationSec)*time.Second {
		a.removeNode(d) // pods still terminating: upstream deletes the node anyway
		return
	}
	d.timer = a.Engine.After(evictionRetry, "cluster-autoscaler/drain", func() { a.drain(d) })
}

func (a *Autoscaler) removeNode(d *deletion) {
	if err := a.cloud.DeleteNode(d.group, d.node); err != nil {
		a.failDeletion(d, err.Error())
		return
	}
	delete(a.deleting, d.node)
	a.stats.NodesRemoved++
	a.lastScaleDownDelete = a.now()
}

func (a *Autoscaler) failDeletion(d *deletion, msg string) {
	delete(a.deleting, d.node)
	a.lastScaleDownFail = a.now()
	o, ok := a.Store.Get("Node", "", d.node)
	if !ok {
		return
	}
	node := o.(*corev1.Node).DeepCopy()
	var keep []corev1.Taint
	for _, t := range node.Spec.Taints {
		if t.Key != TaintToBeDeleted {
			keep = append(keep, t)
		}
	}
	node.Spec.Taints = keep
	_, _ = a.Client.Update(node)
	a.Client.Event(node, corev1.EventTypeWarning, "ScaleDownFailed", msg)
}
