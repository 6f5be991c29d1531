package live

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// viewMemo remembers the pod and node views of the last refresh by the
// objects' resourceVersions, so that a refresh rebuilds only what changed:
// at 1,000 nodes a node failure changes a few dozen pods of 30,000, and a
// refresh had cost a request aggregation per pod (most of its time). The
// views it hands out are shared and immutable, like the View itself.
type viewMemo struct {
	cluster *cluster.Cluster // the memo is for one cluster: a rewind starts afresh
	gen     uint64
	pods    map[types.UID]podMemo
	nodes   map[string]nodeMemo
	// rsOwner maps a ReplicaSet's UID to its controller ("Deployment/web"),
	// rebuilt every refresh (ReplicaSets are few).
	rsOwner map[types.UID]string
	// stamps counts the node views built, across clusters (a rewind
	// starts a new memo but never reuses a stamp): NodeView.Stamp.
	stamps uint64
}

type podMemo struct {
	rv  string
	gen uint64
	pv  PodView
	// rs is the owning ReplicaSet's UID, whose own owner is looked up
	// afresh each time (adoption and orphaning change it); rsOwner is
	// "ReplicaSet/NAME", the owner shown when the ReplicaSet has none.
	rs      types.UID
	rsOwner string
}

type nodeMemo struct {
	rv  string
	gen uint64
	nv  NodeView
}

// begin starts a refresh of c's view.
func (m *viewMemo) begin(c *cluster.Cluster) *viewMemo {
	if m.cluster != c || m.pods == nil {
		*m = viewMemo{cluster: c, pods: map[types.UID]podMemo{}, nodes: map[string]nodeMemo{}, stamps: m.stamps}
	}
	m.gen++
	m.rsOwner = make(map[types.UID]string, len(m.rsOwner))
	return m
}

// end forgets the pods and nodes this refresh did not see.
func (m *viewMemo) end() {
	for uid, pm := range m.pods {
		if pm.gen != m.gen {
			delete(m.pods, uid)
		}
	}
	for name, nm := range m.nodes {
		if nm.gen != m.gen {
			delete(m.nodes, name)
		}
	}
}

// lookup returns p's memo, building it if p changed since it was made,
// and whether the memo's view was unchanged.
func (m *viewMemo) lookup(p *corev1.Pod, since func(time.Time) time.Duration) (podMemo, bool) {
	pm, ok := m.pods[p.UID]
	hit := ok && pm.rv == p.ResourceVersion
	if !hit {
		pm = podMemo{rv: p.ResourceVersion, pv: newPodView(p, since)}
		if ref := podutil.ControllerOf(p); ref != nil && ref.Kind == "ReplicaSet" {
			pm.rs, pm.rsOwner = ref.UID, pm.pv.Owner
		}
	}
	if pm.rs != "" {
		owner, ok := m.rsOwner[pm.rs]
		if !ok {
			owner = pm.rsOwner
		}
		if owner != pm.pv.Owner {
			pm.pv.Owner, hit = owner, false
		}
	}
	pm.gen = m.gen
	m.pods[p.UID] = pm
	return pm, hit
}

// pod returns p's view.
func (m *viewMemo) pod(p *corev1.Pod, since func(time.Time) time.Duration) PodView {
	pm, _ := m.lookup(p, since)
	return pm.pv
}

// node returns node's view with its (non-terminal) pods, the last one
// unchanged when neither the node nor any of its pods changed.
func (m *viewMemo) node(node *corev1.Node, zone, group string, pods []store.Object, since func(time.Time) time.Duration) NodeView {
	nm, ok := m.nodes[node.Name]
	same := ok && nm.rv == node.ResourceVersion
	live := pods[:0]
	for _, o := range pods {
		if p := o.(*corev1.Pod); !podutil.IsTerminal(p) {
			live = append(live, o)
		}
	}
	same = same && len(live) == len(nm.nv.Pods)
	for i, o := range live {
		p := o.(*corev1.Pod)
		pm, hit := m.lookup(p, since)
		if same && (!hit || nm.nv.Pods[i].Name != pm.pv.Name || nm.nv.Pods[i].Namespace != pm.pv.Namespace || nm.nv.Pods[i].Owner != pm.pv.Owner) {
			same = false
		}
	}
	if same {
		nm.gen = m.gen
		m.nodes[node.Name] = nm
		return nm.nv
	}
	nv := NodeView{Name: node.Name, Zone: zone, Group: group, InstanceType: node.Labels[corev1.LabelInstanceTypeStable],
		Ready: string(podutil.NodeReady(node)), Unschedulable: node.Spec.Unschedulable, Allocatable: podutil.NodeAllocatable(node)}
	m.stamps++
	nv.Stamp = m.stamps
	for _, t := range node.Spec.Taints {
		nv.Taints = append(nv.Taints, t.ToString())
	}
	nv.Pods = make([]PodView, 0, len(live))
	for _, o := range live {
		pv := m.pods[o.(*corev1.Pod).UID].pv
		nv.Requested = nv.Requested.Add(pv.Requests)
		nv.Pods = append(nv.Pods, pv)
	}
	m.nodes[node.Name] = nodeMemo{rv: node.ResourceVersion, gen: m.gen, nv: nv}
	return nv
}

// newPodView builds p's view (its owner as p's controller; a ReplicaSet's
// controller is put in by lookup).
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
