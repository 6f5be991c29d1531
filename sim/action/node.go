package action

import (
	"fmt"
)

// Fail stops a node's machine: its kubelet stops, its heartbeats end.
type Fail struct{ Node string }

// Recover starts a failed node's machine again.
type Recover struct{ Node string }

// Cordon marks a node unschedulable (kubectl cordon).
type Cordon struct{ Node string }

// Uncordon marks a node schedulable again (kubectl uncordon).
type Uncordon struct{ Node string }

// Drain cordons a node and evicts its pods (kubectl drain
// --ignore-daemonsets --delete-emptydir-data).
type Drain struct{ Node string }

func (*Fail) ActionName() string     { return "fail" }
func (*Recover) ActionName() string  { return "recover" }
func (*Cordon) ActionName() string   { return "cordon" }
func (*Uncordon) ActionName() string { return "uncordon" }
func (*Drain) ActionName() string    { return "drain" }

func init() {
	nodeEntry(func(n string) *Fail { return &Fail{n} }, func(a *Fail) string { return a.Node },
		func(env *Env, node string) {
			env.Note("fail", "node/"+node, "", env.Cluster.FailNode(node))
		})
	nodeEntry(func(n string) *Recover { return &Recover{n} }, func(a *Recover) string { return a.Node },
		func(env *Env, node string) {
			env.Note("recover", "node/"+node, "", env.Cluster.RecoverNode(node))
		})
	nodeEntry(func(n string) *Cordon { return &Cordon{n} }, func(a *Cordon) string { return a.Node },
		func(env *Env, node string) { RunKubectl(env, "cordon "+node) })
	nodeEntry(func(n string) *Uncordon { return &Uncordon{n} }, func(a *Uncordon) string { return a.Node },
		func(env *Env, node string) { RunKubectl(env, "uncordon "+node) })
	nodeEntry(func(n string) *Drain { return &Drain{n} }, func(a *Drain) string { return a.Node },
		func(env *Env, node string) {
			RunKubectl(env, "drain "+node+" --ignore-daemonsets --delete-emptydir-data")
		})
}

// nodeEntry registers an action whose value is {node: <name>}.
func nodeEntry[A Action](mk func(string) A, node func(A) string, run func(env *Env, node string)) {
	name := nameOf[A]()
	Register(Entry[A]{
		Example: "{node: general-1}",
		Fields:  []string{"node"},
		ParseFields: func(d Decoder, f *Fields) (A, bool) {
			v, ok := d.RequiredString(f, "node", name)
			if !ok {
				var zero A
				return zero, false
			}
			return mk(v), true
		},
		Validate: func(a A, w *World) *Problem { return checkNode(w, name, "node", node(a)) },
		Run:      func(env *Env, a A) { run(env, node(a)) },
		Write:    func(a A) (any, error) { return map[string]any{"node": node(a)}, nil },
	})
}

// checkNode reports a node the cluster does not have (at start, or added
// by the autoscaler up to its group's max).
func checkNode(w *World, path, field, name string) *Problem {
	if w.Nodes[name] {
		return nil
	}
	return &Problem{Field: field, Msg: fmt.Sprintf("%s: no node %q in this cluster", path, name), Hint: w.NodeHint}
}
