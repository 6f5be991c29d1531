package nodelifecycle

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// Reasons and messages the controller writes into node conditions.
const (
	ReasonNodeStatusUnknown      = "NodeStatusUnknown"
	MessageNodeStatusUnknown     = "Kubelet stopped posting node status."
	ReasonNodeStatusNeverUpdated = "NodeStatusNeverUpdated"
	MessageNodeStatusNeverUpd    = "Kubelet never posted node status."
)

// NodeLeaseNamespace holds the nodes' heartbeat Leases.
const NodeLeaseNamespace = corev1.NamespaceNodeLease

// labelExcludeDisruption excludes a node from zone disruption counting.
const labelExcludeDisruption = "node.kubernetes.io/exclude-disruption"

// unknownConditions are the conditions a silent node gets set to Unknown
// (NetworkUnavailable is left alone: the network plugin owns it).
var unknownConditions = []corev1.NodeConditionType{
	corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure,
}

// nodeHealth is what the controller remembers of a node between passes:
// when it last saw a heartbeat (probe), measured on the controller's own
// clock like upstream, to be immune to node clock skew.
//
// What a quiet visit reads (probe, leaseRenew, hasLease, lease) comes
// first: with the fields of nodeState before it, a pass reads two cache
// lines of each node's state, cold in memory, not four; the condition,
// read only by full visits, is last.
type nodeHealth struct {
	probe           time.Duration
	readyTransition time.Duration
	leaseRenew      metav1.MicroTime
	hasLease        bool
	hasCond         bool
	// lease is the version of the Lease leaseRenew was last compared
	// with: while the store holds that same (immutable) version the renew
	// time cannot have moved, and the comparison is skipped.
	lease store.LeaseVersion
	cond  corev1.NodeCondition // last observed Ready condition
}

// nodeState is everything the controller keeps about one known node, so
// that a monitor pass finds it with one lookup by name.
//
// Its fields are ordered for a pass over thousands of nodes: what every
// pass reads of every node (followNodes, classifyNodes, quietVisit)
// comes first, and health's first fields; see nodeHealth.
type nodeState struct {
	// node is the version of the node the last pass listed, and zone,
	// excluded and ready are facts of that version: store objects are
	// immutable, so they are recomputed only when the store holds a new
	// version (observe), never read from the node's maps on every pass.
	node *corev1.Node
	// name is the node's name (a node's name never changes): a pass
	// passes it to the store without reading the node object, cold in
	// memory.
	name string
	// quiet is the version of the node that the last full visit found
	// Ready before and after, without a NoExecute taint and within its
	// grace period (nil otherwise): while the store holds that version,
	// a pass needs only quietVisit (see there).
	quiet *corev1.Node
	// nodeRef is the handle on the node itself, which a pass reads
	// through while the store's node names stay the same (followNodes).
	nodeRef store.Ref
	// leaseRef is the handle on the node's Lease in the store: every
	// pass reads every node's Lease, and follows it there rather than
	// looking its name up (store.Ref).
	leaseRef store.Ref
	excluded bool   // node has labelExcludeDisruption
	tracked  bool   // health holds something (upstream: the node is in nodeHealthMap)
	retry    bool   // marking its pods not ready failed: try again next pass
	zone     string // ZoneKey(node)
	// zoneSeen is the controller's zonesGone plus one when a pass last
	// found the zone in its states (0: not since the zone was computed):
	// a zone stays there until one is dropped, so while zonesGone is the
	// same a pass need not look the zone up again (a map lookup of every
	// node in every 5 s pass, hashing its zone key).
	zoneSeen uint64

	health nodeHealth
	ready  *corev1.NodeCondition // readyCondition(node)
}

// observe brings the state's node facts up to version n.
func (st *nodeState) observe(n *corev1.Node) {
	if st.node == n {
		return
	}
	st.node, st.name = n, n.Name
	st.zone, st.zoneSeen = ZoneKey(n), 0
	_, st.excluded = n.Labels[labelExcludeDisruption]
	st.ready = readyCondition(n)
}

func readyCondition(n *corev1.Node) *corev1.NodeCondition {
	return condition(&n.Status, corev1.NodeReady)
}

func condition(st *corev1.NodeStatus, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

// tryUpdateNodeHealth is upstream's function of the same name: it
// refreshes the node's probe time from new heartbeats and, past the grace
// period, writes Unknown conditions. It returns the Ready condition as
// observed before this pass and as it is now (nil if never posted).
//
// st must be the state of n, brought up to this version (observe); the
// health is updated in place.
func (c *Controller) tryUpdateNodeHealth(n *corev1.Node, st *nodeState) (observed corev1.NodeCondition, current *corev1.NodeCondition, err error) {
	now := c.Engine.Elapsed()
	h := &st.health
	current = st.ready
	grace := c.cfg.MonitorGracePeriod
	if current == nil {
		observed = corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionUnknown,
			LastHeartbeatTime: n.CreationTimestamp, LastTransitionTime: n.CreationTimestamp}
		grace = c.cfg.StartupGracePeriod
		if !st.tracked {
			created := n.CreationTimestamp.Sub(c.Engine.Start())
			*h = nodeHealth{probe: created, readyTransition: created}
			st.tracked = true
		}
		h.hasCond = false
	} else {
		observed = *current
	}
	switch {
	case !st.tracked || (!h.hasCond && current != nil):
		*h = nodeHealth{probe: now, readyTransition: now}
		st.tracked = true
	case h.hasCond && current != nil && !h.cond.LastHeartbeatTime.Equal(&current.LastHeartbeatTime):
		transition := h.readyTransition
		if !h.cond.LastTransitionTime.Equal(&current.LastTransitionTime) {
			transition = now
		}
		*h = nodeHealth{probe: now, readyTransition: transition}
	}
	if current != nil {
		h.cond, h.hasCond = *current, true
	}
	c.observeLease(st.name, &st.leaseRef, h, now)
	if now < h.probe+grace || !needsUnknown(n) {
		return observed, current, nil
	}
	return c.markUnknown(n, h, observed, now)
}

// observeLease moves the probe time forward when the node's Lease was
// renewed since the last pass (the cheap heartbeat kubelets send every
// 10 s). ref is the node's handle on its Lease in the store.
func (c *Controller) observeLease(name string, ref *store.Ref, h *nodeHealth, now time.Duration) {
	// The version and renewTime, read without making a renewed Lease
	// whole (store.LeaseRenewal): the pass reads every node's Lease.
	v, renew, ok := c.Store.LeaseRenewal(ref, NodeLeaseNamespace, name)
	if !ok {
		return
	}
	if h.hasLease && v == h.lease {
		return
	}
	h.lease = v
	if h.hasLease && !(renew != nil && h.leaseRenew.Before(renew)) {
		return
	}
	h.hasLease = true
	if renew != nil {
		h.leaseRenew = *renew
	}
	h.probe = now
}

// The monitor compares with >= rather than upstream's strict After:
// upstream's loop period slides by the pass's own run time, so a node
// silent for exactly the grace period is caught on that pass; with exact
// virtual periods a strict comparison would add a whole period.

// needsUnknown reports whether any monitored condition is missing or not
// yet Unknown, so healthy-but-already-Unknown nodes cost no copy.
func needsUnknown(n *corev1.Node) bool {
	for _, t := range unknownConditions {
		cond := condition(&n.Status, t)
		if cond == nil || cond.Status != corev1.ConditionUnknown {
			return true
		}
	}
	return false
}

func (c *Controller) markUnknown(n *corev1.Node, h *nodeHealth, observed corev1.NodeCondition, now time.Duration) (corev1.NodeCondition, *corev1.NodeCondition, error) {
	ts := metav1.NewTime(c.Engine.Now())
	cp := n.DeepCopy()
	for _, t := range unknownConditions {
		cond := condition(&cp.Status, t)
		switch {
		case cond == nil:
			cp.Status.Conditions = append(cp.Status.Conditions, corev1.NodeCondition{
				Type: t, Status: corev1.ConditionUnknown,
				Reason: ReasonNodeStatusNeverUpdated, Message: MessageNodeStatusNeverUpd,
				LastHeartbeatTime: n.CreationTimestamp, LastTransitionTime: ts,
			})
		case cond.Status != corev1.ConditionUnknown:
			cond.Status = corev1.ConditionUnknown
			cond.Reason, cond.Message = ReasonNodeStatusUnknown, MessageNodeStatusUnknown
			cond.LastTransitionTime = ts
		}
	}
	current := readyCondition(cp)
	if equality.Semantic.DeepEqual(current, &observed) {
		return observed, current, nil
	}
	if _, err := c.Client.UpdateStatus(cp); err != nil {
		return observed, readyCondition(n), err
	}
	*h = nodeHealth{probe: h.probe, readyTransition: now, cond: *current, hasCond: true,
		leaseRenew: h.leaseRenew, hasLease: h.hasLease, lease: h.lease}
	return observed, current, nil
}
