package live

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/kubectl"
)

// Command is one thing a person does to the cluster from a frontend.
type Command struct {
	// Verb: fail, recover, cordon, uncordon, drain (Node); scale
	// (Kind deployment|replicaset|statefulset, Namespace, Name, Replicas);
	// delete-pod (Namespace, Name); etcd-stop, etcd-start, etcd-partition,
	// etcd-heal (Member);
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
	actions, err := toActions(cmd)
	if err != nil {
		return "", err
	}
	if err := s.check(actions); err != nil {
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

func (s *Session) inject(cmd Command, a scenarios.Action) (string, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", ErrClosed
	}
	entries := s.run.Inject(a)
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
	s.publish()
	if rec.Err != "" {
		return rec.Output, errors.New(rec.Err)
	}
	return rec.Output, nil
}

// check rejects, before anything happens, actions a scenario file could
// not hold either: a node or etcd member that does not exist.
func (s *Session) check(actions []scenarios.Action) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range actions {
		for _, ref := range []*scenarios.NodeRef{a.Fail, a.Recover, a.Cordon, a.Uncordon, a.Drain} {
			if ref != nil {
				if _, ok := s.c.Node(ref.Node); !ok {
					return fmt.Errorf("no node %q (nodes: %s)", ref.Node, strings.Join(s.c.NodeNames(), ", "))
				}
			}
		}
		if e := a.Etcd; e != nil {
			name := e.Stop + e.Start + e.Partition + e.Heal
			found := false
			for _, m := range s.c.Etcd.Members() {
				found = found || m.Name == name
			}
			if !found {
				return fmt.Errorf("no etcd member %q", name)
			}
		}
	}
	return nil
}

// Recorded lists the commands injected so far, in order.
func (s *Session) Recorded() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.recorded...)
}

// toActions turns a command into the scenario timeline actions that do
// the same (an applied manifest of several objects is one action per
// object, as a scenario file spells it), so a live command and its replay
// share one code path.
func toActions(c Command) ([]scenarios.Action, error) {
	if c.Verb == "apply" {
		objs, err := scenarios.ParseManifest([]byte(c.Manifest))
		if err != nil {
			return nil, err
		}
		out := make([]scenarios.Action, len(objs))
		for i, o := range objs {
			out[i].Apply = &scenarios.ApplyRef{Objects: []scenarios.Object{o}}
		}
		return out, nil
	}
	a, err := toAction(c)
	if err != nil {
		return nil, err
	}
	return []scenarios.Action{a}, nil
}

func toAction(c Command) (scenarios.Action, error) {
	var a scenarios.Action
	need := func(v, what string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("live: %s needs %s", c.Verb, what)
		}
		return nil
	}
	switch c.Verb {
	case "fail", "recover", "cordon", "uncordon", "drain":
		if err := need(c.Node, "a node"); err != nil {
			return a, err
		}
		ref := &scenarios.NodeRef{Node: c.Node}
		switch c.Verb {
		case "fail":
			a.Fail = ref
		case "recover":
			a.Recover = ref
		case "cordon":
			a.Cordon = ref
		case "uncordon":
			a.Uncordon = ref
		case "drain":
			a.Drain = ref
		}
	case "scale":
		if err := need(c.Name, "a workload name"); err != nil {
			return a, err
		}
		kind := c.Kind
		if kind == "" {
			kind = "deployment"
		}
		if c.Replicas < 0 {
			return a, fmt.Errorf("live: replicas must be >= 0, not %d", c.Replicas)
		}
		a.Kubectl = fmt.Sprintf("scale %s/%s --replicas=%d%s", strings.ToLower(kind), c.Name, c.Replicas, nsFlag(c.Namespace))
	case "delete-pod":
		if err := need(c.Name, "a pod name"); err != nil {
			return a, err
		}
		a.Delete = &scenarios.DeleteRef{Kind: "Pod", Namespace: c.Namespace, Name: c.Name}
	case "etcd-stop", "etcd-start", "etcd-partition", "etcd-heal":
		if err := need(c.Member, "an etcd member"); err != nil {
			return a, err
		}
		switch c.Verb {
		case "etcd-stop":
			a.Etcd = &scenarios.EtcdAction{Stop: c.Member}
		case "etcd-start":
			a.Etcd = &scenarios.EtcdAction{Start: c.Member}
		case "etcd-partition":
			a.Etcd = &scenarios.EtcdAction{Partition: c.Member}
		default:
			a.Etcd = &scenarios.EtcdAction{Heal: c.Member}
		}
	case "kubectl":
		if _, err := kubectl.Parse(c.Line); err != nil {
			return a, err
		}
		a.Kubectl = c.Line
	default:
		return a, fmt.Errorf("live: unknown command %q", c.Verb)
	}
	return a, nil
}

func nsFlag(ns string) string {
	if ns == "" || ns == "default" {
		return ""
	}
	return " -n " + ns
}
