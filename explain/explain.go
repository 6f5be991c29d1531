// Package explain answers "why is this object in this state?" from a run's
// trace: it starts at the last record about the object and walks the
// cause links the engine recorded as events were emitted (each record is
// caused by the record its event acted upon), printing each step with
// the component that acted, its time and the upstream rule behind it.
// Nothing here is written per scenario: the chain is the trace's, the
// rules are a table of what each component does in Kubernetes.
package explain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/runner"
	"github.com/kubesim/kubesim/sim/store"
)

// Step is one link of a chain: a trace record and the rule that made the
// component write it.
type Step struct {
	ID     int64 // the record's line in the trace (1-based)
	Record sim.Record
	Rule   string
}

// Recorder keeps a run's records from the moment it is attached, with
// the trace's cause links.
type Recorder struct {
	tr    *sim.Trace
	first int64 // the id of recs[0]
	recs  []sim.Record
	keep  int // 0: every record; else at least the last keep records
}

// Attach starts recording a trace's records and cause links. Attach it
// before the run starts (runner.Options.Observe) to explain everything.
func Attach(tr *sim.Trace) *Recorder {
	tr.KeepLinks()
	r := &Recorder{tr: tr, first: tr.Len() + 1}
	tr.Subscribe(r.add)
	return r
}

// Bound makes the recorder keep only (at least) the last n records, for a
// session that runs for hours: a chain reaching further back ends there.
func (r *Recorder) Bound(n int) { r.keep = n }

func (r *Recorder) add(x *sim.Record) {
	if r.keep > 0 && len(r.recs) >= 2*r.keep {
		// Drop the older half in one copy: amortised O(1) per record.
		drop := len(r.recs) - r.keep
		r.recs = append(r.recs[:0:0], r.recs[drop:]...)
		r.first += int64(drop)
	}
	r.recs = append(r.recs, *x)
}

// Record returns record id (1-based, the trace's line number).
func (r *Recorder) Record(id int64) (sim.Record, bool) {
	i := id - r.first
	if i < 0 || i >= int64(len(r.recs)) {
		return sim.Record{}, false
	}
	return r.recs[i], true
}

// Cause is the record that led to record id (0: none known).
func (r *Recorder) Cause(id int64) int64 { return r.tr.Cause(id) }

// MaxSteps bounds a chain (a cause may lead back to the cluster's start).
const MaxSteps = 16

// Target is the last record about an object at or before at (0: none).
// An empty namespace matches any.
func (r *Recorder) Target(kind, namespace, name string, at time.Duration) int64 {
	for i := len(r.recs) - 1; i >= 0; i-- {
		x := &r.recs[i]
		if x.T <= at && x.Kind == kind && x.Name == name && (x.Namespace == namespace || namespace == "") {
			return r.first + int64(i)
		}
	}
	return 0
}

// Chain walks from record id back through its causes, newest first.
// Consecutive records of one component doing the same to one object (a
// pod's status updates) fold into the newest of them; the cluster's own
// bookkeeping (Events, Leases) is skipped.
func (r *Recorder) Chain(id int64) []Step {
	var out []Step
	seen := map[int64]bool{}
	for id > 0 && !seen[id] && len(out) < MaxSteps {
		seen[id] = true
		x, ok := r.Record(id)
		if !ok {
			break
		}
		next := r.Cause(id)
		switch n := len(out); {
		case x.Kind == "Event" || x.Kind == "Lease":
		case n > 0 && sameActor(&out[n-1].Record, &x):
			// keep the newest: it is the state the object reached
		default:
			out = append(out, Step{ID: id, Record: x, Rule: Rule(&x)})
		}
		id = next
	}
	return out
}

func sameActor(a, b *sim.Record) bool {
	return a.Component == b.Component && a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name && a.Verb == b.Verb
}

// rule is one line of the table: a record matches when its component
// starts with comp, and verb and kind match ("" = any), and its summary
// contains each of has.
type rule struct {
	comp, verb, kind string
	has              []string
	text             string
}

// rules say which upstream behaviour writes such a record. First match wins.
var rules = []rule{
	{"chaos", "fail", "Node", nil, "the machine died: its kubelet stops heartbeating (no Lease renewals, no status)"},
	{"chaos", "partition", "", nil, "the zone lost the control plane: its kubelets cannot reach the API server"},
	{"scenario", "action", "", []string{"drain"}, "kubectl drain: cordon, then evict every pod but DaemonSet ones through the Eviction API (PodDisruptionBudgets respected)"},
	{"scenario", "action", "", []string{"cordon"}, "kubectl cordon: spec.unschedulable=true"},
	{"scenario", "action", "", nil, "an action of the scenario's timeline or of a person"},
	{"kubectl", "delete", "Pod", nil, "kubectl: the pod is deleted or evicted (kubectl drain evicts through the Eviction API; a PodDisruptionBudget may refuse, and drain retries every 5s)"},
	{"kubectl", "update", "Node", []string{"unschedulable"}, "kubectl cordon (or the start of drain): spec.unschedulable=true, no new pods land here"},
	{"kubectl", "update", "Deployment", nil, "kubectl: the Deployment's spec changed (a new pod template starts a rollout)"},
	{"kubectl", "", "", nil, "kubectl"},
	{"node-lifecycle", "", "Node", []string{"unreachable:NoExecute"}, "node lifecycle controller: taint node.kubernetes.io/unreachable:NoExecute on a node whose Ready is Unknown (taint-based eviction)"},
	{"node-lifecycle", "", "Node", []string{"not-ready:NoExecute"}, "node lifecycle controller: taint node.kubernetes.io/not-ready:NoExecute on a node whose Ready is False"},
	{"node-lifecycle", "", "Node", []string{"unreachable:NoSchedule"}, "node lifecycle controller: taint node.kubernetes.io/unreachable:NoSchedule (TaintNodesByCondition)"},
	{"node-lifecycle", "", "Node", []string{"ready=Unknown"}, "node lifecycle controller: no heartbeat for node-monitor-grace-period (50s) → Ready=Unknown"},
	{"node-lifecycle", "", "Pod", nil, "node lifecycle controller: the pods of a node that is not ready are marked Ready=False"},
	{"taint-eviction", "delete", "Pod", nil, "taint eviction controller: the pod does not tolerate the NoExecute taint past its tolerationSeconds (300s, added by the DefaultTolerationSeconds admission plugin) → deleted"},
	{"taint-eviction", "", "Pod", nil, "taint eviction controller: DisruptionTarget condition before the deletion"},
	{"replicaset", "create", "Pod", nil, "ReplicaSet controller: fewer live pods than spec.replicas → create one from the template"},
	{"replicaset", "delete", "Pod", nil, "ReplicaSet controller: more pods than spec.replicas → delete one (the least valuable first)"},
	{"replicaset", "", "ReplicaSet", nil, "ReplicaSet controller: status (replicas, ready, available)"},
	{"deployment", "create", "ReplicaSet", nil, "Deployment controller: the pod template changed → a new ReplicaSet (pod-template-hash)"},
	{"deployment", "", "ReplicaSet", nil, "Deployment controller: rolling update, maxSurge/maxUnavailable (25%) bound the new and old ReplicaSets' replicas"},
	{"deployment", "", "", nil, "Deployment controller"},
	{"default-scheduler", "bind", "Pod", nil, "kube-scheduler: filter (NodeResourcesFit, taints, affinity…), score (NodeResourcesFit LeastAllocated, balance, spread), bind to the best node"},
	{"default-scheduler", "", "Pod", nil, "kube-scheduler: no node passed the filters → PodScheduled=False, Unschedulable; retried when the cluster changes"},
	{"kubelet", "", "Pod", nil, "kubelet: pod lifecycle (pull, create, start containers, probes) reported in the pod's status"},
	{"kubelet", "", "Node", nil, "kubelet: node status and heartbeats"},
	{"kube-apiserver", "", "Pod", []string{"evict"}, "Eviction API: the pod is deleted gracefully when its PodDisruptionBudget allows it"},
	{"kube-apiserver", "", "", nil, "API server"},
	{"disruption", "", "", nil, "disruption controller: PodDisruptionBudget status (disruptionsAllowed)"},
}

// Rule is the upstream behaviour behind a record ("" when the table has
// nothing to say about it).
func Rule(r *sim.Record) string {
	for _, ru := range rules {
		if !strings.HasPrefix(r.Component, ru.comp) || (ru.verb != "" && ru.verb != r.Verb) || (ru.kind != "" && ru.kind != r.Kind) {
			continue
		}
		ok := true
		for _, h := range ru.has {
			ok = ok && (strings.Contains(r.Summary, h) || strings.Contains(r.Name, h))
		}
		if ok {
			return ru.text
		}
	}
	return ""
}

// Format prints a chain oldest first, each step with its time, the gap
// since the step before, the component, what it did and the rule.
func Format(steps []Step) string {
	var b strings.Builder
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		r := s.Record
		gap := ""
		if i < len(steps)-1 {
			gap = " (+" + (r.T - steps[i+1].Record.T).Truncate(time.Millisecond).String() + ")"
		}
		obj := strings.ToLower(r.Kind) + "/" + r.Name
		fmt.Fprintf(&b, "%9s%s  %s %s %s", r.T.Truncate(time.Millisecond), gap, r.Component, r.Verb, obj)
		if r.Summary != "" {
			fmt.Fprintf(&b, ": %s", strings.ReplaceAll(r.Summary, "\n", " · "))
		}
		b.WriteByte('\n')
		if s.Rule != "" {
			fmt.Fprintf(&b, "           why: %s\n", s.Rule)
		}
		if i > 0 {
			b.WriteString("           ↓\n")
		}
	}
	return b.String()
}

// Run runs a scenario up to virtual time at (its end if at is 0) with
// cause links kept, for Chain.
func Run(s *scenarios.Scenario, seed *uint64, at time.Duration) (*Recorder, *runner.Running, error) {
	var rec *Recorder
	r, err := runner.Start(s, runner.Options{Seed: seed, Observe: func(c *cluster.Cluster) { rec = Attach(c.Engine.Trace()) }})
	if err != nil {
		return nil, nil, err
	}
	if at <= 0 || at > s.Duration && s.Duration > 0 {
		at = s.Duration
	}
	r.Cluster.Engine.RunUntil(at)
	if err := r.Cluster.Engine.Err(); err != nil {
		return nil, nil, err
	}
	return rec, r, nil
}

// ParseObject reads "pod/NAME" (any kubectl spelling of the kind: po,
// pods, node, no, deploy, rs, ...) into a store kind and a name.
func ParseObject(arg string) (kind, name string, err error) {
	k, n, ok := strings.Cut(arg, "/")
	if !ok || k == "" || n == "" {
		return "", "", fmt.Errorf("%q: name an object as KIND/NAME, e.g. pod/web-7d9c-x2k4f or node/general-2", arg)
	}
	for _, kn := range store.Kinds() {
		info, _ := store.LookupKind(kn)
		if strings.EqualFold(k, kn) || slices.Contains(info.Names(), strings.ToLower(k)) {
			return kn, n, nil
		}
	}
	return "", "", fmt.Errorf("%q: unknown kind %q (try pod, node, deployment, replicaset)", arg, k)
}
