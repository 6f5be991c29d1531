// Package karpenter simulates Karpenter (karpenter.sh/v1 with the AWS
// provider): NodePools and NodeClaims as objects in the store, provisioning
// in batches with price-aware packing over the EC2 catalogue, the NodeClaim
// lifecycle (Launched, Registered, Initialized), termination with drain,
// expiration, drift, consolidation within disruption budgets, and spot
// interruption handling. It asks the cloud for machines and never creates
// Node objects: the kubelet registers them, as on EKS.
//
// The timings and rules are upstream's (kubernetes-sigs/karpenter and
// aws/karpenter-provider-aws): batch idle 1 s / max 10 s, disruption
// polling 10 s, consolidation validation 15 s, unavailable offerings cached
// 3 min, registration TTL 15 min.
package karpenter

import (
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/autoscalers/simulator"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component (and event source) name.
const Name = "karpenter"

// Upstream's fixed timings.
const (
	WatchLatency            = 10 * time.Millisecond
	DisruptionPollPeriod    = 10 * time.Second
	ConsolidationTTL        = 15 * time.Second // a consolidation decision is revalidated after this
	UnavailableOfferingsTTL = 3 * time.Minute
	RegistrationTTL         = 15 * time.Minute
	EvictionRetry           = 5 * time.Second
	// ConsolidationStateTTL: with nothing changed, the consolidation
	// methods look at the cluster again after this (upstream's five
	// minutes, for what it cannot watch, such as offerings coming back).
	ConsolidationStateTTL = 5 * time.Minute
	// MaxInstanceTypes is how many instance types a NodeClaim carries
	// (upstream truncates the flexible set to 60, cheapest first).
	MaxInstanceTypes = 60
)

// Options are the controller's settings (its Helm values / flags).
type Options struct {
	// BatchIdleDuration and BatchMaxDuration bound a provisioning batch
	// (BATCH_IDLE_DURATION 1s, BATCH_MAX_DURATION 10s).
	BatchIdleDuration, BatchMaxDuration time.Duration
	// SpotToSpotConsolidation is the feature gate of the same name
	// (off by default: a spot node is only deleted, never replaced by a
	// cheaper spot node).
	SpotToSpotConsolidation bool
}

// Defaults fills in upstream's defaults.
func (o Options) Defaults() Options {
	if o.BatchIdleDuration == 0 {
		o.BatchIdleDuration = time.Second
	}
	if o.BatchMaxDuration == 0 {
		o.BatchMaxDuration = 10 * time.Second
	}
	return o
}

// LaunchRequest asks the cloud for one instance of a NodeClaim.
type LaunchRequest struct {
	NodeClaim, NodePool      string
	Type, Zone, CapacityType string // CapacityType as EKS spells it: ON_DEMAND or SPOT
	ImageID                  string
	Labels                   map[string]string
	Taints                   []corev1.Taint
}

// Launched is what the cloud answers for a launch.
type Launched struct {
	NodeName, ProviderID, ImageID string
}

// CloudProvider is what Karpenter needs of AWS.
type CloudProvider interface {
	// Region prices the offerings.
	Region() string
	// Zones are the zones the EC2NodeClass's subnets cover.
	Zones() []string
	// Price of an offering (capacity type ON_DEMAND or SPOT).
	Price(typ, capacityType string) (float64, bool)
	// Create launches the instance; an *cloud.InsufficientCapacityError
	// means the offering has no capacity now.
	Create(req LaunchRequest) (Launched, error)
	// Delete terminates the instance behind a node.
	Delete(nodeName string) error
}

// Stats count what Karpenter did.
type Stats struct {
	Batches, NodeClaimsCreated, NodeClaimsDeleted, LaunchFailures int
	Consolidations, EmptyDeletes, Replacements, Interruptions     int
	// Simulations counts consolidation simulations (a set of candidates'
	// pods placed on the rest of the cluster).
	Simulations int
}

// Controller is the simulated Karpenter.
type Controller struct {
	simulator.Base
	opts  Options
	cloud CloudProvider

	// batch window
	batchStart, lastPending time.Duration
	batchTimer, pollTimer   *sim.Timer
	batching                bool

	nominated  map[string]string      // pod key -> NodeClaim it waits for
	claims     map[string]*claimState // by NodeClaim name
	ice        map[offeringKey]time.Duration
	pendingCmd *command // consolidation decision awaiting validation
	blockedAt  map[string]time.Duration

	// Upstream's consolidation state: a counter bumped whenever
	// something that could make consolidation possible changes (a pod
	// bound or gone, a node or NodeClaim added or removed, a NodePool
	// changed), and at the latest every ConsolidationStateTTL. A
	// consolidation method that found nothing to do records the counter
	// and does not simulate again until it moves.
	stateSeq     uint64
	stateAt      time.Duration
	consolidated map[string]uint64 // method -> stateSeq when it found nothing
	budgetHit    bool              // the last underutilized() left candidates out for a budget
	stats        Stats

	// polling is set during a disruption poll, whose methods all read
	// the same candidates (listed once, in pollCands, while nothing is
	// written).
	polling   bool
	pollCands []*candidate
	pollDone  bool
	// pollDeleting is deletingNodes' answer for the poll.
	pollDeleting map[string]bool
	reqs         map[*corev1.Pod]podutil.Resources // see requests
	unboundOf    map[unboundKey]*unboundEntry      // see unbound
	dnd          map[string]dndEntry               // see firstDoNotDisrupt
	cheaper      map[float64]bool                  // see anyCheaper
	holds        map[holdKey]int                   // see cheaperHolds
	allowedN     map[allowedKey]int                // see allowed
	// npTypes caches, per NodePool name, the instance types its
	// requirements admit (for the NodePool object it was computed from).
	npTypes map[string]nodePoolTypeList
	hashes  driftHashes
	drifts  map[driftKey]string // see driftReason
	// templates remembers hypothetical nodes (see templateNode).
	templates map[templateKey]*corev1.Node
	// hideFirst makes every simulation take the candidates' pods off
	// their nodes before mayHold (tests compare it with the default).
	hideFirst bool
}

type nodePoolTypeList struct {
	np    *karpv1.NodePool
	types []cloud.InstanceType
}

type claimState struct {
	name, nodePool string
	nodeName       string
	launchedAt     time.Duration
	lastPodEvent   time.Duration
	initializedAt  time.Duration
	deleting       bool          // termination started
	drainStarted   time.Duration // when eviction began
	terminated     bool          // instance terminate asked
	interrupted    bool
	timer          *sim.Timer
}

// New returns a Karpenter controller writing through client (named
// Name). Call Start to begin.
func New(engine *sim.Engine, client *apiserver.Client, cloud CloudProvider, opts Options) *Controller {
	c := &Controller{
		Base: simulator.NewBase(engine, client, Name), opts: opts.Defaults(), cloud: cloud,
		nominated: map[string]string{}, claims: map[string]*claimState{},
		ice: map[offeringKey]time.Duration{}, blockedAt: map[string]time.Duration{}, stateSeq: 1, consolidated: map[string]uint64{},
	}
	return c
}

// Options are the effective options.
func (c *Controller) Options() Options { return c.opts }

// Stats returns the counters.
func (c *Controller) Stats() Stats { return c.stats }

func (c *Controller) now() time.Duration { return c.Engine.Elapsed() }

// Start lists and watches nodes, pods and Karpenter's objects, and starts
// the disruption loop.
func (c *Controller) Start() {
	c.StartInformers(WatchLatency, c.onNode, c.onPod)
	c.Watch("NodeClaim", WatchLatency, c.onNodeClaim)
	c.Watch("NodePool", WatchLatency, c.onNodePool)
	c.Watch("EC2NodeClass", WatchLatency, c.onNodeClass)
	for _, o := range c.Store.List("EC2NodeClass", "") {
		c.onNodeClass(store.Event{Type: store.Added, Object: o})
	}
	for _, o := range c.Store.List("NodePool", "") {
		c.onNodePool(store.Event{Type: store.Added, Object: o})
	}
	c.pollTimer = c.Engine.After(DisruptionPollPeriod, "karpenter/disruption", c.disrupt)
}

// Stop ends the watches and timers.
func (c *Controller) Stop() {
	c.StopWatches()
	c.Engine.Cancel(c.pollTimer)
	c.Engine.Cancel(c.batchTimer)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
