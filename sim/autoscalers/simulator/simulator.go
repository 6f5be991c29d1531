// Package simulator is what the autoscalers share to answer "would these
// pods fit?": a cluster snapshot (the autoscaler's own informer cache,
// like the scheduler's) with the pods no node holds yet, the scheduler's
// PreFilter and Filter plugins run over it, hypothetical changes recorded
// so they can be taken back, and the drain rules both apply to a node's
// pods. Upstream shares it the same way: Karpenter's provisioner and
// consolidation and Cluster Autoscaler's scale-up and scale-down all run
// the scheduler's filters against a snapshot they then discard.
//
// Cluster Autoscaler and Karpenter never import each other; what they
// have in common lives here.
package simulator

import (
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler"
	"github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/store"
)

// Snapshot is an autoscaler's view of the cluster: the assigned pods on
// their nodes (the embedded scheduler cache) and the unassigned ones in
// Pending, kept current by TrackNode and TrackPod from the autoscaler's
// watches.
type Snapshot struct {
	*cache.Cache
	// Pending holds the unassigned pods by key.
	Pending map[string]*corev1.Pod

	st    *store.Store
	fwk   *framework.Framework
	state *framework.CycleState
	// daemonSpecs caches, per DaemonSet object, the spec its pods get
	// and their requests (AddDaemonPods runs for every template node of
	// every simulation).
	daemonSpecs map[*appsv1.DaemonSet]*daemonSpec
	// drainable remembers, per node, Drainable's answer and the pod
	// objects it was computed from: Karpenter lists every node's
	// drainable pods at every disruption poll, and most nodes' pods are
	// the same objects as 10 s before.
	drainable map[string]drainableEntry
	// pdbs holds each namespace's PodDisruptionBudgets (key and parsed
	// selector) as of the store's PDB revision pdbsRev: MatchingPDBs runs
	// for every pod of every candidate node at every autoscaler loop, and
	// PDBs seldom change. Any PDB change moves the kind's revision
	// (store.KindRev), which rebuilds the lot.
	pdbs    map[string][]pdbEntry
	pdbsRev int64
}

type pdbEntry struct {
	key string
	sel labels.Selector // nil when empty or invalid: it selects nothing here
}

type drainableEntry struct {
	from []*corev1.Pod // the node's pod objects, in the NodeInfo's order
	out  []*corev1.Pod
}

type daemonSpec struct {
	spec     *corev1.PodSpec
	requests podutil.Resources
	// info is the PodInfo the first daemon pod placed derived: the
	// others, with the same spec, reuse it.
	info *framework.PodInfo
}

// New returns an empty snapshot whose filters read objects other than
// nodes and pods (volumes, namespaces) from st.
func New(st *store.Store) *Snapshot {
	s := &Snapshot{Cache: cache.New(), Pending: map[string]*corev1.Pod{}, st: st, state: framework.NewCycleState()}
	s.fwk = scheduler.NewFilterFramework(s.Cache, st)
	return s
}

// TrackNode applies a node event.
func (s *Snapshot) TrackNode(ev store.Event) {
	node := ev.Object.(*corev1.Node)
	switch ev.Type {
	case store.Added:
		s.AddNode(node)
	case store.Modified:
		s.UpdateNode(ev.Old.(*corev1.Node), node)
	case store.Deleted:
		s.RemoveNode(node)
		delete(s.drainable, node.Name)
	}
}

// TrackPod applies a pod event: an assigned pod occupies its node (a
// deleted one leaves it) and an unassigned one is pending until it is
// assigned or deleted. It returns the pod, its key and whether it is
// pending now.
func (s *Snapshot) TrackPod(ev store.Event) (pod *corev1.Pod, key string, pending bool) {
	pod = ev.Object.(*corev1.Pod)
	key = store.KeyOf(pod)
	switch {
	case ev.Type == store.Deleted:
		delete(s.Pending, key)
		if pod.Spec.NodeName != "" {
			s.RemovePod(pod)
		}
	case pod.Spec.NodeName != "":
		delete(s.Pending, key)
		s.UpdatePod(pod)
	default:
		s.Pending[key] = pod
		pending = true
	}
	return pod, key, pending
}

// Check runs the scheduler's PreFilter and Filter plugins for pod on ni.
func (s *Snapshot) Check(pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	s.state.Reset()
	if st := s.fwk.RunPreFilterPlugins(s.state, pod); !st.IsSuccess() {
		return st
	}
	return s.fwk.RunFilterPlugins(s.state, pod, ni)
}

// FindPlace returns the first node of the snapshot (in its order) where
// pod fits, skipping nodes for which skip says so; "" if none. PreFilter
// runs once for the pod, Filter per node, as in a scheduling cycle.
func (s *Snapshot) FindPlace(pod *corev1.Pod, skip func(*framework.NodeInfo) bool) string {
	s.state.Reset()
	if st := s.fwk.RunPreFilterPlugins(s.state, pod); !st.IsSuccess() {
		return ""
	}
	for _, ni := range s.NodeInfos() {
		if skip != nil && skip(ni) {
			continue
		}
		if s.fwk.RunFilterPlugins(s.state, pod, ni).IsSuccess() {
			return ni.Name()
		}
	}
	return ""
}

// Undo records the hypothetical changes a simulation makes to the
// snapshot, so that Revert takes them back.
type Undo struct {
	nodes []*corev1.Node
	added []*corev1.Pod // hypothetical pods placed on nodes
	moved []*corev1.Pod // original versions of pods moved to other nodes
	// hid are the pods taken off the snapshot, with what the cache
	// derived from them (put back as they were, not derived again).
	hid   []*framework.PodInfo
	hidBy map[types.UID]*framework.PodInfo // hid by UID
}

// Revert takes every change of u back, newest first, and empties u.
func (s *Snapshot) Revert(u *Undo) {
	for i := len(u.moved) - 1; i >= 0; i-- {
		s.UpdatePod(u.moved[i])
	}
	for i := len(u.added) - 1; i >= 0; i-- {
		s.RemovePod(u.added[i])
	}
	for i := len(u.nodes) - 1; i >= 0; i-- {
		s.RemoveNode(u.nodes[i])
	}
	for _, pi := range u.hid {
		s.AddPodInfo(pi)
	}
	*u = Undo{}
}

// Merge makes v's changes u's: they are reverted with u's.
func (u *Undo) Merge(v *Undo) {
	u.nodes = append(u.nodes, v.nodes...)
	u.added = append(u.added, v.added...)
	u.moved = append(u.moved, v.moved...)
	u.hid = append(u.hid, v.hid...)
	for uid, pi := range v.hidBy { // a set: order does not matter
		if u.hidBy == nil {
			u.hidBy = map[types.UID]*framework.PodInfo{}
		}
		u.hidBy[uid] = pi
	}
	*v = Undo{}
}

// AddTemporaryNode adds a hypothetical node (a template of a node that
// could be launched).
func (s *Snapshot) AddTemporaryNode(u *Undo, n *corev1.Node) {
	s.AddNode(n)
	u.nodes = append(u.nodes, n)
}

// Place puts pod on node: a pending pod is added there, an assigned one
// moves there. A pending copy of a pod u hid reuses what the cache
// derived from the hidden pod (same spec but for the node).
func (s *Snapshot) Place(u *Undo, pod *corev1.Pod, node string) {
	var from *framework.PodInfo
	if pod.Spec.NodeName == "" {
		from = u.hidden(pod)
	}
	s.place(u, pod, node, from)
}

// place is Place with, for a pending pod, the PodInfo of a pod with the
// same spec to copy (nil: the cache derives it).
func (s *Snapshot) place(u *Undo, pod *corev1.Pod, node string, from *framework.PodInfo) {
	cp := *pod
	cp.Spec.NodeName = node
	if pod.Spec.NodeName != "" {
		s.UpdatePod(&cp)
		u.moved = append(u.moved, pod)
		return
	}
	if from != nil {
		s.AddPodInfo(from.WithPod(&cp))
	} else {
		s.AddPod(&cp)
	}
	u.added = append(u.added, &cp)
}

// hidden is the PodInfo of the pod u hid that pod is a copy of (same
// key, UID and resource version), or nil.
func (u *Undo) hidden(pod *corev1.Pod) *framework.PodInfo {
	pi := u.hidBy[pod.UID]
	if pi == nil || pod.UID == "" {
		return nil
	}
	if h := pi.Pod; h.Name != pod.Name || h.Namespace != pod.Namespace || h.ResourceVersion != pod.ResourceVersion {
		return nil
	}
	return pi
}

// Hide takes an assigned pod off the snapshot (its node is to go); it
// returns what the cache derived from the pod (its requests), nil if the
// pod was not there.
func (s *Snapshot) Hide(u *Undo, pod *corev1.Pod) *framework.PodInfo {
	pi := s.PodInfo(pod.Namespace, pod.Name)
	if !s.RemovePod(pod) {
		return nil
	}
	u.hid = append(u.hid, pi)
	if u.hidBy == nil {
		u.hidBy = map[types.UID]*framework.PodInfo{}
	}
	u.hidBy[pod.UID] = pi
	return pi
}

// daemonSetTolerations are the tolerations the DaemonSet controller adds
// to every daemon pod (node not-ready, unreachable, pressure conditions,
// unschedulable).
var daemonSetTolerations = []corev1.Toleration{
	{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
}

// AddDaemonPods places on the snapshot node name a pod of every DaemonSet
// that would run there (upstream's template NodeInfo does the same, so a
// new node's room is what is left after its DaemonSet pods); it returns
// their requests (the node's overhead).
func (s *Snapshot) AddDaemonPods(u *Undo, name string) podutil.Resources {
	var sum podutil.Resources
	ni := s.Get(name)
	for _, o := range s.st.List("DaemonSet", "") {
		ds := o.(*appsv1.DaemonSet)
		ent := s.daemonSpecs[ds]
		if ent == nil {
			spec := ds.Spec.Template.Spec.DeepCopy()
			spec.Tolerations = append(spec.Tolerations, daemonSetTolerations...)
			ent = &daemonSpec{spec: spec, requests: podutil.PodRequests(&corev1.Pod{Spec: *spec})}
			if s.daemonSpecs == nil || len(s.daemonSpecs) > 64 { // replaced DaemonSet objects are forgotten wholesale
				s.daemonSpecs = map[*appsv1.DaemonSet]*daemonSpec{}
			}
			s.daemonSpecs[ds] = ent
		}
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ds.Namespace, Name: ds.Name + "-" + name, UID: types.UID(ds.Name + "-" + name),
				Labels: ds.Spec.Template.Labels, OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, appsv1.SchemeGroupVersion.WithKind("DaemonSet"))}},
			Spec: *ent.spec, // its slices shared between the daemon pods, only read
		}
		if s.Check(p, ni).IsSuccess() {
			s.place(u, p, name, ent.info)
			if ent.info == nil {
				ent.info = s.PodInfo(p.Namespace, p.Name)
			}
			sum = sum.Add(ent.requests)
		}
	}
	return sum
}

// IsDaemonSet reports whether a DaemonSet controls p.
func IsDaemonSet(p *corev1.Pod) bool {
	ref := podutil.ControllerOf(p)
	return ref != nil && ref.Kind == "DaemonSet"
}

// IsMirror reports whether p is a static pod's mirror.
func IsMirror(p *corev1.Pod) bool {
	_, ok := p.Annotations[corev1.MirrorPodAnnotationKey]
	return ok
}

// Drainable lists the pods a drain of the node would evict, by key: not
// finished, not mirror pods, not DaemonSet pods (both stay with their
// node). The list is shared: callers only read it.
func (s *Snapshot) Drainable(node string) []*corev1.Pod {
	ni := s.Get(node)
	if ni == nil {
		return nil
	}
	// Objects in the store are replaced, never changed: the same pod
	// objects give the same answer.
	if e, ok := s.drainable[node]; ok && sameObjects(e.from, ni.Pods) {
		return e.out
	}
	out := drainable(ni)
	from := make([]*corev1.Pod, len(ni.Pods))
	for i, pi := range ni.Pods {
		from[i] = pi.Pod
	}
	if s.drainable == nil {
		s.drainable = map[string]drainableEntry{}
	}
	s.drainable[node] = drainableEntry{from: from, out: out}
	return out
}

// sameObjects reports whether pods are the objects of infos, in order.
func sameObjects(pods []*corev1.Pod, infos []*framework.PodInfo) bool {
	if len(pods) != len(infos) {
		return false
	}
	for i, pi := range infos {
		if pods[i] != pi.Pod {
			return false
		}
	}
	return true
}

func drainable(ni *framework.NodeInfo) []*corev1.Pod {
	type keyed struct {
		key string
		pod *corev1.Pod
	}
	var ks []keyed
	for _, pi := range ni.Pods {
		if p := pi.Pod; !podutil.IsTerminal(p) && !IsMirror(p) && !IsDaemonSet(p) {
			ks = append(ks, keyed{store.KeyOf(p), p})
		}
	}
	if len(ks) == 0 {
		return nil
	}
	// By key, each key built once (not twice per comparison).
	slices.SortFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out := make([]*corev1.Pod, len(ks))
	for i, k := range ks {
		out[i] = k.pod
	}
	return out
}

// PDBBudgets are the disruptions each PodDisruptionBudget allows now, by
// key.
func (s *Snapshot) PDBBudgets() map[string]int32 {
	out := map[string]int32{}
	for _, o := range s.st.List("PodDisruptionBudget", "") {
		out[store.KeyOf(o)] = apiserver.DisruptionsAllowed(s.st, o.(*policyv1.PodDisruptionBudget))
	}
	return out
}

// MatchingPDBs lists the keys of the PodDisruptionBudgets that select p.
func (s *Snapshot) MatchingPDBs(p *corev1.Pod) []string {
	var out []string
	for _, e := range s.pdbsIn(p.Namespace) {
		if e.sel == nil || !e.sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		out = append(out, e.key)
	}
	return out
}

// pdbsIn lists the namespace's PodDisruptionBudgets by key, from pdbs,
// rebuilt first if a PDB changed since.
func (s *Snapshot) pdbsIn(ns string) []pdbEntry {
	if rev := s.st.KindRev("PodDisruptionBudget"); s.pdbs == nil || rev != s.pdbsRev {
		s.pdbs, s.pdbsRev = map[string][]pdbEntry{}, rev
		for _, o := range s.st.List("PodDisruptionBudget", "") { // by key, so by key in each namespace
			pdb := o.(*policyv1.PodDisruptionBudget)
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err != nil || sel.Empty() {
				sel = nil
			}
			s.pdbs[pdb.Namespace] = append(s.pdbs[pdb.Namespace], pdbEntry{key: store.KeyOf(pdb), sel: sel})
		}
	}
	return s.pdbs[ns]
}

// RemoveTemporaryNode drops a hypothetical node added with u, and the
// pods placed on it, from the snapshot and from u.
func (s *Snapshot) RemoveTemporaryNode(u *Undo, name string) {
	var keep []*corev1.Pod
	for _, p := range u.added {
		if p.Spec.NodeName == name {
			s.RemovePod(p)
			continue
		}
		keep = append(keep, p)
	}
	u.added = keep
	for i, n := range u.nodes {
		if n.Name == name {
			s.RemoveNode(n)
			u.nodes = append(u.nodes[:i], u.nodes[i+1:]...)
			break
		}
	}
}
