package framework

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// MaxNodeScore is the highest score a Score plugin may give after
// normalisation; MinNodeScore the lowest.
const (
	MaxNodeScore int64 = 100
	MinNodeScore int64 = 0
)

// Plugin is anything with a name.
type Plugin interface {
	Name() string
}

// PreFilterPlugin computes, once per cycle, what its Filter needs. It may
// reject the pod outright, or return Skip when its Filter has nothing to
// check for this pod.
type PreFilterPlugin interface {
	Plugin
	PreFilter(state *CycleState, pod *corev1.Pod) *Status
}

// PreFilterResultPlugin is a PreFilter plugin that may also narrow the
// nodes worth filtering (upstream's PreFilterResult): after its PreFilter
// succeeded, PreFilterResult returns the only node names that can fit,
// or nil for every node. The framework intersects the plugins' sets.
type PreFilterResultPlugin interface {
	PreFilterPlugin
	PreFilterResult(state *CycleState) sets.Set[string]
}

// PreFilterExtensions is a PreFilter plugin whose cycle state counts
// pods: preemption's dry run removes victims from, and gives reprieved
// pods back to, a copy of the cycle state through it (upstream's
// PreFilterExtensions AddPod/RemovePod). The node is the (cloned) node
// the pod is added to or removed from.
type PreFilterExtensions interface {
	PreFilterPlugin
	AddPod(state *CycleState, podToSchedule *corev1.Pod, podToAdd *PodInfo, node *NodeInfo) *Status
	RemovePod(state *CycleState, podToSchedule *corev1.Pod, podToRemove *PodInfo, node *NodeInfo) *Status
}

// StateCloner is cycle-state data that preemption's dry run changes
// (through PreFilterExtensions): CycleState.Clone deep-copies it. Data
// that does not implement it is shared between the copies, read-only.
type StateCloner interface {
	CloneState() any
}

// FilterPlugin decides whether the pod may run on one node.
type FilterPlugin interface {
	Plugin
	Filter(state *CycleState, pod *corev1.Pod, node *NodeInfo) *Status
}

// PreScorePlugin computes, once per cycle, what its Score needs, given the
// feasible nodes. Skip means its Score is not called in this cycle.
type PreScorePlugin interface {
	Plugin
	PreScore(state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) *Status
}

// ScorePlugin ranks one feasible node. Score is called for several nodes
// at once from parallel workers, as upstream's: it only reads the plugin,
// the pod, the node and the cycle state its PreScore wrote.
type ScorePlugin interface {
	Plugin
	Score(state *CycleState, pod *corev1.Pod, node *NodeInfo) (int64, *Status)
	// ScoreExtensions returns nil when the plugin's raw scores are already
	// in [0, MaxNodeScore].
	ScoreExtensions() ScoreExtensions
}

// BatchScorer is an optional extension of a ScorePlugin: ScoreNodes sets
// scores[j].Score for nodes[j] to exactly what Score would return, but
// reads the cycle state once and avoids an interface call per node (the
// framework's hot loop: every feasible node times every score plugin).
// Like Score, it may run on several slices of the feasible nodes at once
// (RunScorePlugins): it only reads the plugin, the pod, the nodes and the
// cycle state. Unless the plugin has ScoreExtensions, scores[j].Node is
// not set: the scores are by position.
type BatchScorer interface {
	ScoreNodes(state *CycleState, pod *corev1.Pod, nodes []*NodeInfo, scores []NodeScore) *Status
}

// RowScorer is an optional extension of a BatchScorer: ScoreRows sets
// scores[j].Score for nodes[j], whose NodeRow is rows[rowOf[j]], to
// exactly what Score would return, reading the rows rather than the
// NodeInfos where it can (a row is one cache line; a NodeInfo several,
// behind pointers). It sets every scores[j].Score. The framework calls
// it when the scheduler recorded the rows (CycleState.SetScoreRows);
// like ScoreNodes it may run on several slices at once.
type RowScorer interface {
	ScoreRows(state *CycleState, pod *corev1.Pod, nodes []*NodeInfo, rows []NodeRow, rowOf []int32, scores []NodeScore) *Status
}

// RowAdder is an optional extension of a ScorePlugin without
// ScoreExtensions: AddRows adds weight × what Score would return for
// nodes[j], whose NodeRow is rows[rowOf[j]], to totals[j], for every j.
// Its scores must lie in [MinNodeScore, MaxNodeScore] by construction
// (the framework does not check them one by one, and adds them in no
// particular order relative to other plugins': integer sums do not
// depend on it). The framework calls it instead of ScoreNodes and the
// per-plugin pass that checks, weights and adds a plugin's scores, when
// the scheduler recorded the rows (CycleState.SetScoreRows); like
// ScoreNodes it may run on several disjoint slices at once.
type RowAdder interface {
	AddRows(state *CycleState, pod *corev1.Pod, nodes []*NodeInfo, rows []NodeRow, rowOf []int32, weight int64, totals []int64) *Status
}

// RowKeyed is an optional extension of a RowAdder whose score of a row
// is, this cycle, a function of that row's fields and of the key RowKey
// returns, and of nothing else (not of other nodes, the cluster or the
// pod beyond its key): equal rows and equal keys give equal scores.
// RowKey runs after the plugin's PreScore; false means no such key this
// cycle. The framework may then add a row's weighted score remembered
// from an earlier cycle with the same key, as long as the row has not
// been written since (NodeTable.Gens), instead of calling AddRows for it.
type RowKeyed interface {
	RowKey(state *CycleState, pod *corev1.Pod) (RowKey, bool)
}

// RowKey is what a RowKeyed plugin's scores of rows depend on besides
// the rows (a pod's requests, say).
type RowKey [2]int64

// UniformScorer is an optional extension of a ScorePlugin: after its
// PreScore, UniformScore reports whether the plugin's final score (after
// NormalizeScore, if it has one) is provably the same on every one of
// nodes this cycle, and that score. The framework then adds weight ×
// score to every node's total and does not score the nodes one by one:
// the totals are the same, and so are the choice and its tie-break
// draws. It may read the rows the scheduler recorded
// (CycleState.ScoreRows) and must not change anything.
type UniformScorer interface {
	UniformScore(state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) (int64, bool)
}

// ScoreExtensions rescales a plugin's raw scores over all feasible nodes.
type ScoreExtensions interface {
	NormalizeScore(state *CycleState, pod *corev1.Pod, scores []NodeScore) *Status
}

// RowNormalizer is an optional extension of a RowScorer's
// ScoreExtensions: NormalizeRows does exactly what NormalizeScore does
// to scores that ScoreRows set, but knows scores[j]'s node by its row,
// rowOf[j], instead of by scores[j].Node. The framework then does not
// set scores[j].Node at all: storing a pointer per feasible node per
// cycle cost a write barrier each while the garbage collector ran (a
// third of a 5,000-node run).
type RowNormalizer interface {
	NormalizeRows(state *CycleState, pod *corev1.Pod, rowOf []int32, scores []NodeScore) *Status
}

// NormalizedRowAdder is an optional extension of a RowScorer with a
// RowNormalizer: AddNormalizedRows adds to totals[j], for every j, weight
// × nodes[j]'s normalised score — what ScoreRows, NormalizeRows and the
// framework's pass that checks, weights and adds a plugin's scores would
// add — without writing the raw scores out for the framework to read
// back twice. It fails as that sequence fails: with ScoreRows' failure,
// or with ScoreOutOfRange for the first node whose normalised score
// falls outside [MinNodeScore, MaxNodeScore] (totals are then
// meaningless: the cycle fails). Normalising needs every feasible
// node's raw score, so the framework calls it only with all of them at
// once (when it scores on one goroutine), in the plugin's turn.
type NormalizedRowAdder interface {
	AddNormalizedRows(state *CycleState, pod *corev1.Pod, nodes []*NodeInfo, rows []NodeRow, rowOf []int32, weight int64, totals []int64) *Status
}

// NodeScore is one node's score from one plugin.
type NodeScore struct {
	Node  *NodeInfo
	Score int64
}

// NodeStatus is why one node was rejected.
type NodeStatus struct {
	Node   *NodeInfo
	Status *Status
}

// PostFilterResult is what a PostFilter (preemption) decided: the node the
// pod is nominated to and the pods to delete to make room there.
type PostFilterResult struct {
	NominatedNodeName string
	Victims           []*corev1.Pod
}

// PostFilterPlugin runs when no node fits (DefaultPreemption).
type PostFilterPlugin interface {
	Plugin
	PostFilter(state *CycleState, pod *corev1.Pod, statuses []NodeStatus) (*PostFilterResult, *Status)
}

// SharedLister is the read-only view of the cluster that plugins get: the
// scheduler cache, including pods assumed but not yet bound.
type SharedLister interface {
	// NodeInfos lists every node, in the cache's (zone-interleaved) order;
	// NodeInfo.Index is the position in this slice.
	NodeInfos() []*NodeInfo
	// Get returns the named node's info, or nil.
	Get(name string) *NodeInfo
	// PodsWithLabel lists assigned pods in namespace carrying label
	// key=value (any order).
	PodsWithLabel(namespace, key, value string) []*PodInfo
	// PodsInNamespace lists every assigned pod of namespace (any order).
	PodsInNamespace(namespace string) []*PodInfo
	// PodsEpoch changes whenever a pod leaves a list of PodsWithLabel or
	// PodsInNamespace, a listed pod's DeletionTimestamp appears or goes,
	// or NodeInfo indexes change. While it stays, those lists only grow
	// at their ends, and their pods keep their node, labels and
	// deletion state: a count over a list's first n pods still holds.
	PodsEpoch() uint64
	// NumPodsWithAffinity counts assigned pods with pod (anti-)affinity
	// terms; NumPodsWithRequiredAntiAffinity those with required
	// anti-affinity.
	NumPodsWithAffinity() int
	NumPodsWithRequiredAntiAffinity() int
	// TopologyKeyID interns a node label key used as a topology key; from
	// then on every node's NodeInfo.Domain(id) is its interned value.
	TopologyKeyID(key string) int
	// NumTopologyDomains bounds the domain ids of key id (for sizing
	// per-domain slices).
	NumTopologyDomains(keyID int) int
	// NumLiveTopologyDomains is the number of domains of key id holding
	// at least one listed node (nodes lacking the label count as the
	// EmptyDomain), so a walk collecting the domains of some nodes can
	// stop once it has seen that many.
	NumLiveTopologyDomains(keyID int) int
	// DomainsByIndex is every listed node's Domain(keyID), indexed by
	// NodeInfo.Index: the same ids in one dense array. Valid until the
	// nodes change (read it after NodeInfos and TopologyKeyID, within a
	// cycle).
	DomainsByIndex(keyID int) []int32
	// ImageID is the interned id of a normalised image name, false if no
	// node has ever listed it. Ids are never reused, so a caller may
	// remember one; NodeInfo.ImageIDs holds them.
	ImageID(normalized string) (int32, bool)
	// ImageSummary is the size and node count of image id, nil while no
	// node has it.
	ImageSummary(id int32) *ImageStateSummary
	// ImageNodes is a bitset of the nodes holding image id, by
	// NodeInfo.ImageSlot (bit s is word s/64, bit s%64; missing words are
	// zero). It lets a batch scorer test a node with one load.
	ImageNodes(id int32) []uint64
}

// ClusterEvent is a change in the cluster that may make schedulable a
// pod a plugin rejected (upstream's framework.ClusterEvent, named by what
// changed).
type ClusterEvent int

// The events plugins register for.
const (
	AssignedPodAdd        ClusterEvent = iota // a pod bound to a node
	AssignedPodDelete                         // a pod left its node (deleted or finished)
	NodeSchedulable                           // a cordoned node uncordoned
	NodeTaintChange                           // a node's taints changed
	NodeLabelChange                           // a node's labels changed
	NodeAllocatableChange                     // a node's allocatable changed
	StorageChange                             // a PVC, PV or StorageClass added or updated
)

// EnqueueExtensions is a plugin whose rejections some cluster events may
// resolve (upstream's EnqueueExtensions, without queueing hints): the
// scheduler moves the pods it rejected back to the active queue on those
// events only. EventsToRegister keys them by the plugin name a rejection
// carries (one plugin may reject under several upstream plugin names).
type EnqueueExtensions interface {
	Plugin
	EventsToRegister() map[string][]ClusterEvent
}
