// Package defaultpreemption is kube-scheduler's PostFilter: when a pod fits
// no node, find nodes where deleting lower-priority pods would make room,
// pick the one where that hurts least, and name the victims. It also
// produces upstream's "preemption: ..." part of the FailedScheduling
// message when preemption cannot help.
package defaultpreemption

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Name is the plugin name.
const Name = "DefaultPreemption"

// Upstream's messages.
const (
	MsgNoVictims          = "No preemption victims found for incoming pod"
	MsgNotHelpful         = "Preemption is not helpful for scheduling"
	MsgPolicyNever        = "not eligible due to preemptionPolicy=Never."
	MsgTerminatingOnNomin = "not eligible due to a terminating pod on the nominated node."
)

// Candidates: at least 100 nodes or 10% of the nodes where preemption
// might help are dry-run before choosing (upstream's DefaultPreemptionArgs
// defaults).
const (
	DefaultMinCandidateNodesPercentage = 10
	DefaultMinCandidateNodesAbsolute   = 100
)

// Framework is what preemption needs of the scheduling framework: the
// Filter plugins, and the PreFilter extensions that keep a copy of the
// cycle state in step with the pods removed and given back on a node.
type Framework interface {
	RunFilterPlugins(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status
	RunPreFilterExtensionAddPod(state *framework.CycleState, pod *corev1.Pod, pi *framework.PodInfo, ni *framework.NodeInfo) *framework.Status
	RunPreFilterExtensionRemovePod(state *framework.CycleState, pod *corev1.Pod, pi *framework.PodInfo, ni *framework.NodeInfo) *framework.Status
}

// PDBLister returns the PodDisruptionBudgets of a namespace with how many
// disruptions each still allows.
type PDBLister func(namespace string) ([]*policyv1.PodDisruptionBudget, []int32)

// DefaultPreemption is the plugin.
type DefaultPreemption struct {
	lister framework.SharedLister
	fwk    Framework
	pdbs   PDBLister
	rand   *sim.Rand
	// MinCandidateNodesPercentage and MinCandidateNodesAbsolute are
	// upstream's DefaultPreemptionArgs (defaults 10 and 100).
	MinCandidateNodesPercentage, MinCandidateNodesAbsolute int
}

// New returns the plugin; SetFramework must give it the framework it is
// part of (built after the plugin) before the first PostFilter.
func New(lister framework.SharedLister, pdbs PDBLister, r *sim.Rand) *DefaultPreemption {
	return &DefaultPreemption{lister: lister, pdbs: pdbs, rand: r,
		MinCandidateNodesPercentage: DefaultMinCandidateNodesPercentage, MinCandidateNodesAbsolute: DefaultMinCandidateNodesAbsolute}
}

// SetFramework sets the framework whose Filter plugins and PreFilter
// extensions the dry run uses.
func (pl *DefaultPreemption) SetFramework(f Framework) { pl.fwk = f }

// Name implements framework.Plugin.
func (*DefaultPreemption) Name() string { return Name }

// candidate is a node where preemption would work.
type candidate struct {
	node          *framework.NodeInfo
	victims       []*framework.PodInfo
	pdbViolations int
}

// PostFilter tries to make room for pod. On success the result names the
// node and the victims; otherwise the status message explains why not.
func (pl *DefaultPreemption) PostFilter(state *framework.CycleState, pod *corev1.Pod, statuses []framework.NodeStatus) (*framework.PostFilterResult, *framework.Status) {
	if ok, msg := pl.eligible(pod, statuses); !ok {
		return nil, framework.NewStatus(framework.Unschedulable, "preemption: "+msg)
	}
	all := pl.lister.NodeInfos()
	cands, nodeStatuses, err := pl.findCandidates(state, pod, statuses)
	if err != nil && len(cands) == 0 {
		return nil, framework.NewStatus(framework.Error, "preemption: "+err.Error())
	}
	if len(cands) == 0 {
		fe := &framework.FitError{Pod: pod, NumAllNodes: len(all), Diagnosis: framework.Diagnosis{NodeStatuses: nodeStatuses}}
		return nil, framework.NewStatus(framework.Unschedulable, "preemption: "+fe.Error())
	}
	best := pickOne(cands)
	res := &framework.PostFilterResult{NominatedNodeName: best.node.Name()}
	for _, v := range best.victims {
		res.Victims = append(res.Victims, v.Pod)
	}
	return res, nil
}

// eligible is upstream's PodEligibleToPreemptOthers.
func (pl *DefaultPreemption) eligible(pod *corev1.Pod, statuses []framework.NodeStatus) (bool, string) {
	if p := pod.Spec.PreemptionPolicy; p != nil && *p == corev1.PreemptNever {
		return false, MsgPolicyNever
	}
	nom := pod.Status.NominatedNodeName
	if nom == "" {
		return true, ""
	}
	for _, ns := range statuses {
		if ns.Node.Name() == nom && ns.Status.Code() == framework.UnschedulableAndUnresolvable {
			return true, "" // the nominated node cannot work any more: preempt again
		}
	}
	if ni := pl.lister.Get(nom); ni != nil {
		prio := podPriority(pod)
		for _, pi := range ni.Pods {
			if pi.Pod.DeletionTimestamp != nil && pi.Priority < prio {
				return false, MsgTerminatingOnNomin
			}
		}
	}
	return true, ""
}

// findCandidates dry-runs preemption on the nodes where it might help
// (those not rejected as UnschedulableAndUnresolvable), from a random
// offset, until enough candidates are found.
func (pl *DefaultPreemption) findCandidates(state *framework.CycleState, pod *corev1.Pod, statuses []framework.NodeStatus) ([]candidate, []framework.NodeStatus, error) {
	var potential []*framework.NodeInfo
	var out []framework.NodeStatus
	notHelpful := framework.NewStatus(framework.UnschedulableAndUnresolvable, MsgNotHelpful).WithPlugin(Name)
	for _, ns := range statuses {
		if ns.Status.Code() == framework.UnschedulableAndUnresolvable {
			out = append(out, framework.NodeStatus{Node: ns.Node, Status: notHelpful})
			continue
		}
		potential = append(potential, ns.Node)
	}
	if len(potential) == 0 {
		return nil, out, nil
	}
	offset, want := pl.offsetAndNumCandidates(len(potential))
	var pdbs []*policyv1.PodDisruptionBudget
	var allowed []int32
	if pl.pdbs != nil {
		pdbs, allowed = pl.pdbs(pod.Namespace)
	}
	cands, dryRun, err := pl.dryRunPreemption(state, pod, potential, pdbs, allowed, offset, want)
	return cands, append(out, dryRun...), err
}

// offsetAndNumCandidates is where the dry run starts among numNodes
// potential nodes (random) and how many candidates it looks for: the
// larger of MinCandidateNodesPercentage of them and
// MinCandidateNodesAbsolute, at most all of them.
func (pl *DefaultPreemption) offsetAndNumCandidates(numNodes int) (offset, num int) {
	num = max(numNodes*pl.MinCandidateNodesPercentage/100, pl.MinCandidateNodesAbsolute)
	num = min(num, numNodes)
	if pl.rand != nil {
		offset = pl.rand.IntN(numNodes)
	}
	return offset, num
}

// dryRunPreemption selects victims on each node from offset on (wrapping
// around) and stops once numCandidates candidates are found, at least one
// of them violating no PodDisruptionBudget; it keeps at most numCandidates
// of each kind. Candidates that violate none come first. The nodes that cannot be candidates get their status;
// errors are also returned (an aggregate, as upstream's).
func (pl *DefaultPreemption) dryRunPreemption(state *framework.CycleState, pod *corev1.Pod, potential []*framework.NodeInfo, pdbs []*policyv1.PodDisruptionBudget, allowed []int32, offset, numCandidates int) ([]candidate, []framework.NodeStatus, error) {
	var out []framework.NodeStatus
	var errs []string
	var nonViolating, violating []candidate
	for i := range potential {
		ni := potential[(offset+i)%len(potential)]
		victims, nv, st := pl.selectVictimsOnNode(state, pod, ni, pdbs, allowed)
		if st.IsSuccess() && len(victims) > 0 {
			// Each list holds at most numCandidates (upstream's
			// fixed-size candidate lists): further ones are dropped.
			c := candidate{node: ni, victims: victims, pdbViolations: nv}
			if nv == 0 {
				if len(nonViolating) < numCandidates {
					nonViolating = append(nonViolating, c)
				}
			} else if len(violating) < numCandidates {
				violating = append(violating, c)
			}
			if len(nonViolating) > 0 && len(nonViolating)+len(violating) >= numCandidates {
				break
			}
			continue
		}
		if st.IsSuccess() {
			st = framework.AsStatus(fmt.Errorf("expected at least one victim pod on node %q", ni.Name()))
		}
		if st.Code() == framework.Error {
			errs = append(errs, st.Message())
		}
		out = append(out, framework.NodeStatus{Node: ni, Status: st})
	}
	var err error
	switch {
	case len(errs) == 1:
		err = errors.New(errs[0])
	case len(errs) > 1:
		err = errors.New("[" + strings.Join(errs, ", ") + "]")
	}
	return append(nonViolating, violating...), out, err
}

// selectVictimsOnNode removes every lower-priority pod (from a copy of the
// node and, through the PreFilter extensions, from a copy of state), checks
// the pod then fits, and reprieves as many victims as possible
// (PDB-violating ones first, most important first). A node without a
// lower-priority pod is rejected before anything is copied: a pending
// pod's PostFilter visits every node each attempt, and among equal
// priorities (the common case) none has a victim.
func (pl *DefaultPreemption) selectVictimsOnNode(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo, pdbs []*policyv1.PodDisruptionBudget, allowed []int32) ([]*framework.PodInfo, int, *framework.Status) {
	prio := podPriority(pod)
	var potential []*framework.PodInfo
	for _, pi := range ni.Pods {
		if pi.Priority < prio {
			potential = append(potential, pi)
		}
	}
	if len(potential) == 0 {
		return nil, 0, framework.NewStatus(framework.UnschedulableAndUnresolvable, MsgNoVictims).WithPlugin(Name)
	}
	state, clone := state.Clone(), ni.Clone()
	remove := func(pi *framework.PodInfo) *framework.Status {
		clone.RemovePodInfoFromClone(pi)
		return pl.fwk.RunPreFilterExtensionRemovePod(state, pod, pi, clone)
	}
	for _, pi := range potential {
		if st := remove(pi); !st.IsSuccess() {
			return nil, 0, st
		}
	}
	if st := pl.fwk.RunFilterPlugins(state, pod, clone); !st.IsSuccess() {
		return nil, 0, st
	}
	slices.SortStableFunc(potential, moreImportantFirst)
	violatingPods, nonViolatingPods := splitByPDB(potential, pdbs, allowed)
	var victims []*framework.PodInfo
	numViolating := 0
	reprieve := func(pi *framework.PodInfo, violates bool) *framework.Status {
		clone.AddPodInfoToClone(pi)
		if st := pl.fwk.RunPreFilterExtensionAddPod(state, pod, pi, clone); !st.IsSuccess() {
			return st
		}
		if pl.fwk.RunFilterPlugins(state, pod, clone).IsSuccess() {
			return nil
		}
		victims = append(victims, pi)
		if violates {
			numViolating++
		}
		return remove(pi)
	}
	for _, pi := range violatingPods {
		if st := reprieve(pi, true); !st.IsSuccess() {
			return nil, 0, st
		}
	}
	for _, pi := range nonViolatingPods {
		if st := reprieve(pi, false); !st.IsSuccess() {
			return nil, 0, st
		}
	}
	slices.SortStableFunc(victims, moreImportantFirst)
	return victims, numViolating, nil
}

// splitByPDB splits pods into those whose eviction would exceed a
// PodDisruptionBudget and the rest, spending each budget in order.
func splitByPDB(pods []*framework.PodInfo, pdbs []*policyv1.PodDisruptionBudget, allowed []int32) (violating, ok []*framework.PodInfo) {
	left := slices.Clone(allowed)
	for _, pi := range pods {
		bad := false
		for i, pdb := range pdbs {
			if pdb.Namespace != pi.Pod.Namespace || len(pi.Pod.Labels) == 0 {
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err != nil || sel.Empty() || !sel.Matches(labels.Set(pi.Pod.Labels)) {
				continue
			}
			if _, done := pdb.Status.DisruptedPods[pi.Pod.Name]; done {
				continue
			}
			left[i]--
			if left[i] < 0 {
				bad = true
			}
		}
		if bad {
			violating = append(violating, pi)
		} else {
			ok = append(ok, pi)
		}
	}
	return violating, ok
}

func podPriority(p *corev1.Pod) int32 {
	if p.Spec.Priority != nil {
		return *p.Spec.Priority
	}
	return 0
}

// startTime is when the pod started (creation time if it has not).
func startTime(p *corev1.Pod) metav1.Time {
	if p.Status.StartTime != nil {
		return *p.Status.StartTime
	}
	return p.CreationTimestamp
}

// moreImportantFirst orders pods by priority, then by earlier start.
func moreImportantFirst(a, b *framework.PodInfo) int {
	if a.Priority != b.Priority {
		if a.Priority > b.Priority {
			return -1
		}
		return 1
	}
	ta, tb := startTime(a.Pod), startTime(b.Pod)
	switch {
	case ta.Before(&tb):
		return -1
	case tb.Before(&ta):
		return 1
	}
	return 0
}
