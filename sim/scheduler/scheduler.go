// Package scheduler models kube-scheduler: it watches pods and nodes,
// keeps its own cache of what runs where, and schedules pending pods one
// cycle at a time as engine events — PreFilter, Filter over an adaptive
// sample of nodes, PreScore, Score, then Bind — with upstream's default
// plugins, weights, queue timings, events and messages.
package scheduler

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/defaultpreemption"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/imagelocality"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/interpodaffinity"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeaffinity"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodename"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeports"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/noderesources"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeunschedulable"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/podtopologyspread"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/tainttoleration"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/volumebinding"
	"github.com/kubesim/kubesim/sim/scheduler/queue"
	"github.com/kubesim/kubesim/sim/store"
)

// Config tunes the scheduler; the zero value is kube-scheduler's defaults.
type Config struct {
	// ScoringStrategy of NodeResourcesFit: "LeastAllocated" (default,
	// spreads) or "MostAllocated" (bin packing).
	ScoringStrategy string
	// PerPodLatency is the virtual time one scheduling cycle takes
	// (default 2 ms, i.e. at most 500 pods/s like a busy real scheduler).
	PerPodLatency time.Duration
	// WatchLatency is the delay of the scheduler's informers (default 2 ms).
	WatchLatency time.Duration
	// PercentageOfNodesToScore: 0 = adaptive (upstream default).
	PercentageOfNodesToScore int32
	// SchedulerName the scheduler answers to (default "default-scheduler").
	SchedulerName string
	// DisablePreemption turns DefaultPreemption off (its message is then
	// absent from FailedScheduling, as with preemption disabled upstream).
	DisablePreemption bool
	// Queue timings (zero = queue.DefaultConfig).
	Queue queue.Config
}

// Stats are the scheduler's counters.
type Stats struct {
	// Attempts counts scheduling cycles; Scheduled successful binds;
	// Unschedulable failed cycles; Preemptions pods evicted to make room.
	Attempts, Scheduled, Unschedulable, Errors, Preemptions uint64
}

// Scheduler is the simulated kube-scheduler.
type Scheduler struct {
	engine *sim.Engine
	client *apiserver.Client
	st     *store.Store
	cfg    Config

	cache *cache.Cache
	queue *queue.Queue
	fwk   *framework.Framework
	state *framework.CycleState
	ties  *sim.Rand

	nextStartNodeIndex int
	cycleTimer         *sim.Timer // reused for every cycle (kick)
	cycleDue           bool       // cycleTimer is queued
	inCycle            bool
	started            bool
	stops              []func()
	// spread is the PodTopologySpread plugin, whose default selector
	// finder watches while the scheduler does (Start).
	spread *podtopologyspread.PodTopologySpread

	pending map[string]string // pod key -> last failure message
	// binding are the pods whose binding waits for their volumes
	// (VolumeBinding's PreBind), by key.
	binding map[string]bool
	stats   Stats

	// derived is the PodInfo the last cycle derived (framework.Derive
	// copies it for a pod of the same template).
	derived *framework.PodInfo

	// scratch reused by every cycle
	feasible []*framework.NodeInfo
	statuses []framework.NodeStatus
	// filterOut holds one filter round's statuses (parallel.go).
	// rule is the cycle's merged framework.QuickRule, valid when quick.
	filterOut []*framework.Status
	rule      framework.QuickRule
	quick     bool
	totals    []int64
	// rows are the cache's node rows while a cycle filters the cache's
	// whole list (row i for node i), nil otherwise; feasibleRows[j] is
	// the row of feasible[j] then.
	rows         []framework.NodeRow
	feasibleRows []int32
	// rowOf[j] is the row of the cycle's j-th feasible node when rows is
	// set: feasibleRows, or a subslice of ordinals (quickWindow).
	rowOf []int32
	// ordinals[i] = i for every position of the cache's list: a window of
	// consecutive positions is its own list of rows. It cannot go stale:
	// it depends on nothing but the length, and only grows.
	ordinals []int32
	// rowFlags is the union of the feasible nodes' row flags when
	// rowFlagsKnown (quickWindow gathers it).
	rowFlags      framework.RowFlags
	rowFlagsKnown bool
}

// New builds a scheduler writing through client. Call Start to begin.
func New(engine *sim.Engine, client *apiserver.Client, cfg Config) *Scheduler {
	if cfg.PerPodLatency <= 0 {
		cfg.PerPodLatency = 2 * time.Millisecond
	}
	if cfg.WatchLatency <= 0 {
		cfg.WatchLatency = 2 * time.Millisecond
	}
	if cfg.SchedulerName == "" {
		cfg.SchedulerName = corev1.DefaultSchedulerName
	}
	if cfg.Queue == (queue.Config{}) {
		cfg.Queue = queue.DefaultConfig
	}
	s := &Scheduler{
		engine: engine, client: client, st: client.Server().Store(), cfg: cfg,
		cache: cache.New(), state: framework.NewCycleState(),
		ties: engine.Rand("scheduler/ties"), pending: map[string]string{}, binding: map[string]bool{},
	}
	s.queue = queue.New(engine, cfg.Queue)
	s.queue.OnActive = s.kick
	s.fwk = s.defaultFramework()
	return s
}

// Default score weights (pkg/scheduler/apis/config/v1/default_plugins.go).
const (
	weightTaintToleration   = 3
	weightNodeAffinity      = 2
	weightPodTopologySpread = 2
	weightInterPodAffinity  = 2
	weightFit               = 1
	weightBalanced          = 1
	weightImageLocality     = 1
)

// defaultFramework enables upstream's default plugins in upstream's
// filter order.
func (s *Scheduler) defaultFramework() *framework.Framework {
	specs := DefaultPlugins(s.cache, s.st, s.cfg.ScoringStrategy)
	for _, sp := range specs {
		if p, ok := sp.Plugin.(*podtopologyspread.PodTopologySpread); ok {
			s.spread = p
		}
	}
	var dp *defaultpreemption.DefaultPreemption
	if !s.cfg.DisablePreemption {
		dp = defaultpreemption.New(s.cache, s.pdbs, s.engine.Rand("scheduler/preemption"))
		specs = append(specs, framework.PluginSpec{Plugin: dp})
	}
	f := framework.NewFramework(specs...)
	if dp != nil {
		dp.SetFramework(f)
	}
	return f
}

// DefaultPlugins are kube-scheduler's default plugins with their score
// weights, in upstream's filter order, reading the cluster from lister
// (the scheduler's cache, or the snapshot of a cluster autoscaler that
// simulates pods on nodes that do not exist yet) and namespaces from st.
// Preemption is not among them.
func DefaultPlugins(lister framework.SharedLister, st *store.Store, scoringStrategy string) []framework.PluginSpec {
	return []framework.PluginSpec{
		{Plugin: nodeunschedulable.New()},
		{Plugin: nodename.New()},
		{Plugin: tainttoleration.New(), Weight: weightTaintToleration},
		{Plugin: nodeaffinity.New(), Weight: weightNodeAffinity},
		{Plugin: nodeports.New()},
		{Plugin: noderesources.NewFit(scoringStrategy), Weight: weightFit},
		{Plugin: volumebinding.New(st)},
		{Plugin: podtopologyspread.New(lister, podtopologyspread.NewStoreSelectors(st)), Weight: weightPodTopologySpread},
		{Plugin: interpodaffinity.New(lister, namespaceLabels(st)), Weight: weightInterPodAffinity},
		{Plugin: noderesources.NewBalancedAllocation(), Weight: weightBalanced},
		{Plugin: imagelocality.New(lister), Weight: weightImageLocality},
	}
}

// NewFilterFramework is the framework of DefaultPlugins: what a cluster
// autoscaler runs PreFilter and Filter of to decide whether a pod would
// fit a node (the same predicates the scheduler uses, not a copy).
func NewFilterFramework(lister framework.SharedLister, st *store.Store) *framework.Framework {
	return framework.NewFramework(DefaultPlugins(lister, st, "")...)
}

func namespaceLabels(st *store.Store) func(ns string) map[string]string {
	return func(ns string) map[string]string {
		if o, ok := st.Get("Namespace", "", ns); ok {
			return o.GetLabels()
		}
		return nil
	}
}

// pdbs lists a namespace's PodDisruptionBudgets with the disruptions each
// allows now.
func (s *Scheduler) pdbs(ns string) ([]*policyv1.PodDisruptionBudget, []int32) {
	var out []*policyv1.PodDisruptionBudget
	var allowed []int32
	for _, o := range s.st.List("PodDisruptionBudget", ns) {
		pdb := o.(*policyv1.PodDisruptionBudget)
		out = append(out, pdb)
		allowed = append(allowed, apiserver.DisruptionsAllowed(s.st, pdb))
	}
	return out, allowed
}

// Cache exposes the scheduler's cache (read-only use: reports, UIs).
func (s *Scheduler) Cache() *cache.Cache { return s.cache }

// Queue exposes the scheduling queue (read-only use).
func (s *Scheduler) Queue() *queue.Queue { return s.queue }

// Stats returns the counters.
func (s *Scheduler) Stats() Stats { return s.stats }

// PendingReason is the message of the pod's last failed scheduling
// attempt ("" if none or since scheduled).
func (s *Scheduler) PendingReason(ns, name string) string { return s.pending[store.Key(ns, name)] }

// Stop ends the watches and any pending cycle.
func (s *Scheduler) Stop() {
	for _, stop := range s.stops {
		stop()
	}
	s.stops = nil
	s.engine.Cancel(s.cycleTimer)
	s.cycleDue = false
	s.started = false
}
