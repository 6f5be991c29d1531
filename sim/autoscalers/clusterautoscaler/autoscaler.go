package clusterautoscaler

import (
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/autoscalers/simulator"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component (and event source) name.
const Name = "cluster-autoscaler"

// Annotations and taints of upstream's scale-down.
const (
	AnnotationSafeToEvict       = "cluster-autoscaler.kubernetes.io/safe-to-evict"
	AnnotationScaleDownDisabled = "cluster-autoscaler.kubernetes.io/scale-down-disabled"
	TaintToBeDeleted            = "ToBeDeletedByClusterAutoscaler"
	StatusConfigMap             = "cluster-autoscaler-status"
	PriorityConfigMap           = "cluster-autoscaler-priority-expander"
)

// WatchLatency is the delay of the autoscaler's informers.
const WatchLatency = 10 * time.Millisecond

// Autoscaler is the simulated Cluster Autoscaler.
type Autoscaler struct {
	simulator.Base
	opts  Options
	cloud CloudProvider
	timer *sim.Timer

	lastScaleUp, lastScaleDownDelete, lastScaleDownFail time.Duration
	unneededSince                                       map[string]time.Duration
	unremovableUntil                                    map[string]time.Duration // node -> no removal simulation before
	hints, oldHints                                     map[string]string        // pod key -> node it fitted on in the last simulations
	backoff                                             map[string]*backoff
	deleting                                            map[string]*deletion // nodes being drained / removed
	notTriggered                                        map[string]notice    // pod key -> last NotTriggerScaleUp
	status                                              string               // last ConfigMap status written
	statusDoc                                           *statusDoc           // the document it was marshalled from
	stats                                               Stats

	// utilCache keeps each snapshot node's utilization while the node
	// info is unchanged (its generation moves with every pod and node
	// change): most nodes' pods do not change from one loop to the next.
	utilCache map[string]cachedUtil
	// groupOf caches each node's entry while the node object is the same.
	groupOf map[string]*nodeEntry
}

// Stats count what the autoscaler did.
type Stats struct {
	Loops, ScaleUps, NodesAdded, NodesRemoved, FailedScaleUps int
	// RemovalSimulations counts nodes whose removal was simulated (their
	// pods sought a place elsewhere).
	RemovalSimulations int
}

type backoff struct {
	until, duration, lastFailure time.Duration
	reason                       string
}

type notice struct {
	msg string
	at  time.Duration
}

// New returns an autoscaler over cloud writing through client (named
// Name). Options are defaulted here; call Start to begin.
func New(engine *sim.Engine, client *apiserver.Client, cloud CloudProvider, opts Options) *Autoscaler {
	opts = opts.Defaults()
	never := -time.Duration(1 << 62)
	a := &Autoscaler{
		Base: simulator.NewBase(engine, client, Name), opts: opts, cloud: cloud, unneededSince: map[string]time.Duration{},
		unremovableUntil: map[string]time.Duration{}, hints: map[string]string{}, oldHints: map[string]string{},
		backoff: map[string]*backoff{}, deleting: map[string]*deletion{}, notTriggered: map[string]notice{},
		lastScaleUp: never, lastScaleDownDelete: never, lastScaleDownFail: never,
		utilCache: map[string]cachedUtil{}, groupOf: map[string]*nodeEntry{},
	}
	return a
}

// Options are the effective options.
func (a *Autoscaler) Options() Options { return a.opts }

// Stats returns the counters.
func (a *Autoscaler) Stats() Stats { return a.stats }

// Start lists and watches nodes and pods, then runs the loop every scan
// interval.
func (a *Autoscaler) Start() {
	a.StartInformers(WatchLatency, a.onNode, a.onPod)
	a.timer = a.Engine.After(a.opts.ScanInterval, "cluster-autoscaler/loop", a.loop)
}

// Stop ends the watches and the loop.
func (a *Autoscaler) Stop() {
	a.StopWatches()
	a.Engine.Cancel(a.timer)
}

func (a *Autoscaler) onNode(ev store.Event) {
	a.Snap.TrackNode(ev)
	if node := ev.Object.(*corev1.Node); ev.Type == store.Deleted {
		delete(a.unneededSince, node.Name)
		delete(a.unremovableUntil, node.Name)
		delete(a.utilCache, node.Name)
		delete(a.groupOf, node.Name)
	}
}

func (a *Autoscaler) onPod(ev store.Event) {
	if _, key, pending := a.Snap.TrackPod(ev); !pending {
		delete(a.notTriggered, key)
	}
}

func (a *Autoscaler) now() time.Duration { return a.Engine.Elapsed() }

// loop is RunOnce: scale-up first; scale-down only when nothing was
// added in this loop.
func (a *Autoscaler) loop() {
	a.timer = a.Engine.After(a.opts.ScanInterval, "cluster-autoscaler/loop", a.loop)
	a.stats.Loops++
	groups := a.cloud.NodeGroups()
	a.checkProvisionTimeouts(groups)
	scaledUp := a.scaleUp(groups)
	var candidates int
	if !scaledUp {
		candidates = a.scaleDown(groups)
	}
	a.writeStatus(groups, candidates)
}

// groupNodes lists the registered nodes of each group, by group name,
// with what the loop reads of each (nodeEntry).
func (a *Autoscaler) groupNodes() map[string][]*nodeEntry {
	out := map[string][]*nodeEntry{}
	for _, o := range a.Store.List("Node", "") {
		n := o.(*corev1.Node)
		e := a.groupOf[n.Name]
		if e == nil || e.node != n {
			e = a.newNodeEntry(n)
			a.groupOf[n.Name] = e
		}
		if g := e.group; g != "" {
			out[g] = append(out[g], e)
		}
	}
	return out
}

// nodeEntry is what every loop reads of one version of a node: its group
// and the facts scale-down and the status read from its conditions,
// annotations and taints. Store objects are immutable, so an entry is
// made once per node version (groupNodes makes a new one when the store
// holds a new version; onNode drops it with the node), and a loop over
// 200 nodes does not walk 200 nodes' maps every 10 s.
type nodeEntry struct {
	node  *corev1.Node
	group string
	ready corev1.ConditionStatus // podutil.NodeReady(node)
	// scaleDownDisabled: the node has scale-down-disabled "true".
	scaleDownDisabled bool
	// toBeDeleted: the node has the ToBeDeletedByClusterAutoscaler taint.
	toBeDeleted bool
}

func (a *Autoscaler) newNodeEntry(n *corev1.Node) *nodeEntry {
	e := &nodeEntry{node: n, group: a.cloud.NodeGroupOf(n), ready: podutil.NodeReady(n),
		scaleDownDisabled: n.Annotations[AnnotationScaleDownDisabled] == "true"}
	for _, t := range n.Spec.Taints {
		if t.Key == TaintToBeDeleted {
			e.toBeDeleted = true
		}
	}
	return e
}

// inBackoff reports whether a group's scale-ups are suspended.
func (a *Autoscaler) inBackoff(group string) bool {
	b := a.backoff[group]
	return b != nil && a.now() < b.until
}

// failScaleUp backs a group off after a failed scale-up: the initial
// duration, doubled on every failure within the reset timeout.
func (a *Autoscaler) failScaleUp(group, reason string) {
	now := a.now()
	b := a.backoff[group]
	switch {
	case b == nil || now-b.lastFailure > a.opts.NodeGroupBackoffResetTimeout:
		b = &backoff{duration: a.opts.InitialNodeGroupBackoffDuration}
		a.backoff[group] = b
	default:
		b.duration = min(2*b.duration, a.opts.MaxNodeGroupBackoffDuration)
	}
	b.until, b.lastFailure, b.reason = now+b.duration, now, reason
	a.stats.FailedScaleUps++
}

// checkProvisionTimeouts gives up on machines that did not register
// within max-node-provision-time: they are deleted and their group backs
// off, as upstream treats a scale-up that never materialised.
func (a *Autoscaler) checkProvisionTimeouts(groups []NodeGroup) {
	now := a.now()
	for _, g := range groups {
		for _, m := range a.cloud.Upcoming(g.Name) {
			if now-m.RequestedAt >= a.opts.MaxNodeProvisionTime {
				_ = a.cloud.DeleteNode(g.Name, m.Name)
				a.failScaleUp(g.Name, "timeout: node "+m.Name+" did not register within "+a.opts.MaxNodeProvisionTime.String())
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
