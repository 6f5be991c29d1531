package live

import (
	"cmp"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// viewMemo keeps the last refresh's view of the pods and nodes up to date
// from the store's watch events, so that a refresh costs what changed
// since the last one, not the cluster's size: at 1,000 nodes a node
// failure changes a few dozen pods of 30,000, and a refresh that walked
// every pod (to count phases, list the pending ones and look each up)
// cost ~70 ms however little moved. Watches of pods, nodes and
// ReplicaSets (latency zero: called as the store changes, under the
// session's lock, adding no event to the simulation) mark what is dirty;
// a refresh rebuilds the dirty pods' views, the nodes they left or joined
// and the pending list when it moved, and keeps the rest. The views it
// hands out are shared and immutable, like the View itself.
type viewMemo struct {
	cluster *cluster.Cluster // the memo is for one cluster: a rewind starts afresh
	stop    []func()         // ends the watches on cluster
	dirty   *dirtySet        // filled by the watches between refreshes
	pods    map[types.UID]*podMemo
	nodes   map[string]nodeMemo
	gen     uint64
	// rsOwner maps a ReplicaSet's UID to its controller ("Deployment/web"),
	// for the ReplicaSets that have one.
	rsOwner map[types.UID]string
	// pending are the unscheduled pods oldest first (then by key), kept
	// in order as they come and go, so that a refresh copies them rather
	// than sorting thousands; pendingView is them as the view lists them,
	// rebuilt when one came, went or changed.
	pending      []*podMemo
	pendingView  []PodView
	pendingMoved bool
	// phases counts the pods by the header's columns.
	phases Counts
	// workloads is the last list of workloads, kept while no Deployment,
	// DaemonSet, StatefulSet or ReplicationController changed
	// (workloadRevs).
	workloads    []WorkloadView
	workloadRevs [4]int64
	workloadsOK  bool
	// events is the last view's events, kept while the timeline did not
	// grow (its entries never change once written).
	events    []EventView
	eventsLen int
	// stamps counts the node views built, across clusters (a rewind
	// starts a new memo but never reuses a stamp): NodeView.Stamp.
	stamps uint64
}

// dirtySet is what changed since the last refresh, as the watches saw it.
type dirtySet struct {
	pods  map[types.UID]*corev1.Pod // the latest version; nil: deleted
	nodes map[string]bool
	rs    map[types.UID]*appsv1.ReplicaSet // the latest version; nil: deleted
}

func newDirtySet() *dirtySet {
	return &dirtySet{pods: map[types.UID]*corev1.Pod{}, nodes: map[string]bool{}, rs: map[types.UID]*appsv1.ReplicaSet{}}
}

type podMemo struct {
	rv  string
	key string // the store's key, namespace/name: the pending list's tie-break
	pv  PodView
	// rs is the owning ReplicaSet's UID, whose own owner is rsOwner's
	// (adoption and orphaning change it); rsDefault is "ReplicaSet/NAME",
	// the owner shown when the ReplicaSet has none.
	rs        types.UID
	rsDefault string
	phase     corev1.PodPhase
	pending   bool
}

type nodeMemo struct {
	gen         uint64
	zone, group string
	nv          NodeView
}

// forget ends the memo's watches and drops everything it knows but the
// stamps: the next refresh starts from nothing.
func (m *viewMemo) forget() {
	for _, stop := range m.stop {
		stop()
	}
	*m = viewMemo{stamps: m.stamps}
}

// begin starts a refresh of c's view: from nothing for a new cluster
// (every pod and ReplicaSet dirty), else from what changed.
func (m *viewMemo) begin(c *cluster.Cluster) *viewMemo {
	if m.cluster != c || m.pods == nil {
		m.forget()
		m.cluster, m.dirty = c, newDirtySet()
		m.pods, m.nodes, m.pending = map[types.UID]*podMemo{}, map[string]nodeMemo{}, nil
		m.rsOwner = map[types.UID]string{}
		m.pendingMoved = true
		d, st := m.dirty, c.Store
		m.stop = []func(){
			st.Watch("Pod", 0, latest(d.pods)),
			st.Watch("Node", 0, func(ev store.Event) { d.nodes[ev.Object.GetName()] = true }),
			st.Watch("ReplicaSet", 0, latest(d.rs)),
		}
		for _, o := range st.List("ReplicaSet", "") {
			d.rs[o.GetUID()] = o.(*appsv1.ReplicaSet)
		}
		for _, o := range st.List("Pod", "") {
			d.pods[o.GetUID()] = o.(*corev1.Pod)
		}
	}
	m.gen++
	return m
}

// latest is a watch handler keeping the latest version of each object
// by UID in into (nil once deleted).
func latest[T store.Object](into map[types.UID]T) store.Handler {
	return func(ev store.Event) {
		o := ev.Object.(T)
		if ev.Type == store.Deleted {
			var deleted T
			into[o.GetUID()] = deleted
		} else {
			into[o.GetUID()] = o
		}
	}
}

// update applies what changed since the last refresh to the pods' views,
// the phase counts and the pending set, and marks the nodes whose pods
// changed.
func (m *viewMemo) update(st *store.Store, since func(time.Time) time.Duration) {
	d := m.dirty
	for uid, rs := range d.rs {
		owner := ""
		if rs != nil {
			if ref := podutil.ControllerOf(rs); ref != nil {
				owner = ref.Kind + "/" + ref.Name
			}
		}
		if owner == m.rsOwner[uid] {
			continue
		}
		if owner == "" {
			delete(m.rsOwner, uid)
		} else {
			m.rsOwner[uid] = owner
		}
		for _, o := range st.ByIndex("Pod", store.OwnerIndex, string(uid)) {
			if _, ok := d.pods[o.GetUID()]; !ok {
				d.pods[o.GetUID()] = o.(*corev1.Pod)
			}
		}
	}
	clear(d.rs)
	for uid, p := range d.pods {
		old := m.pods[uid]
		if old != nil {
			m.remove(uid, old)
		}
		if p == nil {
			continue
		}
		pm := &podMemo{rv: p.ResourceVersion, phase: p.Status.Phase, pending: p.Spec.NodeName == "" && p.DeletionTimestamp == nil}
		if old != nil && old.rv == p.ResourceVersion {
			pm.key, pm.pv, pm.rs, pm.rsDefault = old.key, old.pv, old.rs, old.rsDefault
		} else {
			pm.key, pm.pv = store.KeyOf(p), newPodView(p, since)
			if ref := podutil.ControllerOf(p); ref != nil && ref.Kind == "ReplicaSet" {
				pm.rs, pm.rsDefault = ref.UID, pm.pv.Owner
			}
		}
		if pm.rs != "" {
			pm.pv.Owner = cmp.Or(m.rsOwner[pm.rs], pm.rsDefault)
		}
		m.add(uid, pm)
	}
	clear(d.pods)
}

// add counts a pod's memo in.
func (m *viewMemo) add(uid types.UID, pm *podMemo) {
	m.pods[uid] = pm
	m.count(pm.phase, +1)
	if pm.pending {
		i, _ := slices.BinarySearchFunc(m.pending, pm, pendingOrder)
		m.pending, m.pendingMoved = slices.Insert(m.pending, i, pm), true
	}
	if pm.pv.Node != "" {
		m.dirty.nodes[pm.pv.Node] = true
	}
}

// remove counts a pod's memo out.
func (m *viewMemo) remove(uid types.UID, pm *podMemo) {
	delete(m.pods, uid)
	m.count(pm.phase, -1)
	if pm.pending {
		if i, ok := slices.BinarySearchFunc(m.pending, pm, pendingOrder); ok {
			m.pending = slices.Delete(m.pending, i, i+1)
		}
		m.pendingMoved = true
	}
	if pm.pv.Node != "" {
		m.dirty.nodes[pm.pv.Node] = true
	}
}

func (m *viewMemo) count(phase corev1.PodPhase, n int) {
	c := &m.phases
	c.Pods += n
	switch phase {
	case corev1.PodRunning:
		c.Running += n
	case corev1.PodSucceeded:
		c.Succeeded += n
	case corev1.PodFailed:
		c.Failed += n
	default:
		c.Pending += n
	}
}

// pendingPods is the pending pods oldest first (by name when created at
// the same time), the last list while none came, went or changed.
func (m *viewMemo) pendingPods() []PodView {
	if !m.pendingMoved {
		return m.pendingView
	}
	m.pendingView = nil
	if len(m.pending) > 0 {
		m.pendingView = make([]PodView, len(m.pending))
		for i, pm := range m.pending {
			m.pendingView[i] = pm.pv
		}
	}
	m.pendingMoved = false
	return m.pendingView
}

// pendingOrder is the pending list's order: oldest first, then by key
// (namespace/name, unique among the pods).
func pendingOrder(a, b *podMemo) int {
	return cmp.Or(cmp.Compare(a.pv.Created, b.pv.Created), cmp.Compare(a.key, b.key))
}

// end forgets the nodes this refresh did not see and what was dirty.
func (m *viewMemo) end() {
	for name, nm := range m.nodes {
		if nm.gen != m.gen {
			delete(m.nodes, name)
		}
	}
	clear(m.dirty.nodes)
}

// node returns node's view with its (non-terminal) pods: the last one
// when neither the node nor any of its pods changed since.
func (m *viewMemo) node(st *store.Store, n *cluster.Node, since func(time.Time) time.Duration) (NodeView, bool) {
	nm, ok := m.nodes[n.Name]
	if ok && !m.dirty.nodes[n.Name] && nm.zone == n.Zone && nm.group == n.Group {
		nm.gen = m.gen
		m.nodes[n.Name] = nm
		return nm.nv, true
	}
	o, ok := st.Get("Node", "", n.Name)
	if !ok {
		return NodeView{}, false
	}
	node := o.(*corev1.Node)
	nv := NodeView{Name: node.Name, Zone: n.Zone, Group: n.Group, InstanceType: node.Labels[corev1.LabelInstanceTypeStable],
		Ready: string(podutil.NodeReady(node)), Unschedulable: node.Spec.Unschedulable, Allocatable: podutil.NodeAllocatable(node)}
	m.stamps++
	nv.Stamp = m.stamps
	for _, t := range node.Spec.Taints {
		nv.Taints = append(nv.Taints, t.ToString())
	}
	pods := st.ByIndex("Pod", store.NodeNameIndex, n.Name)
	nv.Pods = make([]PodView, 0, len(pods))
	for _, o := range pods {
		p := o.(*corev1.Pod)
		if podutil.IsTerminal(p) {
			continue
		}
		pv := newPodViewOf(m.pods[p.UID], p, since)
		nv.Requested = nv.Requested.Add(pv.Requests)
		nv.Pods = append(nv.Pods, pv)
	}
	m.nodes[n.Name] = nodeMemo{gen: m.gen, zone: n.Zone, group: n.Group, nv: nv}
	return nv, true
}

// newPodViewOf is pm's view, or p's built afresh if the memo has none
// (it cannot happen: the watch sees every pod).
func newPodViewOf(pm *podMemo, p *corev1.Pod, since func(time.Time) time.Duration) PodView {
	if pm == nil {
		return newPodView(p, since)
	}
	return pm.pv
}

// newPodView builds p's view (its owner as p's controller; a ReplicaSet's
// controller is put in by update).
func newPodView(p *corev1.Pod, since func(time.Time) time.Duration) PodView {
	line := podutil.LineOf(p)
	pv := PodView{Namespace: p.Namespace, Name: p.Name, Node: p.Spec.NodeName, State: line.Status,
		Ready: podutil.IsReady(p), Restarts: int32(line.Restarts), Requests: podutil.PodRequests(p),
		Created: since(p.CreationTimestamp.Time)}
	if ref := podutil.ControllerOf(p); ref != nil {
		pv.Owner = ref.Kind + "/" + ref.Name
	}
	pv.Containers, pv.ContainersReady, pv.Labels = line.Total, line.Ready, p.Labels
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse {
			pv.Reason = cond.Message
		}
	}
	return pv
}
