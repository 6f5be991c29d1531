// Package runner runs a scenario file from start to end: it builds the
// cluster, creates the workloads, fires the timeline's actions at their
// virtual times, checks the expectations and produces the report.
package runner

import (
	"io"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/action"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/controllers/deployment"
	"github.com/kubesim/kubesim/sim/kubectl"
	"github.com/kubesim/kubesim/sim/store"
)

// Options tune a run.
type Options struct {
	// Seed overrides the scenario's seed when non-nil.
	Seed *uint64
	// Trace receives the canonical trace lines.
	Trace io.Writer
	// CheckInvariants checks the cluster invariants after every event
	// (tests); a violation ends the run with an error.
	CheckInvariants bool
	// Observe, if set, is called with the cluster before the run starts
	// (tests attach their own probes).
	Observe func(*cluster.Cluster)
	// MaxEventsPerInstant overrides the engine's livelock bound
	// (sim.DefaultMaxEventsPerInstant when zero).
	MaxEventsPerInstant uint64
	// NoPlayByPlay leaves the cluster's Events out of the report's
	// Timeline and skips Placement: only the text report and the live
	// frontends show them, and at 150,000 pods they are ~750,000 entries.
	// The trace and every other report field are the same.
	NoPlayByPlay bool
	// TraceOffload, if set, makes and hashes the trace lines off the
	// simulation's goroutine (sim.Trace.Offload): the same hash.
	TraceOffload sim.Offloader
}

// Run runs s for its duration and returns the report.
func Run(s *scenarios.Scenario, opts Options) (*Report, error) {
	r, err := Start(s, opts)
	if err != nil {
		return nil, err
	}
	return r.Finish()
}

// Run is a scenario in progress.
type Running struct {
	Scenario *scenarios.Scenario
	Cluster  *cluster.Cluster
	report   *Report
	opts     Options
	checks   []*check
	revs     *kindRevs // the checks' shared Deployment revision, once per instant
	inv      *invariants
	kubectl  *kubectl.Env
	actions  *action.Env
	end      time.Duration
}

// Start builds the cluster and schedules the scenario, without running it.
func Start(s *scenarios.Scenario, opts Options) (*Running, error) {
	seed := ptr.Deref(opts.Seed, s.Seed)
	cfg := cluster.Config{Seed: seed, StartTime: s.StartTime, Zones: s.Cluster.Zones, Addons: s.Cluster.Addons, EtcdMembers: s.Cluster.ControlPlane.EtcdMembers,
		Region: s.Cluster.Region, ClusterAutoscaler: s.Cluster.ClusterAutoscaler,
		Karpenter: s.Cluster.Karpenter, Loads: s.Loads, SpotInterruptionRates: s.Cluster.SpotInterruptionRates,
		FargateProfiles: s.Cluster.Fargate}
	for _, g := range s.Cluster.NodeGroups {
		cfg.NodeGroups = append(cfg.NodeGroups, cluster.NodeGroup{Name: g.Name, InstanceType: g.InstanceType,
			Capacity: g.Capacity, Count: g.Count, Min: g.Min, Max: g.Max, CapacityType: g.CapacityType,
			Zones: g.Zones, Labels: g.Labels, Taints: g.Taints, DiskGiB: g.DiskGiB})
	}
	cfg.Trace, cfg.TraceOffload = opts.Trace, opts.TraceOffload
	c, err := cluster.New(cfg)
	if err != nil {
		return nil, err
	}
	run := &Running{Scenario: s, Cluster: c, end: s.Duration, opts: opts,
		report: &Report{Scenario: s.Name, Seed: seed}}
	if s.Duration > 0 {
		c.Cost.Sample(sampleInterval(s.Duration))
	}
	run.kubectl = &kubectl.Env{
		Engine: c.Engine, Client: c.Client("kubectl"),
		Rollback: func(ns, name string, rev int64) error {
			return deployment.Rollback(c.Client("kubectl"), c.Store, ns, name, rev)
		},
		ReadFile: func(path string) ([]store.Object, error) { return s.ReadManifests(path) },
		Done:     func(out string, err error) { run.note("Action", "kubectl", "drain (done)", out, err) },
	}
	run.actions = &action.Env{Cluster: c, Kubectl: run.kubectl,
		Note: func(verb, object, out string, err error) { run.note("Action", verb, object, out, err) }}
	if !opts.NoPlayByPlay {
		run.watchEvents()
	}
	if opts.CheckInvariants {
		run.inv = newInvariants(c)
	}
	c.Engine.MaxEventsPerInstant = opts.MaxEventsPerInstant
	if opts.Observe != nil {
		opts.Observe(c)
	}
	if len(s.Workloads) > 0 {
		objs := make([]store.Object, len(s.Workloads))
		for i, w := range s.Workloads {
			objs[i] = w.Obj
		}
		out, err := kubectl.ApplyObjects(run.kubectl, objs)
		run.note("Action", "apply", "workloads", out, err)
	}
	for i := range s.Timeline {
		a := &s.Timeline[i]
		c.Engine.AtEnd(a.At, "timeline", func() { run.act(a) })
	}
	run.revs = &kindRevs{}
	run.checks = newChecks(s.Expect, run.revs)
	c.Engine.OnInstantEnd(run.onInstant)
	return run, nil
}

// Finish runs to the end of the scenario and builds the report.
func (r *Running) Finish() (*Report, error) {
	e := r.Cluster.Engine
	defer r.Cluster.Etcd.Close() // raft's goroutines end with the run
	stops := []time.Duration{r.end}
	for _, ck := range r.checks {
		for _, t := range ck.stops() {
			if t <= r.end {
				stops = append(stops, t)
			}
		}
	}
	slices.Sort(stops)
	stops = slices.Compact(stops)
	for _, t := range stops {
		if err := r.runTo(t); err != nil {
			return nil, err
		}
		r.revs.invalidate()
		for _, ck := range r.checks {
			if slices.Contains(ck.stops(), t) {
				ck.evaluateAt(r.Cluster)
			}
		}
	}
	if r.inv != nil && r.inv.err != nil {
		return nil, r.inv.err
	}
	rep := r.report
	// The members' content is sorted for its hash while the rest of the
	// report is built (nothing below writes an object).
	etcdStatus := r.Cluster.Etcd.StartStatus()
	rep.VirtualTime = e.Elapsed().String()
	rep.TraceHash = e.Trace().Hash()
	rep.Events = e.Trace().Len()
	snapshot(r.Cluster, rep, !r.opts.NoPlayByPlay)
	rep.Cost = costReport(r.Cluster)
	rep.Load = loadReport(r.Cluster)
	etcdMembers(rep, etcdStatus)
	if err := r.Cluster.Etcd.Err(); err != nil {
		return nil, err
	}
	for _, ck := range r.checks {
		rep.Expectations = append(rep.Expectations, ck.result(r.end))
	}
	rep.finishSummary(e.Elapsed())
	return rep, e.Trace().Err()
}

// runTo runs to virtual time t; it fails when the engine stopped itself
// (a livelock) or was interrupted.
func (r *Running) runTo(t time.Duration) error {
	e := r.Cluster.Engine
	if r.inv == nil {
		e.RunUntil(t)
		return e.Err()
	}
	for {
		next, ok := e.NextAt()
		if !ok || next > t {
			break
		}
		if !e.StepOne() { // the invariants hold after every event, a batch's too
			return e.Err()
		}
		if err := r.inv.check(); err != nil {
			return err
		}
	}
	e.RunUntil(t)
	return e.Err()
}

func (r *Running) onInstant() {
	now := r.Cluster.Engine.Elapsed()
	r.revs.invalidate()
	for _, ck := range r.checks {
		ck.evaluateInstant(r.Cluster, now)
	}
}

// Passed reports whether every expectation held.
func (rep *Report) Passed() bool {
	for _, e := range rep.Expectations {
		if !e.Passed {
			return false
		}
	}
	return true
}

// act performs one timeline action (sim/action runs it); a refusal is
// recorded and the run goes on, as a person's kubectl would fail and they
// would carry on.
func (r *Running) act(a *scenarios.Action) { action.Run(r.actions, a.Do) }

// note records an action's outcome in the timeline and the trace.
func (r *Running) note(typ, verb, object, out string, err error) {
	e := r.Cluster.Engine
	msg := strings.TrimSpace(out)
	entryType := typ
	if err != nil {
		entryType = "Failed"
		if msg != "" {
			msg += "; "
		}
		msg += err.Error()
	}
	r.report.Timeline = append(r.report.Timeline, TimelineEntry{T: e.Elapsed(), Type: entryType, Reason: verb, Object: object, Message: msg})
	e.Trace().Add(sim.Record{T: e.Elapsed(), Component: "scenario", Verb: "action", Kind: "Action", Name: verb + " " + object, RV: r.Cluster.Store.Rev(), Summary: msg})
}

// watchEvents copies the cluster's Events into the timeline as they are
// written (kubectl get events --watch).
func (r *Running) watchEvents() {
	r.Cluster.Store.Watch("Event", 0, func(ev store.Event) {
		if ev.Type == store.Deleted {
			return
		}
		e := ev.Object.(*corev1.Event)
		ref := strings.ToLower(e.InvolvedObject.Kind) + "/" + e.InvolvedObject.Name
		r.report.Timeline = append(r.report.Timeline, TimelineEntry{
			T: r.Cluster.Engine.Elapsed(), Type: e.Type, Reason: e.Reason, Object: ref, Message: e.Message, Count: e.Count,
		})
	})
}

// Inject performs a timeline action at the current virtual time, after
// every event of this instant (exactly where the same action, replayed
// from a scenario file at this time, would run), and returns the timeline
// entries it produced.
func (r *Running) Inject(a scenarios.Action) []TimelineEntry {
	e := r.Cluster.Engine
	a.At = e.Elapsed()
	n := len(r.report.Timeline)
	done := false
	e.AtEnd(a.At, "input", func() {
		done = true
		r.act(&a)
	})
	for !done && e.Step() {
	}
	var out []TimelineEntry
	for _, t := range r.report.Timeline[n:] {
		if t.Type == "Action" || t.Type == "Failed" {
			out = append(out, t)
		}
	}
	return out
}

// Report is the report so far (final-state parts are filled by Finish;
// live frontends read Timeline).
func (r *Running) Report() *Report { return r.report }
