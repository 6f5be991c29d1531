// Package nodelifecycle models kube-controller-manager's node lifecycle
// controller (pkg/controller/nodelifecycle): every node-monitor-period it
// checks each node's heartbeats (the Ready condition's lastHeartbeatTime
// and the node's Lease in kube-node-lease), marks silent nodes Unknown,
// marks their pods not ready, and taints not-ready and unreachable nodes.
// NoExecute taints are added through per-zone rate-limited queues whose
// rate follows the zone's health (Normal / PartialDisruption /
// FullDisruption), exactly the knobs upstream exposes; the pods are then
// evicted by the taint eviction controller (package tainteviction).
package nodelifecycle

import (
	"cmp"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/workqueue"
)

// EventComponent is the source component of the controller's events
// (upstream's recorder is named "node-controller").
const EventComponent = "node-controller"

// Config holds the controller's kube-controller-manager flags, besides
// the informer delay and the timing of the NoSchedule-taint and pod work
// queues every controller has.
type Config struct {
	controllerutil.Config
	// MonitorPeriod is --node-monitor-period: how often node health is
	// checked.
	MonitorPeriod time.Duration
	// MonitorGracePeriod is --node-monitor-grace-period: how long a node
	// may stay silent before it is marked Unknown.
	MonitorGracePeriod time.Duration
	// StartupGracePeriod is --node-startup-grace-period: the grace of a
	// node that never posted a Ready condition.
	StartupGracePeriod time.Duration
	// EvictionRate is --node-eviction-rate: nodes tainted NoExecute per
	// second and zone in a healthy zone.
	EvictionRate float64
	// SecondaryEvictionRate is --secondary-node-eviction-rate: the rate in
	// a partially disrupted zone of a large cluster.
	SecondaryEvictionRate float64
	// LargeClusterThreshold is --large-cluster-size-threshold: zones of at
	// most this many nodes stop tainting when partially disrupted.
	LargeClusterThreshold int
	// UnhealthyZoneThreshold is --unhealthy-zone-threshold: the share of
	// not-ready nodes (at least 3) that makes a zone partially disrupted.
	UnhealthyZoneThreshold float64
	// EvictionPassPeriod is how often the NoExecute tainting queues are
	// worked (upstream's NodeEvictionPeriod).
	EvictionPassPeriod time.Duration
}

// DefaultConfig holds upstream's defaults (v1.32+).
var DefaultConfig = Config{
	MonitorPeriod:          5 * time.Second,
	MonitorGracePeriod:     50 * time.Second,
	StartupGracePeriod:     60 * time.Second,
	EvictionRate:           0.1,
	SecondaryEvictionRate:  0.01,
	LargeClusterThreshold:  50,
	UnhealthyZoneThreshold: 0.55,
	EvictionPassPeriod:     100 * time.Millisecond,
	Config:                 controllerutil.DefaultConfig(),
}

// withDefaults fills the zero fields of c from DefaultConfig, so callers
// can set only what they change.
func (c Config) withDefaults() Config {
	d := DefaultConfig
	setDur(&c.MonitorPeriod, d.MonitorPeriod)
	setDur(&c.MonitorGracePeriod, d.MonitorGracePeriod)
	setDur(&c.StartupGracePeriod, d.StartupGracePeriod)
	setDur(&c.EvictionPassPeriod, d.EvictionPassPeriod)
	if c.EvictionRate == 0 {
		c.EvictionRate = d.EvictionRate
	}
	if c.SecondaryEvictionRate == 0 {
		c.SecondaryEvictionRate = d.SecondaryEvictionRate
	}
	if c.LargeClusterThreshold == 0 {
		c.LargeClusterThreshold = d.LargeClusterThreshold
	}
	if c.UnhealthyZoneThreshold == 0 {
		c.UnhealthyZoneThreshold = d.UnhealthyZoneThreshold
	}
	c.Config = c.Config.Defaulted().WithDefaultQueue()
	return c
}

func setDur(p *time.Duration, d time.Duration) {
	if *p == 0 {
		*p = d
	}
}

// Controller is the node lifecycle controller.
type Controller struct {
	controllerutil.Base
	events *apiserver.Client
	cfg    Config

	nodes   map[string]*nodeState // the known nodes (upstream's knownNodeSet and nodeHealthMap)
	states  map[string]ZoneState
	tainter map[string]*timedQueue

	// Buffers of one monitor pass, reused by the next.
	listed  []*corev1.Node
	stateOf []*nodeState
	// order is the states of the last pass's nodes in its order (the
	// store's, by name). Only a pass changes c.nodes, so each is still
	// c.nodes[its name] when the next pass begins; while the store holds
	// the same node names, that pass reads the nodes through the states'
	// Refs (followNodes): no list of the store, no lookup by name.
	order []*nodeState

	// zonesGone counts the zones handleDisruption dropped from states
	// (nothing else drops one): see nodeState.zoneSeen.
	zonesGone uint64

	noSchedule *workqueue.Queue
	pods       *workqueue.Queue
	passTimer  *sim.Timer
}

// New returns a node lifecycle controller writing through client (upstream
// "node-lifecycle-controller"); its events come from "node-controller".
func New(engine *sim.Engine, client *apiserver.Client, cfg Config) *Controller {
	c := &Controller{
		events: client.Server().Client(EventComponent), cfg: cfg.withDefaults(),
		nodes:  map[string]*nodeState{},
		states: map[string]ZoneState{}, tainter: map[string]*timedQueue{},
	}
	c.Base = controllerutil.NewBase(engine, client, "node-lifecycle-controller", c.cfg.Config, nil)
	c.noSchedule = c.NewQueue("taint", c.doNoScheduleTaintingPass)
	c.pods = c.NewQueue("pods", c.processPod)
	c.Handles("Node", c.onNode)
	c.Handles("Pod", c.onPod)
	// Start then queues every node and starts the monitor loop, whose
	// first pass runs at once (wait.Until semantics).
	c.OnStart(func() {
		for _, o := range c.Store.List("Node", "") {
			c.noSchedule.Add(o.GetName())
		}
		c.Engine.After(0, "node-lifecycle/monitor", c.monitorLoop)
	})
	return c
}

// ZoneStates returns each zone's state, keyed like upstream's zone key
// (region + ":\x00:" + zone; "" for unlabelled nodes).
func (c *Controller) ZoneStates() map[string]ZoneState {
	out := make(map[string]ZoneState, len(c.states))
	for k, v := range c.states {
		out[k] = v
	}
	return out
}

func (c *Controller) monitorLoop() {
	c.monitorNodeHealth()
	c.Engine.After(c.cfg.MonitorPeriod, "node-lifecycle/monitor", c.monitorLoop)
}

// onNode queues a NoSchedule taint pass for every added or changed node
// (the TaintNodesByCondition half of the controller reacts to events, not
// to the monitor period).
func (c *Controller) onNode(ev store.Event) {
	if ev.Type == store.Deleted {
		if st := c.nodes[ev.Object.GetName()]; st != nil {
			st.retry = false
		}
		return
	}
	c.noSchedule.Add(ev.Object.GetName())
}

// onPod reacts to pods bound to a node the controller saw not ready: they
// are marked not ready at once instead of at the next status change.
// Pods on healthy nodes are filtered here, before the queue, to keep the
// hot path cheap.
func (c *Controller) onPod(ev store.Event) {
	if ev.Type == store.Deleted {
		return
	}
	pod := ev.Object.(*corev1.Pod)
	if pod.Spec.NodeName == "" {
		return
	}
	if ev.Old != nil && ev.Old.(*corev1.Pod).Spec.NodeName == pod.Spec.NodeName {
		return
	}
	h := c.healthOf(pod.Spec.NodeName)
	if h == nil || !h.hasCond || h.cond.Status == corev1.ConditionTrue {
		return
	}
	c.pods.Add(store.KeyOf(pod))
}

// monitorNodeHealth is one pass of the monitor loop. Like upstream's it
// visits every node every period; what makes a visit cheap is nodeState:
// one map lookup finds everything known of the node, the facts derived
// from its labels and conditions are recomputed only when the store holds
// a new version of it, and the pass allocates nothing per node.
func (c *Controller) monitorNodeHealth() {
	nodes, known := c.followNodes()
	if !known {
		nodes = c.listed[:0]
		for _, o := range c.Store.List("Node", "") {
			nodes = append(nodes, o.(*corev1.Node))
		}
	}
	c.listed = nodes
	added, newZones, deleted := c.classifyNodes(nodes, known)
	for _, n := range newZones {
		c.addZone(c.zoneKey(n))
	}
	for _, n := range added {
		c.nodeEvent(n, "RegisteredNode", "Registered Node "+n.Name+" in Controller")
		st := &nodeState{}
		st.observe(n)
		c.nodes[n.Name] = st
		c.addZone(st.zone)
		c.markNodeAsReachable(n, st.zone)
	}
	for _, st := range deleted {
		n := st.node
		c.nodeEvent(n, "RemovingNode", "Removing Node "+n.Name+" from Controller")
		delete(c.nodes, n.Name)
	}
	counts := map[string]*zoneCount{}
	lastQuiet := false
	order := c.order[:0]
	for i, n := range nodes {
		st := c.stateOf[i]
		if st == nil {
			st = c.nodes[n.Name] // added by this pass
		}
		order = append(order, st)
		if lastQuiet = c.quietVisit(n, st, counts); !lastQuiet {
			c.monitorNode(n, st, counts)
		}
	}
	if lastQuiet {
		// As if the last node had been visited in full: what follows
		// (handleDisruption) records with the cause its visit set.
		c.Engine.Trace().SetCause(c.Engine.Trace().LastOf("Node", "", nodes[len(nodes)-1].Name))
	}
	c.order = order
	c.handleDisruption(counts, nodes)
	clear(c.stateOf) // hold no node past its pass
	clear(c.listed)
}

// followNodes is the nodes List would list, read through the last
// pass's states (c.order), when the store holds the very node names that
// pass listed: as many, and each of them still there (its state's Ref
// finds it, in its slot or, created again, by name). Else false: the
// nodes must be listed.
func (c *Controller) followNodes() ([]*corev1.Node, bool) {
	if listEveryPass || c.order == nil || len(c.order) != c.Store.Len("Node") {
		return nil, false
	}
	nodes := c.listed[:0]
	for _, st := range c.order {
		o, ok := c.Store.Follow(&st.nodeRef, "Node", "", st.name)
		if !ok {
			clear(nodes)
			return nil, false
		}
		nodes = append(nodes, o.(*corev1.Node))
	}
	return nodes, true
}

// quietVisit is monitorNode for a node whose version the previous full
// visit found quiet (nodeState.quiet), and false, doing nothing, for any
// other. For such a version monitorNode does nothing but observe the
// node's Lease, compare the probe time with the grace period and count
// the node Ready in its zone: the version is the same, so its Ready
// condition (heartbeat and transition time included) equals the one the
// health remembers, and it carries no NoExecute taint; the node is in no
// zone's tainter, since only a visit observing it not Ready queues it
// there. quietVisit does exactly those three things, and hands the node
// to monitorNode when its grace period is over. What it skips is what
// made a pass cost a microsecond per node: the condition copies and
// comparisons, the taint and tainter lookups and the trace's cause link,
// which a quiet visit records nothing under (monitorNodeHealth sets the
// last node's for what follows the visits).
func (c *Controller) quietVisit(n *corev1.Node, st *nodeState, counts map[string]*zoneCount) bool {
	if st.quiet != n || noQuietVisits {
		return false
	}
	h := &st.health
	now := c.Engine.Elapsed()
	c.observeLease(st.name, &st.leaseRef, h, now)
	if now >= h.probe+c.cfg.MonitorGracePeriod {
		return false // (monitorNode observes the same Lease again: a no-op)
	}
	if !st.excluded {
		c.zoneCount(counts, st.zone).ready++
	}
	return true
}

// noQuietVisits makes every visit a full one, and every pass look each
// node's zone up (tests compare the two).
var noQuietVisits = false

// listEveryPass makes every pass list the nodes (tests compare a pass
// through followNodes with one that lists).
var listEveryPass = false

func (c *Controller) zoneCount(counts map[string]*zoneCount, zone string) *zoneCount {
	zc := counts[zone]
	if zc == nil {
		zc = &zoneCount{}
		counts[zone] = zc
	}
	return zc
}

// monitorNode checks one node: health, taints, and pods on a fresh
// transition to not ready. Only a node that changed state costs a pod
// lookup.
func (c *Controller) monitorNode(n *corev1.Node, st *nodeState, counts map[string]*zoneCount) {
	st.quiet = nil
	// Whatever this pass does to the node is caused by the last thing
	// recorded about it (a fault, its last status), not by the monitor's
	// tick (a side link for `kubesim explain`; the trace is unchanged).
	c.Engine.Trace().SetCause(c.Engine.Trace().LastOf("Node", "", n.Name))
	observed, current, err := c.tryUpdateNodeHealth(n, st)
	if err != nil {
		return
	}
	if !st.excluded {
		zc := c.zoneCount(counts, st.zone)
		if current != nil && current.Status == corev1.ConditionTrue {
			zc.ready++
		} else {
			zc.notReady++
		}
	}
	if current == nil {
		st.retry = false
		return
	}
	c.processTaintBaseEviction(n, st.zone, observed.Status)
	notReadyNow := current.Status != corev1.ConditionTrue && observed.Status == corev1.ConditionTrue
	if notReadyNow {
		c.nodeStatusEvent(n, "NodeNotReady")
	}
	if notReadyNow || (st.retry && observed.Status != corev1.ConditionTrue) {
		if err := c.markPodsNotReady(c.podsOn(n.Name), n.Name); err != nil {
			st.retry = true
			return
		}
	}
	st.retry = false
	if observed.Status == corev1.ConditionTrue && current.Status == corev1.ConditionTrue &&
		!hasTaint(n.Spec.Taints, &UnreachableTaint) && !hasTaint(n.Spec.Taints, &NotReadyTaint) &&
		c.Engine.Elapsed() < st.health.probe+c.cfg.MonitorGracePeriod {
		st.quiet = n
	}
}

// classifyNodes splits the listed nodes into newly seen ones, known ones
// whose zone has no state yet, and the states of known nodes that are
// gone (sorted by name). It brings the known nodes' states up to the
// listed versions and leaves them in c.stateOf, aligned with nodes (nil
// for the added ones).
//
// known says that nodes were read through the states of c.order, in its
// order (followNodes): each one's state is then at its place there.
func (c *Controller) classifyNodes(nodes []*corev1.Node, known bool) (added, newZones []*corev1.Node, deleted []*nodeState) {
	sts := c.stateOf[:0]
	for i, n := range nodes {
		var st *nodeState
		if known {
			st = c.order[i]
		} else {
			st = c.nodes[n.Name]
		}
		sts = append(sts, st)
		if st == nil {
			added = append(added, n)
			continue
		}
		st.observe(n)
		if st.zoneSeen == c.zonesGone+1 && !noQuietVisits {
			continue // (its zone has had a state since: see zoneSeen)
		}
		if _, ok := c.states[st.zone]; !ok {
			newZones = append(newZones, n)
		} else {
			st.zoneSeen = c.zonesGone + 1
		}
	}
	c.stateOf = sts
	if len(c.nodes)+len(added) == len(nodes) {
		return added, newZones, nil
	}
	present := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		present[n.Name] = true
	}
	for name, st := range c.nodes {
		if !present[name] {
			deleted = append(deleted, st)
		}
	}
	slices.SortFunc(deleted, func(a, b *nodeState) int { return cmp.Compare(a.node.Name, b.node.Name) })
	return added, newZones, deleted
}

// zoneKey is n's zone key, from its state when that state is of this very
// version of the node (store objects are immutable, so a version's key
// never changes).
func (c *Controller) zoneKey(n *corev1.Node) string {
	if st := c.nodes[n.Name]; st != nil && st.node == n {
		return st.zone
	}
	return ZoneKey(n)
}

// healthOf is what the monitor last recorded of the named node's health,
// nil before its first pass or after it was deleted.
func (c *Controller) healthOf(name string) *nodeHealth {
	if st := c.nodes[name]; st != nil && st.tracked {
		return &st.health
	}
	return nil
}

func (c *Controller) podsOn(node string) []*corev1.Pod {
	objs := c.Store.ByIndex("Pod", store.NodeNameIndex, node)
	out := make([]*corev1.Pod, len(objs))
	for i, o := range objs {
		out[i] = o.(*corev1.Pod)
	}
	return out
}

// nodeEvent records a node event the way upstream's RecordNodeEvent words
// it: "Node <name> event: <message>".
func (c *Controller) nodeEvent(n *corev1.Node, reason, msg string) {
	c.events.Event(n, corev1.EventTypeNormal, reason, "Node "+n.Name+" event: "+msg)
}

// nodeStatusEvent is upstream's RecordNodeStatusChange.
func (c *Controller) nodeStatusEvent(n *corev1.Node, status string) {
	c.events.Event(n, corev1.EventTypeNormal, status, "Node "+n.Name+" status is now: "+status)
}
