package live

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/action"
)

// Command is one thing a person does to the cluster from a frontend.
type Command struct {
	// Verb: fail, recover, cordon, uncordon, drain (Node); scale
	// (Kind deployment|replicaset|statefulset, Namespace, Name, Replicas);
	// delete-pod (Namespace, Name); etcd-stop, etcd-start, etcd-partition,
	// etcd-heal (Member), etcd-snapshot, etcd-restore (Member: the
	// snapshot's name);
	// apply (Manifest: one YAML object); kubectl (Line).
	Verb      string
	Node      string
	Kind      string
	Namespace string
	Name      string
	Replicas  int32
	Member    string
	Manifest  string
	Line      string
}

// Recorded is a command as it was injected, with its outcome.
type Recorded struct {
	At      time.Duration
	Command Command
	Action  scenarios.Action
	Output  string
	Err     string
}

// Do injects cmd at the current virtual time, records it and returns what
// it printed. A refusal (e.g. a write without etcd quorum) is an error
// but still recorded, as in a scenario timeline.
func (s *Session) Do(cmd Command) (string, error) {
	actions, err := s.toActions(cmd)
	if err != nil {
		return "", err
	}
	if len(actions) == 1 {
		return s.inject(cmd, actions[0])
	}
	var outs, errs []string
	for _, a := range actions {
		out, err := s.inject(cmd, a)
		if out != "" {
			outs = append(outs, out)
		}
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return strings.Join(outs, "\n"), errors.New(strings.Join(errs, "\n"))
	}
	return strings.Join(outs, "\n"), nil
}

// Act performs any timeline action, given as a scenario file's timeline
// entry holds it (name "partition", value {zone: us-east-1a, for: 2m}),
// at the current virtual time and records it: every action of the
// registry (sim/action) is available live, checked as the loader checks
// it, against the running cluster.
func (s *Session) Act(name string, value any) (string, error) {
	s.mu.Lock()
	w := s.worldLocked()
	s.mu.Unlock()
	a, err := s.scenario.ParseAction(name, value, w)
	if err != nil {
		return "", err
	}
	return s.inject(Command{Verb: name}, scenarios.Action{Do: a})
}

func (s *Session) inject(cmd Command, a scenarios.Action) (string, error) {
	if !s.lockOpen() {
		return "", ErrClosed
	}
	if err := s.stoppedLocked(); err != nil {
		s.mu.Unlock()
		return "", err
	}
	entries := s.run.Inject(a)
	if len(entries) == 0 && s.c.Engine.Err() != nil {
		// The engine stopped before the command's turn came (a livelock
		// in the instant, or Close): nothing ran.
		err := s.haltErrLocked()
		s.mu.Unlock()
		return "", err
	}
	a.At = s.c.Engine.Elapsed()
	rec := Recorded{At: a.At, Command: cmd, Action: a}
	var out []string
	var errs []string
	for _, e := range entries {
		if e.Type == "Failed" {
			errs = append(errs, e.Message)
		} else if e.Message != "" {
			out = append(out, e.Message)
		}
	}
	rec.Output, rec.Err = strings.Join(out, "\n"), strings.Join(errs, "\n")
	s.recorded = append(s.recorded, rec)
	s.refreshLocked()
	s.mu.Unlock()
	s.poke() // the command may have scheduled work before the loop's next wake
	s.publish()
	if rec.Err != "" {
		return rec.Output, errors.New(rec.Err)
	}
	return rec.Output, nil
}

// Recorded lists the commands injected so far, in order.
func (s *Session) Recorded() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.recorded...)
}

// toActions turns a command into the scenario timeline actions that do
// the same (an applied manifest of several objects is one action per
// object, as a scenario file spells it), parsed and checked by the same
// registry entries as a scenario file's timeline, against the cluster as
// it is now: a live command and its replay share one code path.
func (s *Session) toActions(c Command) ([]scenarios.Action, error) {
	var values []any
	name := c.Verb
	if c.Verb == "apply" {
		objs, err := scenarios.ParseManifest([]byte(c.Manifest))
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			m, err := action.ManifestMap(o.Obj)
			if err != nil {
				return nil, err
			}
			values = append(values, map[string]any{"manifest": m})
		}
	} else {
		var v any
		var err error
		name, v, err = c.timelineValue()
		if err != nil {
			return nil, err
		}
		values = []any{v}
	}
	s.mu.Lock()
	w := s.worldLocked()
	s.mu.Unlock()
	out := make([]scenarios.Action, len(values))
	for i, v := range values {
		a, err := s.scenario.ParseAction(name, v, w)
		if err != nil {
			return nil, err
		}
		out[i].Do = a
	}
	return out, nil
}

// timelineValue is the timeline action (name and YAML value) that does
// what the command asks.
func (c Command) timelineValue() (string, any, error) {
	need := func(v, what string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("live: %s needs %s", c.Verb, what)
		}
		return nil
	}
	switch verb, op, isEtcd := strings.Cut(c.Verb, "-"); {
	case slices.Contains(nodeVerbs, c.Verb):
		return c.Verb, map[string]any{"node": c.Node}, need(c.Node, "a node")
	case verb == "etcd" && isEtcd && slices.Contains(action.EtcdOps, op):
		return "etcd", map[string]any{op: c.Member}, need(c.Member, "an etcd member")
	case c.Verb == "scale":
		if err := need(c.Name, "a workload name"); err != nil {
			return "", nil, err
		}
		if c.Replicas < 0 {
			return "", nil, fmt.Errorf("live: replicas must be >= 0, not %d", c.Replicas)
		}
		return "kubectl", fmt.Sprintf("scale %s/%s --replicas=%d%s", strings.ToLower(cmp.Or(c.Kind, "deployment")), c.Name, c.Replicas, nsFlag(c.Namespace)), nil
	case c.Verb == "delete-pod":
		m := map[string]any{"kind": "Pod", "name": c.Name}
		if c.Namespace != "" {
			m["namespace"] = c.Namespace
		}
		return "delete", m, need(c.Name, "a pod name")
	case c.Verb == "kubectl":
		return "kubectl", c.Line, nil
	}
	return "", nil, fmt.Errorf("live: unknown command %q", c.Verb)
}

// nodeVerbs are the commands that are the timeline action of that name
// on Node.
var nodeVerbs = []string{"fail", "recover", "cordon", "uncordon", "drain"}

// worldLocked is the running cluster as the actions' checks see it.
func (s *Session) worldLocked() *action.World {
	c := s.c
	names := c.NodeNames()
	hint := strings.Join(names, ", ")
	if len(names) > 8 {
		hint = fmt.Sprintf("%s, … %s (%d nodes)", strings.Join(names[:3], ", "), names[len(names)-1], len(names))
	}
	w := &action.World{Nodes: map[string]bool{}, NodeHint: "nodes: " + hint,
		Zones: c.Config().Zones, Snapshots: map[string]bool{}}
	for _, n := range names {
		w.Nodes[n] = true
	}
	for _, m := range c.Etcd.Members() {
		w.EtcdMembers = append(w.EtcdMembers, m.Name)
	}
	for _, n := range c.Etcd.SnapshotNames() {
		w.Snapshots[n] = true
	}
	return w
}

func nsFlag(ns string) string {
	if ns == "" || ns == "default" {
		return ""
	}
	return " -n " + ns
}
