// Package cache is the scheduler's own view of the cluster: a NodeInfo per
// node with the pods assigned (or just bound) there and their summed
// requests, kept up to date incrementally from watch events, plus the
// indexes plugins need (pods by label, images by node count). It is the
// snapshot plugins read through framework.SharedLister.
package cache

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Cache implements framework.SharedLister.
type Cache struct {
	nodes map[string]*framework.NodeInfo
	tree  nodeTree
	list  []*framework.NodeInfo
	dirty bool

	pods    map[podKey]*cachedPod // assigned pods by namespace and name
	byLabel map[labelKey]*podSet
	byNS    map[string]*podSet
	images  map[string]*framework.ImageStateSummary
	// imageIDs interns normalised (fully qualified) image names to small
	// ids in order of first appearance; imageByID[id] is that image's
	// summary, nil while no node has it.
	imageIDs  map[string]int32
	imageByID []*framework.ImageStateSummary
	// imageNodes[id] is the bitset of ImageSlots holding image id; slots
	// are handed out to nodes holding images, freed ones reused LIFO.
	imageNodes [][]uint64
	freeSlots  []int32
	numSlots   int32
	affinity   int
	anti       int

	// topo interns topology label values; every node's NodeInfo carries
	// its domain ids for the registered keys.
	topo *framework.Topology
	// byIndex[k][i] is list node i's domain id for key k (a copy of
	// NodeInfo.Domain, dense so that a plugin walking many nodes reads
	// one small array instead of every node's own). Rebuilt with the
	// list; a node whose labels change in place is rewritten at once.
	byIndex [][]int32

	// table holds the listed nodes' rows, row i for list[i] (rebuild
	// places them; each NodeInfo keeps its own row current).
	table framework.NodeTable

	// joined is the pod sets the last attached pod joined; drops counts
	// the pod sets dropped (emptied) so far.
	joined joinedSets
	drops  uint64

	// epoch is PodsEpoch: it moves as a pod leaves its sets (detach),
	// a cached pod's deletion state flips, or the list is rebuilt.
	epoch uint64
}

// joinedSets are the pod sets (its namespace's, then one per label) that
// the last attached pod joined. The pods of a template share one labels
// map and are bound one after another, so the next pod with that map
// joins the same sets without a lookup per label. A set stays the one
// for its key until detach drops it, so the memo holds while no set was
// dropped since (Cache.drops).
type joinedSets struct {
	labels map[string]string
	ns     string
	drops  uint64
	sets   []*podSet
}

var _ framework.SharedLister = &Cache{}

type labelKey struct{ ns, key, value string }

// New returns an empty cache.
func New() *Cache {
	return &Cache{
		nodes:    map[string]*framework.NodeInfo{},
		pods:     map[podKey]*cachedPod{},
		byLabel:  map[labelKey]*podSet{},
		byNS:     map[string]*podSet{},
		images:   map[string]*framework.ImageStateSummary{},
		imageIDs: map[string]int32{},
		topo:     framework.NewTopology(),
	}
}

// NodeInfos lists the nodes in zone-interleaved order (see nodeTree).
func (c *Cache) NodeInfos() []*framework.NodeInfo {
	if c.dirty {
		c.rebuild()
	}
	return c.list
}

func (c *Cache) rebuild() {
	c.epoch++ // the nodes' indexes change
	names := c.tree.list()
	c.list = c.list[:0]
	c.table.Reset(len(names))
	for i, name := range names {
		ni := c.nodes[name]
		c.table.Place(ni, i) // ni.Index = i
		c.list = append(c.list, ni)
	}
	c.dirty = false
	c.fillByIndex()
}

// fillByIndex rewrites byIndex for every key and listed node.
func (c *Cache) fillByIndex() {
	for len(c.byIndex) < c.topo.NumKeys() {
		c.byIndex = append(c.byIndex, nil)
	}
	for k := range c.byIndex {
		row := slices.Grow(c.byIndex[k][:0], len(c.list))[:len(c.list)]
		for i, ni := range c.list {
			row[i] = ni.Domain(k)
		}
		c.byIndex[k] = row
	}
}

// DomainsByIndex implements framework.SharedLister.
func (c *Cache) DomainsByIndex(keyID int) []int32 {
	if c.dirty {
		c.rebuild()
	}
	return c.byIndex[keyID]
}

// Table is the listed nodes' rows, row i for NodeInfos()[i] (read-only).
func (c *Cache) Table() *framework.NodeTable {
	if c.dirty {
		c.rebuild()
	}
	return &c.table
}

// Get returns the named node's info, or nil (also for a node whose object
// was deleted while pods still point at it).
func (c *Cache) Get(name string) *framework.NodeInfo {
	ni := c.nodes[name]
	if ni == nil || ni.Node() == nil {
		return nil
	}
	return ni
}

// NumNodes is the number of nodes.
func (c *Cache) NumNodes() int { return c.tree.numNodes }

// NumPods is the number of assigned pods.
func (c *Cache) NumPods() int { return len(c.pods) }

// PodsWithLabel implements framework.SharedLister.
func (c *Cache) PodsWithLabel(ns, key, value string) []*framework.PodInfo {
	if s := c.byLabel[labelKey{ns, key, value}]; s != nil {
		return s.pods
	}
	return nil
}

// PodsInNamespace implements framework.SharedLister.
func (c *Cache) PodsInNamespace(ns string) []*framework.PodInfo {
	if s := c.byNS[ns]; s != nil {
		return s.pods
	}
	return nil
}

// PodsEpoch implements framework.SharedLister. A node removed or added
// since the list was built renumbers the nodes: the list is rebuilt
// first, so that the epoch has moved by then.
func (c *Cache) PodsEpoch() uint64 {
	if c.dirty {
		c.rebuild()
	}
	return c.epoch
}

// NumPodsWithAffinity implements framework.SharedLister.
func (c *Cache) NumPodsWithAffinity() int { return c.affinity }

// NumPodsWithRequiredAntiAffinity implements framework.SharedLister.
func (c *Cache) NumPodsWithRequiredAntiAffinity() int { return c.anti }

// TopologyKeyID implements framework.SharedLister. A key seen for the
// first time is filled in on every node, in list order (so domain ids are
// deterministic).
func (c *Cache) TopologyKeyID(key string) int {
	id, known := c.topo.KeyID(key)
	if !known {
		for _, ni := range c.NodeInfos() {
			c.topo.FillDomains(ni, ni.Node())
		}
		c.fillByIndex()
	}
	return id
}

// NumTopologyDomains implements framework.SharedLister.
func (c *Cache) NumTopologyDomains(keyID int) int { return c.topo.NumDomains(keyID) }

// NumLiveTopologyDomains implements framework.SharedLister: the listed
// nodes are exactly those whose domains are filled (RemoveNode empties a
// removed node's).
func (c *Cache) NumLiveTopologyDomains(keyID int) int { return c.topo.NumLiveDomains(keyID) }

// PodInfo returns the cached assigned pod, or nil.
func (c *Cache) PodInfo(ns, name string) *framework.PodInfo {
	if cp := c.pods[podKey{ns, name}]; cp != nil {
		return cp.pi
	}
	return nil
}

// cachedPod is an assigned pod's PodInfo and its places in the cache's
// pod sets (its namespace's and one per label), so that removing it from
// them needs no lookup.
type cachedPod struct {
	pi    *framework.PodInfo
	slots []setSlot
	// buf holds slots for a pod with up to two labels (the common case)
	// without an allocation of their own.
	buf [3]setSlot
}

// setSlot: the pod is set.pods[pos].
type setSlot struct {
	set *podSet
	pos int
}

// podKey is a pod's namespace and name: a map key built without
// allocating, where "namespace/name" is a new string per lookup.
type podKey struct{ namespace, name string }

func keyOf(pod *corev1.Pod) podKey { return podKey{pod.Namespace, pod.Name} }

// AddNode adds (or refreshes) a node.
func (c *Cache) AddNode(node *corev1.Node) {
	ni, ok := c.nodes[node.Name]
	if !ok {
		ni = framework.NewNodeInfo(nil)
		c.nodes[node.Name] = ni
	}
	if ni.Node() != nil {
		c.UpdateNode(ni.Node(), node)
		return
	}
	ni.SetNode(node)
	c.topo.FillDomains(ni, node)
	c.tree.add(node)
	c.setImages(ni, nil, node)
	c.dirty = true
}

// UpdateNode replaces a node's object.
func (c *Cache) UpdateNode(old, node *corev1.Node) {
	ni, ok := c.nodes[node.Name]
	if !ok || ni.Node() == nil {
		c.AddNode(node)
		return
	}
	prev := ni.Node()
	ni.SetNode(node)
	// A status write (every node's, every 10 s) keeps the labels map:
	// the domains and the zone, which come from the labels, stay.
	relabelled := !sameLabels(prev.Labels, node.Labels)
	if relabelled || !c.topo.Filled(ni) {
		c.refillDomains(ni, node)
	}
	if relabelled && zoneKey(prev) != zoneKey(node) {
		c.tree.remove(prev)
		c.tree.add(node)
		c.dirty = true
	}
	if !sameImages(prev.Status.Images, node.Status.Images) {
		c.setImages(ni, prev, node)
	}
}

// refillDomains fills ni's domains from node again, and its column of
// byIndex when it is listed.
func (c *Cache) refillDomains(ni *framework.NodeInfo, node *corev1.Node) {
	c.topo.FillDomains(ni, node)
	if !c.dirty && ni.Index >= 0 && ni.Index < len(c.list) && c.list[ni.Index] == ni {
		for k, row := range c.byIndex {
			row[ni.Index] = ni.Domain(k)
		}
	}
}

// RemoveNode drops a node. Its pods stay accounted until they are deleted
// (the garbage collector does that), on a NodeInfo outside the list.
func (c *Cache) RemoveNode(node *corev1.Node) {
	ni, ok := c.nodes[node.Name]
	if !ok || ni.Node() == nil {
		return
	}
	c.setImages(ni, ni.Node(), nil)
	c.tree.remove(ni.Node())
	ni.SetNode(nil)
	c.topo.FillDomains(ni, nil)
	ni.Unplace() // Index -1
	if len(ni.Pods) == 0 {
		delete(c.nodes, node.Name)
	}
	c.dirty = true
}

// AddPod accounts an assigned pod (a bound pod seen on the watch or just
// bound by the scheduler). Pods that are not assigned or have finished are
// ignored; a pod already cached is updated.
func (c *Cache) AddPod(pod *corev1.Pod) {
	key := keyOf(pod)
	if cp, ok := c.pods[key]; ok {
		c.updatePodInfo(cp, pod)
		return
	}
	if !counts(pod) {
		return
	}
	cp := &cachedPod{pi: framework.NewPodInfo(pod)}
	c.pods[key] = cp
	c.attach(cp, pod.Spec.NodeName)
}

// AddPodInfo is AddPod for a pod whose PodInfo the caller derived
// already (pi.Pod is the pod, on no node): the autoscalers' what-if
// placements put back or move pods they know without deriving their
// requests and affinity again.
func (c *Cache) AddPodInfo(pi *framework.PodInfo) { c.AddPodInfoOn(pi, nil) }

// AddPodInfoOn is AddPodInfo where ni, when not nil, is the NodeInfo
// that the pod was bound to (the scheduler's choice): when it is this
// cache's own, at its place in the node list, the node is not looked up
// by name (a map probe among thousands of nodes per binding). Any other
// NodeInfo (a Clone, one of a node since removed) only names the node.
func (c *Cache) AddPodInfoOn(pi *framework.PodInfo, ni *framework.NodeInfo) {
	pod := pi.Pod
	key := keyOf(pod)
	if _, ok := c.pods[key]; ok || !counts(pod) {
		c.AddPod(pod)
		return
	}
	cp := &cachedPod{pi: pi}
	c.pods[key] = cp
	if !c.listed(ni) || ni.Name() != pod.Spec.NodeName {
		ni = c.nodeInfoOf(pod.Spec.NodeName)
	}
	c.attachTo(cp, ni)
}

// listed reports whether ni is this cache's NodeInfo at its place in an
// up-to-date node list.
func (c *Cache) listed(ni *framework.NodeInfo) bool {
	return ni != nil && !c.dirty && ni.Index >= 0 && ni.Index < len(c.list) && c.list[ni.Index] == ni
}

// UpdatePod applies a new version of a pod.
func (c *Cache) UpdatePod(pod *corev1.Pod) {
	c.AddPod(pod)
}

// UpdateAssignedPod is UpdatePod for the watch of assigned pods; it
// reports whether the pod was accounted before, with the one lookup that
// finds it.
func (c *Cache) UpdateAssignedPod(pod *corev1.Pod) (wasCounted bool) {
	if cp, ok := c.pods[keyOf(pod)]; ok {
		c.updatePodInfo(cp, pod)
		return true
	}
	c.AddPod(pod)
	return false
}

// RemovePod forgets a pod (deleted). A pod with another UID under the same
// name (already recreated) is left alone.
func (c *Cache) RemovePod(pod *corev1.Pod) bool {
	key := keyOf(pod)
	cp, ok := c.pods[key]
	if !ok || (pod.UID != "" && cp.pi.Pod.UID != pod.UID) {
		return false
	}
	c.detach(cp)
	delete(c.pods, key)
	return true
}

// counts reports whether an assigned pod occupies its node: finished pods
// no longer do.
func counts(pod *corev1.Pod) bool {
	return pod.Spec.NodeName != "" && pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed
}

func (c *Cache) updatePodInfo(cp *cachedPod, pod *corev1.Pod) {
	pi := cp.pi
	if pi.Pod == pod {
		return
	}
	if !counts(pod) || pod.UID != pi.Pod.UID {
		c.detach(cp)
		delete(c.pods, keyOf(pod))
		c.AddPod(pod)
		return
	}
	// Common case (status updates): same node, same labels and requests;
	// only swap the object.
	if pi.Node != nil && pi.Node.Name() == pod.Spec.NodeName && sameLabels(pi.Pod.Labels, pod.Labels) && sameResources(pi.Pod, pod) {
		if (pi.Pod.DeletionTimestamp == nil) != (pod.DeletionTimestamp == nil) {
			c.epoch++
		}
		pi.Pod = pod
		return
	}
	c.detach(cp)
	pi.Update(pod)
	c.attach(cp, pod.Spec.NodeName)
}

func (c *Cache) attach(cp *cachedPod, nodeName string) {
	c.attachTo(cp, c.nodeInfoOf(nodeName))
}

// nodeInfoOf is the NodeInfo of the named node, made (without a node
// object) for a node the cache does not know yet.
func (c *Cache) nodeInfoOf(nodeName string) *framework.NodeInfo {
	ni, ok := c.nodes[nodeName]
	if !ok {
		ni = framework.NewNodeInfo(nil)
		c.nodes[nodeName] = ni
	}
	return ni
}

// attachTo accounts cp's pod on ni, the NodeInfo of its node, and in its
// pod sets.
func (c *Cache) attachTo(cp *cachedPod, ni *framework.NodeInfo) {
	pi := cp.pi
	ni.AddPodInfo(pi)
	if cp.slots == nil {
		cp.slots = cp.buf[:0]
	}
	for _, s := range c.setsOf(pi.Pod) {
		s.add(cp)
	}
	if pi.HasAffinity() {
		c.affinity++
	}
	if len(pi.RequiredAntiAffinityTerms) > 0 {
		c.anti++
	}
}

func (c *Cache) detach(cp *cachedPod) {
	c.epoch++ // the pod leaves its sets
	pi := cp.pi
	pod := pi.Pod
	if ni := pi.Node; ni != nil {
		name := pod.Spec.NodeName
		ni.RemovePodInfo(pi)
		if ni.Node() == nil && len(ni.Pods) == 0 && c.nodes[name] == ni {
			delete(c.nodes, name)
		}
	}
	// Each set loses one pod, so the order of the sets does not matter.
	for _, sl := range cp.slots {
		s := sl.set
		s.removeAt(sl.pos)
		if len(s.pods) == 0 {
			if s.byLabel {
				delete(c.byLabel, s.label)
			} else {
				delete(c.byNS, s.label.ns)
			}
			c.drops++
		}
	}
	clear(cp.slots)
	cp.slots = cp.slots[:0]
	if pi.HasAffinity() {
		c.affinity--
	}
	if len(pi.RequiredAntiAffinityTerms) > 0 {
		c.anti--
	}
}

// setsOf returns the pod sets pod belongs in: its namespace's, then one
// per label (set membership: their order does not matter). The result
// is valid until the next call.
func (c *Cache) setsOf(pod *corev1.Pod) []*podSet {
	j := &c.joined
	if j.sets != nil && j.drops == c.drops && j.ns == pod.Namespace && oneMap(j.labels, pod.Labels) {
		return j.sets
	}
	sets := append(j.sets[:0], c.nsSet(pod.Namespace))
	for k, v := range pod.Labels {
		sets = append(sets, c.labelSet(labelKey{pod.Namespace, k, v}))
	}
	*j = joinedSets{labels: pod.Labels, ns: pod.Namespace, drops: c.drops, sets: sets}
	return sets
}

// oneMap reports whether a and b are one map, or both empty: then they
// hold the same labels, without comparing them.
func oneMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || podutil.SameMap(a, b)
}

func (c *Cache) nsSet(ns string) *podSet {
	s := c.byNS[ns]
	if s == nil {
		s = &podSet{label: labelKey{ns: ns}}
		c.byNS[ns] = s
	}
	return s
}

func (c *Cache) labelSet(k labelKey) *podSet {
	s := c.byLabel[k]
	if s == nil {
		s = &podSet{label: k, byLabel: true}
		c.byLabel[k] = s
	}
	return s
}

// sameResources compares what PodInfo derives from the spec (requests of
// every container, sidecars' restart policy, overhead, pod-level
// resources, priority). Pod specs are immutable apart from in-place
// resize, so this almost always holds.
func sameResources(a, b *corev1.Pod) bool {
	if !sameContainerRequests(a.Spec.Containers, b.Spec.Containers) ||
		!sameContainerRequests(a.Spec.InitContainers, b.Spec.InitContainers) {
		return false
	}
	if (a.Spec.Overhead != nil || b.Spec.Overhead != nil) && !apiequality.Semantic.DeepEqual(a.Spec.Overhead, b.Spec.Overhead) {
		return false
	}
	if (a.Spec.Resources != nil || b.Spec.Resources != nil) && !apiequality.Semantic.DeepEqual(a.Spec.Resources, b.Spec.Resources) {
		return false
	}
	return (a.Spec.Priority == nil) == (b.Spec.Priority == nil) && (a.Spec.Priority == nil || *a.Spec.Priority == *b.Spec.Priority)
}

func sameContainerRequests(a, b []corev1.Container) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		// One array: a status write copies the pod shallowly and
		// stored objects are never written in place.
		return true
	}
	for i := range a {
		ra, rb := a[i].Resources.Requests, b[i].Resources.Requests
		if !ra.Cpu().Equal(*rb.Cpu()) || !ra.Memory().Equal(*rb.Memory()) ||
			podutil.IsRestartableInitContainer(&a[i]) != podutil.IsRestartableInitContainer(&b[i]) {
			return false
		}
	}
	return true
}

// sameLabels is maps.Equal, answered at once when both are one map (a
// status write keeps the pod's labels map; stored maps are never written
// in place).
func sameLabels(a, b map[string]string) bool {
	return oneMap(a, b) || maps.Equal(a, b)
}

// podSet is an unordered set of pods with O(1) add and remove: each
// member's cachedPod records its position (no map of positions, which
// cost a hash insert per pod and label).
type podSet struct {
	pods   []*framework.PodInfo
	owners []*cachedPod // owners[i].pi == pods[i]
	// label is the set's key in Cache.byLabel, or (byLabel false) its
	// namespace's in Cache.byNS.
	label   labelKey
	byLabel bool
}

// add appends cp (not a member: attach adds a pod to each set once, and
// detach takes it out of all of them) and records its position.
func (s *podSet) add(cp *cachedPod) {
	cp.slots = append(cp.slots, setSlot{set: s, pos: len(s.pods)})
	s.pods = append(s.pods, cp.pi)
	s.owners = append(s.owners, cp)
}

// removeAt removes the member at i, moving the last one into its place.
func (s *podSet) removeAt(i int) {
	last := len(s.pods) - 1
	if i != last {
		moved := s.owners[last]
		s.pods[i], s.owners[i] = s.pods[last], moved
		for j := range moved.slots {
			if moved.slots[j].set == s {
				moved.slots[j].pos = i
				break
			}
		}
	}
	s.pods[last], s.owners[last] = nil, nil
	s.pods, s.owners = s.pods[:last], s.owners[:last]
}
