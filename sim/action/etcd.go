package action

import (
	"fmt"
	"slices"
	"strings"
)

// EtcdOps are the operations of an etcd action: stop, start, partition
// and heal name a member (etcd-1..etcd-N); snapshot and restore name a
// snapshot.
var EtcdOps = []string{"stop", "start", "partition", "heal", "snapshot", "restore"}

// Etcd is one etcd operation: Op is one of EtcdOps, Arg its member or
// snapshot name.
type Etcd struct{ Op, Arg string }

func (*Etcd) ActionName() string { return "etcd" }

func init() {
	Register(Entry[*Etcd]{
		Example:     "{stop: etcd-1}",
		Fields:      EtcdOps,
		ParseFields: parseEtcd,
		Validate:    validateEtcd,
		Run:         runEtcd,
		Write:       func(a *Etcd) (any, error) { return map[string]any{a.Op: a.Arg}, nil },
	})
}

// parseEtcd reads exactly one operation.
func parseEtcd(d Decoder, f *Fields) (*Etcd, bool) {
	if len(f.Order) != 1 {
		at := f.Node
		if len(f.Order) > 1 {
			at = f.Keys[f.Order[1]]
		}
		d.Errorf(at, "e.g. `etcd: {stop: etcd-1}`; use one timeline entry per operation", "etcd: expected exactly one of "+strings.Join(EtcdOps, ", "))
		return nil, false
	}
	op := f.Order[0]
	v := f.Vals[op]
	arg, ok := d.String(v, "etcd."+op)
	if !ok {
		return nil, false
	}
	if isSnapshotOp(op) && strings.TrimSpace(arg) == "" {
		d.Errorf(v, "", "etcd.%s: empty snapshot name", op)
		return nil, false
	}
	return &Etcd{Op: op, Arg: arg}, true
}

func isSnapshotOp(op string) bool { return op == "snapshot" || op == "restore" }

// validateEtcd checks the member, records a snapshot, and checks that a
// restore names one taken earlier.
func validateEtcd(a *Etcd, w *World) *Problem {
	switch {
	case a.Op == "snapshot":
		if w.Snapshots == nil {
			w.Snapshots = map[string]bool{}
		}
		w.Snapshots[a.Arg] = true
		return nil
	case a.Op == "restore":
		if w.Snapshots[a.Arg] {
			return nil
		}
		hint := "take it first with an earlier `etcd: {snapshot: " + a.Arg + "}`"
		if len(w.Snapshots) > 0 {
			hint = "snapshots taken before this point: " + strings.Join(slices.Sorted(mapKeys(w.Snapshots)), ", ")
		}
		return &Problem{Field: a.Op, Msg: fmt.Sprintf("etcd.restore: no snapshot %q was taken before this point", a.Arg), Hint: hint}
	case !slices.Contains(EtcdOps, a.Op):
		return &Problem{Msg: fmt.Sprintf("etcd: unknown operation %q", a.Op), Hint: "operations: " + strings.Join(EtcdOps, ", ")}
	case slices.Contains(w.EtcdMembers, a.Arg):
		return nil
	}
	hint := "members: (none)"
	if m := w.EtcdMembers; len(m) > 0 {
		hint = "members: " + m[0] + ".." + m[len(m)-1]
	}
	return &Problem{Field: a.Op, Msg: fmt.Sprintf("etcd: no member %q (the cluster has %d etcd members)", a.Arg, len(w.EtcdMembers)), Hint: hint}
}

func runEtcd(env *Env, a *Etcd) {
	e := env.Cluster.Etcd
	switch a.Op {
	case "stop":
		env.Note("etcd stop", a.Arg, "", e.Stop(a.Arg))
	case "start":
		env.Note("etcd start", a.Arg, "", e.Start(a.Arg))
	case "partition":
		env.Note("etcd partition", a.Arg, "", e.Partition(a.Arg))
	case "heal":
		env.Note("etcd heal", a.Arg, "", e.Heal(a.Arg))
	case "snapshot":
		env.Note("etcd snapshot save", a.Arg, "Snapshot saved at "+a.Arg, e.Snapshot(a.Arg))
	case "restore":
		out, err := e.Restore(a.Arg)
		env.Note("etcd snapshot restore", a.Arg, out, err)
	default:
		env.Note("etcd", a.Op, "", fmt.Errorf("unknown etcd operation %q", a.Op))
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
