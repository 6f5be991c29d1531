package framework

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// PodInfo is a pod plus what the scheduler derives from it once (requests,
// host ports, affinity terms), so that plugins never recompute them in the
// per-node hot path.
type PodInfo struct {
	Pod *corev1.Pod
	// Requests are the pod's real requests (Pods = 1).
	Requests podutil.Resources
	// NonZero are the requests with the scoring defaults for containers
	// that request nothing (100m CPU, 200 MiB).
	NonZero  podutil.Resources
	Priority int32
	Ports    []HostPort

	// *PodAffinityTerms are the pod's parsed (anti-)affinity terms, read
	// through the promoted fields (pi.RequiredAffinityTerms, ...). Pods
	// without pod affinity (most) share one empty set, never written, so
	// that each PodInfo carries a pointer instead of four empty slices
	// and an error (112 bytes per pod the cache keeps).
	*PodAffinityTerms

	// Node is the node the pod is assigned (or assumed) to, nil for a
	// pending pod. The cache sets it.
	Node *NodeInfo

	// positions in Node's lists, for O(1) removal.
	idx, affIdx, antiIdx int
}

// NewPodInfo derives a PodInfo from pod.
func NewPodInfo(pod *corev1.Pod) *PodInfo {
	pi := &PodInfo{idx: -1, affIdx: -1, antiIdx: -1}
	pi.Update(pod)
	return pi
}

// WithPod is a copy of pi for another object of the same pod whose spec
// derives the same fields (a copy bound to another node): the
// autoscalers' what-if placements reuse what was derived instead of
// deriving it again. The copy is on no node.
func (pi *PodInfo) WithPod(pod *corev1.Pod) *PodInfo {
	cp := *pi
	cp.Pod, cp.Node, cp.idx, cp.affIdx, cp.antiIdx = pod, nil, -1, -1, -1
	return &cp
}

// Derive is NewPodInfo(pod), copied from last (WithPod) when pod derives
// exactly what last.Pod did. The scheduler derives the pods it pops one
// after the other, mostly a ReplicaSet's in a row, and the pods of one
// template hold the very same requests lists (the API server keeps one
// canonical copy of each, see apiserver.shareResources), so each
// computed the same requests again (PodRequests and NonZeroRequests,
// 0.2 s of a 5k run). The copy cannot differ from a fresh derivation:
// stored objects are never written in place, so the same lists hold the
// same quantities, and every other input of Update is compared
// (sameDerivation). It shares nothing that Update writes in place: only
// a last without host ports, pod affinity or scalar requests is copied.
func Derive(last *PodInfo, pod *corev1.Pod) *PodInfo {
	if last != nil && last.Ports == nil && last.PodAffinityTerms == noPodAffinityTerms &&
		last.Requests.Scalars == nil && last.NonZero.Scalars == nil && sameDerivation(last.Pod, pod) {
		return last.WithPod(pod)
	}
	return NewPodInfo(pod)
}

// sameDerivation reports whether Update derives the same fields from a
// and b: app containers with the same requests lists and no ports, no
// init containers, no overhead or pod-level resources, the same priority
// and affinity, and no status that requests read (container statuses'
// resources, pod-level resources, a pending resize).
func sameDerivation(a, b *corev1.Pod) bool {
	return a.Namespace == b.Namespace && sameRequests(a.Spec.Containers, b.Spec.Containers) &&
		len(a.Spec.InitContainers) == 0 && len(b.Spec.InitContainers) == 0 &&
		a.Spec.Overhead == nil && b.Spec.Overhead == nil && a.Spec.Resources == nil && b.Spec.Resources == nil &&
		samePriority(a.Spec.Priority, b.Spec.Priority) && a.Spec.Affinity == b.Spec.Affinity &&
		noStatusResources(a) && noStatusResources(b)
}

// sameRequests: container i of a and of b hold one requests list (or
// none), and no container declares ports (host ports are derived from
// them).
func sameRequests(a, b []corev1.Container) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		ra, rb := a[i].Resources.Requests, b[i].Resources.Requests
		if len(a[i].Ports) > 0 || len(b[i].Ports) > 0 || len(ra) != len(rb) ||
			(len(ra) > 0 && reflect.ValueOf(ra).UnsafePointer() != reflect.ValueOf(rb).UnsafePointer()) {
			return false
		}
	}
	return true
}

func samePriority(a, b *int32) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// noStatusResources: the status holds nothing requests are computed
// from (container statuses, pod-level resources, a resize); a pending
// pod's.
func noStatusResources(p *corev1.Pod) bool {
	if len(p.Status.ContainerStatuses) > 0 || len(p.Status.InitContainerStatuses) > 0 ||
		p.Status.Resize != "" || p.Status.AllocatedResources != nil || p.Status.Resources != nil {
		return false
	}
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodResizePending || p.Status.Conditions[i].Type == corev1.PodResizeInProgress {
			return false
		}
	}
	return true
}

// Update recomputes the derived fields for a new version of the pod.
func (pi *PodInfo) Update(pod *corev1.Pod) {
	pi.Pod = pod
	pi.Requests = podutil.PodRequests(pod)
	pi.NonZero = podutil.NonZeroRequests(pod)
	pi.Priority = 0
	if pod.Spec.Priority != nil {
		pi.Priority = *pod.Spec.Priority
	}
	pi.Ports = PodHostPorts(pod, pi.Ports[:0])
	pi.PodAffinityTerms = noPodAffinityTerms
	if a := pod.Spec.Affinity; a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil) {
		pi.PodAffinityTerms = parseAffinity(pod.Namespace, a)
	}
}

// HasAffinity reports whether the pod has any pod (anti-)affinity term.
func (pi *PodInfo) HasAffinity() bool {
	return len(pi.RequiredAffinityTerms)+len(pi.RequiredAntiAffinityTerms)+
		len(pi.PreferredAffinityTerms)+len(pi.PreferredAntiAffinityTerms) > 0
}

// HostPort is one host port a pod binds.
type HostPort struct {
	IP       string
	Protocol corev1.Protocol
	Port     int32
}

// Conflicts reports whether two host ports cannot coexist on a node: same
// protocol and port, and the same IP or either one on every address.
func (h HostPort) Conflicts(o HostPort) bool {
	if h.Port != o.Port || h.Protocol != o.Protocol {
		return false
	}
	return h.IP == o.IP || h.IP == anyIP || o.IP == anyIP
}

const anyIP = "0.0.0.0"

// PodHostPorts appends the pod's host ports (hostPort > 0) to dst, with
// upstream's defaults: IP 0.0.0.0, protocol TCP. Native sidecars
// (restartable init containers) run for the pod's whole life, so their
// ports count too, ahead of the app containers' as upstream lists them;
// ordinary init containers' ports do not.
func PodHostPorts(pod *corev1.Pod, dst []HostPort) []HostPort {
	for i := range pod.Spec.InitContainers {
		if c := &pod.Spec.InitContainers[i]; podutil.IsRestartableInitContainer(c) {
			dst = appendHostPorts(dst, c.Ports)
		}
	}
	for i := range pod.Spec.Containers {
		dst = appendHostPorts(dst, pod.Spec.Containers[i].Ports)
	}
	return dst
}

func appendHostPorts(dst []HostPort, ports []corev1.ContainerPort) []HostPort {
	for _, p := range ports {
		if p.HostPort <= 0 {
			continue
		}
		hp := HostPort{IP: p.HostIP, Protocol: p.Protocol, Port: p.HostPort}
		if hp.IP == "" {
			hp.IP = anyIP
		}
		if hp.Protocol == "" {
			hp.Protocol = corev1.ProtocolTCP
		}
		dst = append(dst, hp)
	}
	return dst
}

// ImageStateSummary is one container image as the scheduler sees it: its
// size and on how many nodes it is present (shared by every node's entry,
// so ImageLocality can weigh by spread without scanning nodes).
type ImageStateSummary struct {
	Size     int64
	NumNodes int
}

// NodeInfo is the scheduler's cached view of one node: the node object,
// its pods and their summed requests.
type NodeInfo struct {
	// The fields the per-node filter and score loops read come first, so
	// that they share as few cache lines as possible.
	node *corev1.Node
	// name is node's name ("" without a node), kept beside the pointer:
	// Name is asked of the chosen node at every binding and of a pod's
	// node at every write of an assigned pod, and reading it from the
	// node object, a version replaced at every status write and cold,
	// cost a cache miss each (0.26 s at 5,000 nodes).
	name string

	// Index is the node's position in the cache's node list (-1 when the
	// node object is gone but pods still point at it). Plugins use it to
	// keep per-node data in flat slices instead of maps.
	Index int

	// Requested is the sum of the pods' real requests (Pods = pod count).
	Requested podutil.Resources
	// NonZeroRequested sums the pods' NonZero requests (for scoring).
	NonZeroRequested podutil.Resources
	Allocatable      podutil.Resources

	// Unschedulable and Taints mirror the node's spec, copied here so the
	// per-node filter hot path does not chase the (large) node object.
	Unschedulable bool
	Taints        []corev1.Taint

	// domains[k] is the node's topology domain id for key id k (see
	// Topology), -1 where the node lacks the label.
	domains []int32

	// ImageIDs are the interned ids (SharedLister.ImageID) of the keys of
	// NormalizedImages, ascending, so that ImageLocality compares small
	// integers instead of hashing image names. The slice is replaced,
	// never modified in place (clones share it).
	ImageIDs []int32
	// ImageSlot is the node's bit in SharedLister.ImageNodes, meaningful
	// only while ImageIDs is not empty. Unlike Index it does not move when
	// other nodes come and go.
	ImageSlot int32

	// NormalizedImages maps the fully qualified names (images.Normalize:
	// "nginx:1.27" -> "docker.io/library/nginx:1.27") of the images on the
	// node to their summaries, each image once however many spellings the
	// node lists; its summaries count nodes by normalised name. It is the
	// by-name view of ImageIDs, which ImageLocality matches pods against.
	NormalizedImages map[string]*ImageStateSummary

	Pods []*PodInfo
	// PodsWithAffinity and PodsWithRequiredAntiAffinity let InterPodAffinity
	// look only at the pods that matter.
	PodsWithAffinity             []*PodInfo
	PodsWithRequiredAntiAffinity []*PodInfo

	// ImageStates maps an image name present on the node, as the node
	// reports it, to its summary.
	ImageStates map[string]*ImageStateSummary

	// Generation increases on every change.
	Generation int64

	// table is the NodeTable holding the node's row at Index (nil for a
	// node in none, and for clones): every change to a mirrored field
	// rewrites the row (NodeTable).
	table *NodeTable

	// StoreRef is the binder's handle on the node's slot in the store:
	// a binding checks that its node exists, and following the handle
	// spares a lookup of the name among thousands of nodes per binding.
	StoreRef store.Ref
}

// NewNodeInfo returns a NodeInfo for node (which may be nil).
func NewNodeInfo(node *corev1.Node) *NodeInfo {
	ni := &NodeInfo{Index: -1}
	if node != nil {
		ni.SetNode(node)
	}
	return ni
}

// Node is the node object (nil when deleted).
func (n *NodeInfo) Node() *corev1.Node { return n.node }

// Name is the node's name ("" when the node object is gone).
func (n *NodeInfo) Name() string { return n.name }

// SetNode sets the node object and its allocatable.
func (n *NodeInfo) SetNode(node *corev1.Node) {
	n.node, n.name = node, ""
	if node != nil {
		n.name = node.Name
		n.Allocatable = podutil.NodeAllocatable(node)
		n.Unschedulable, n.Taints = node.Spec.Unschedulable, node.Spec.Taints
	} else {
		n.Allocatable = podutil.Resources{}
		n.Unschedulable, n.Taints = false, nil
	}
	n.Generation++
	n.SyncRow()
}

// AddPodInfo accounts pi on the node.
func (n *NodeInfo) AddPodInfo(pi *PodInfo) {
	pi.Node = n
	pi.idx = len(n.Pods)
	n.Pods = append(n.Pods, pi)
	if pi.HasAffinity() {
		pi.affIdx = len(n.PodsWithAffinity)
		n.PodsWithAffinity = append(n.PodsWithAffinity, pi)
	}
	if len(pi.RequiredAntiAffinityTerms) > 0 {
		pi.antiIdx = len(n.PodsWithRequiredAntiAffinity)
		n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, pi)
	}
	n.Requested = n.Requested.Add(pi.Requests)
	n.NonZeroRequested = n.NonZeroRequested.Add(pi.NonZero)
	n.Generation++
	n.SyncRow()
}

// RemovePodInfo removes pi (which must be on this node) from the node.
// Removal swaps the last pod into pi's place, as upstream does.
func (n *NodeInfo) RemovePodInfo(pi *PodInfo) {
	n.Pods = removeAt(n.Pods, &pi.idx, func(p *PodInfo) *int { return &p.idx })
	if pi.affIdx >= 0 {
		n.PodsWithAffinity = removeAt(n.PodsWithAffinity, &pi.affIdx, func(p *PodInfo) *int { return &p.affIdx })
	}
	if pi.antiIdx >= 0 {
		n.PodsWithRequiredAntiAffinity = removeAt(n.PodsWithRequiredAntiAffinity, &pi.antiIdx, func(p *PodInfo) *int { return &p.antiIdx })
	}
	n.Requested = n.Requested.Sub(pi.Requests)
	n.NonZeroRequested = n.NonZeroRequested.Sub(pi.NonZero)
	pi.Node = nil
	n.Generation++
	n.SyncRow()
}

func removeAt(list []*PodInfo, pos *int, posOf func(*PodInfo) *int) []*PodInfo {
	i := *pos
	last := len(list) - 1
	if i < 0 || i > last {
		return list
	}
	if i != last {
		list[i] = list[last]
		*posOf(list[i]) = i
	}
	list[last] = nil
	*pos = -1
	return list[:last]
}

// Clone returns a copy whose pod lists and sums can be changed without
// touching n (preemption's what-if evaluation). PodInfos are shared: use
// RemovePodInfoFromClone on the copy, never RemovePodInfo. The copy is
// in no NodeTable: its changes never reach the original's row.
func (n *NodeInfo) Clone() *NodeInfo {
	c := *n
	c.table = nil
	c.Pods = append([]*PodInfo(nil), n.Pods...)
	c.PodsWithAffinity = append([]*PodInfo(nil), n.PodsWithAffinity...)
	c.PodsWithRequiredAntiAffinity = append([]*PodInfo(nil), n.PodsWithRequiredAntiAffinity...)
	return &c
}

// RemovePodInfoFromClone removes pi from a Clone without touching the
// shared PodInfo's bookkeeping.
func (n *NodeInfo) RemovePodInfoFromClone(pi *PodInfo) {
	n.Pods = removePtr(n.Pods, pi)
	n.PodsWithAffinity = removePtr(n.PodsWithAffinity, pi)
	n.PodsWithRequiredAntiAffinity = removePtr(n.PodsWithRequiredAntiAffinity, pi)
	n.Requested = n.Requested.Sub(pi.Requests)
	n.NonZeroRequested = n.NonZeroRequested.Sub(pi.NonZero)
}

// AddPodInfoToClone adds pi to a Clone without touching the shared
// PodInfo's bookkeeping.
func (n *NodeInfo) AddPodInfoToClone(pi *PodInfo) {
	n.Pods = append(n.Pods, pi)
	if pi.HasAffinity() {
		n.PodsWithAffinity = append(n.PodsWithAffinity, pi)
	}
	if len(pi.RequiredAntiAffinityTerms) > 0 {
		n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, pi)
	}
	n.Requested = n.Requested.Add(pi.Requests)
	n.NonZeroRequested = n.NonZeroRequested.Add(pi.NonZero)
}

func removePtr(list []*PodInfo, pi *PodInfo) []*PodInfo {
	for i, p := range list {
		if p == pi {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// UsedPortsConflict reports whether any of ports is already bound on the
// node.
func (n *NodeInfo) UsedPortsConflict(ports []HostPort) bool {
	for _, p := range n.Pods {
		for _, used := range p.Ports {
			for _, want := range ports {
				if used.Conflicts(want) {
					return true
				}
			}
		}
	}
	return false
}

// HasImage reports whether the node has the normalised image with
// interned id id.
func (n *NodeInfo) HasImage(id int32) bool {
	ids := n.ImageIDs
	if len(ids) <= 16 { // a node holds few images: a scan beats halving
		for _, x := range ids {
			if x >= id {
				return x == id
			}
		}
		return false
	}
	lo, hi := 0, len(ids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ids[m] < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(ids) && ids[lo] == id
}
