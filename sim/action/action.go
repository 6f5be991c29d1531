// Package action is the vocabulary of timeline actions: fail, recover,
// cordon, uncordon, drain, partition, etcd, kubectl, apply, delete, api.
// Each action is one registry entry holding everything the simulator does
// with it: its parse from a scenario file's YAML (positioned errors with
// hints), its validation against the cluster (a node, etcd member, zone or
// snapshot that must exist), its run inside the simulation, and its
// write-back to YAML (a live session saved as a scenario). The scenario
// loader, the runner, the live session's commands and the session saver
// all go through this table, so a new action is one Register call in one
// file of this package.
package action

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/kubectl"
	"github.com/kubesim/kubesim/sim/store"
)

// Action is one timeline action's arguments. Its concrete type is the
// pointer type registered for ActionName().
type Action interface {
	// ActionName is the action's key in a timeline entry ("fail",
	// "etcd"). It does not read its receiver: the registry asks a nil
	// value of the registered type.
	ActionName() string
}

// Decoder reads YAML for Parse and reports problems at the node they are
// about (file:line:column, with a hint). The scenario loader implements
// it; it also reads the manifests an action refers to.
type Decoder interface {
	// Errorf reports a problem at n; hint may be "".
	Errorf(n *yaml.Node, hint, format string, args ...any)
	// Errors is the number of problems reported so far.
	Errors() int
	// Mapping checks that n is a mapping with only allowed keys.
	Mapping(n *yaml.Node, path string, allowed ...string) (*Fields, bool)
	String(n *yaml.Node, path string) (string, bool)
	// RequiredString reads field name of f, reporting it when missing.
	RequiredString(f *Fields, name, path string) (string, bool)
	Integer(n *yaml.Node, path string, lo, hi int64) (int64, bool)
	Duration(n *yaml.Node, path string) (time.Duration, bool)

	// ApplyFile reads the manifest file named by the scalar n (its
	// objects decoded strictly, duplicates reported).
	ApplyFile(n *yaml.Node, path string) []store.Object
	// ApplyManifest decodes one inline manifest.
	ApplyManifest(n *yaml.Node) (store.Object, bool)
	// KubectlFiles reads the files of a `kubectl apply -f` now, so a
	// broken file fails the load, and keeps them for the run.
	KubectlFiles(n *yaml.Node, files []string)
	// Object decodes n into obj as the API server would receive it.
	Object(n *yaml.Node, path string, obj any) bool
}

// Fields is a YAML mapping whose keys were checked against the allowed
// names: values and keys by name, aliases resolved.
type Fields struct {
	Node       *yaml.Node
	Vals, Keys map[string]*yaml.Node
	// Order lists the keys present, in file order.
	Order []string
}

// Has reports whether the field is present.
func (f *Fields) Has(name string) bool { _, ok := f.Vals[name]; return ok }

// World is what Validate checks an action against: the cluster as a
// scenario file describes it (at load time) or as it runs (live). Each
// validated snapshot is added to Snapshots, so a later restore finds it.
type World struct {
	Nodes       map[string]bool
	NodeHint    string // e.g. "nodes: general-1..general-3"
	EtcdMembers []string
	Zones       []string
	Snapshots   map[string]bool
}

// Problem is a validation failure: the message and hint as the scenario
// loader prints them, and the field of the action's value it is about, a
// dotted path of keys ("node", "insufficientCapacity.zone"; "" = the
// value itself), where the loader positions the error.
type Problem struct {
	Field, Msg, Hint string
}

func (p *Problem) Error() string {
	if p.Hint == "" {
		return p.Msg
	}
	return p.Msg + "; " + p.Hint
}

// Env is what Run needs: the cluster, the kubectl the timeline types into,
// and where to note the outcome (the report's timeline and the trace).
type Env struct {
	Cluster *cluster.Cluster
	Kubectl *kubectl.Env
	Note    func(verb, object, out string, err error)
}

// Entry declares one action. A is its pointer type (*Fail), whose
// ActionName is the action's name.
type Entry[A Action] struct {
	// Example is a complete timeline value, shown when the entry is
	// malformed ("{node: general-1}").
	Example string
	// Fields are the keys of an action whose value is a mapping: the
	// registry checks the mapping against them and hands it to
	// ParseFields. An action of another shape (kubectl's command line)
	// sets Parse instead.
	Fields      []string
	ParseFields func(d Decoder, f *Fields) (A, bool)
	// Parse reads the action's YAML value; problems go to d.
	Parse func(d Decoder, n *yaml.Node) (A, bool)
	// Validate checks the action against the cluster (nil: nothing to
	// check).
	Validate func(a A, w *World) *Problem
	// Run performs the action at the current virtual time; a refusal is
	// noted, not returned, as a person's command would fail and they
	// would carry on.
	Run func(env *Env, a A)
	// Write renders the action as its YAML value (the inverse of Parse).
	Write func(a A) (any, error)
	// Files lists the files the action refers to (nil: none); a saved
	// session copies them.
	Files func(a A) []string
}

// def is an Entry with its type erased.
type def struct {
	name, example string
	typ           reflect.Type
	parse         func(d Decoder, n *yaml.Node) (Action, bool)
	validate      func(a Action, w *World) *Problem
	run           func(env *Env, a Action)
	write         func(a Action) (any, error)
	files         func(a Action) []string
}

var (
	defs  = map[string]*def{}
	order []string
)

// Register adds an action to the vocabulary. It panics on a duplicate or
// incomplete entry (a programming error, found by any test).
func Register[A Action](e Entry[A]) {
	name := nameOf[A]()
	if _, dup := defs[name]; dup || name == "" || (e.Parse == nil) == (e.ParseFields == nil) ||
		(e.Fields == nil) != (e.ParseFields == nil) || e.Run == nil || e.Write == nil {
		panic(fmt.Sprintf("action: bad or duplicate entry %q", name))
	}
	parse := e.Parse
	if e.ParseFields != nil {
		parse = func(dec Decoder, n *yaml.Node) (A, bool) {
			f, ok := dec.Mapping(n, name, e.Fields...)
			if !ok {
				var zero A
				return zero, false
			}
			return e.ParseFields(dec, f)
		}
	}
	d := &def{
		name: name, example: e.Example, typ: reflect.TypeFor[A](),
		parse: func(dec Decoder, n *yaml.Node) (Action, bool) {
			a, ok := parse(dec, n)
			return a, ok
		},
		run:   func(env *Env, a Action) { e.Run(env, a.(A)) },
		write: func(a Action) (any, error) { return e.Write(a.(A)) },
	}
	if e.Validate != nil {
		d.validate = func(a Action, w *World) *Problem { return e.Validate(a.(A), w) }
	}
	if e.Files != nil {
		d.files = func(a Action) []string { return e.Files(a.(A)) }
	}
	defs[name] = d
	order = append(order, name)
}

// nameOf is the name of the action type A.
func nameOf[A Action]() string {
	var zero A
	return zero.ActionName()
}

// Names lists the actions, sorted (hints list them so).
func Names() []string { return slices.Sorted(slices.Values(order)) }

// Example is a valid value of the named action, for hints.
func Example(name string) string {
	if d, ok := defs[name]; ok {
		return d.example
	}
	return ""
}

// Known reports whether name is a registered action.
func Known(name string) bool { _, ok := defs[name]; return ok }

func lookup(a Action) (*def, error) {
	if v := reflect.ValueOf(a); a == nil || v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, fmt.Errorf("action: no action")
	}
	d, ok := defs[a.ActionName()]
	if !ok || reflect.TypeOf(a) != d.typ {
		return nil, fmt.Errorf("action: %T is not a registered action", a)
	}
	return d, nil
}

// Parse reads the value of the timeline key name.
func Parse(dec Decoder, name string, n *yaml.Node) (Action, bool) {
	d, ok := defs[name]
	if !ok {
		return nil, false
	}
	return d.parse(dec, n)
}

// Validate checks a against the world; nil means it may run.
func Validate(a Action, w *World) *Problem {
	d, err := lookup(a)
	if err != nil {
		return &Problem{Msg: err.Error()}
	}
	if d.validate == nil {
		return nil
	}
	return d.validate(a, w)
}

// Run performs a at the current virtual time.
func Run(env *Env, a Action) {
	d, err := lookup(a)
	if err != nil {
		env.Note("action", fmt.Sprintf("%T", a), "", err)
		return
	}
	d.run(env, a)
}

// Write renders a as its timeline value.
func Write(a Action) (any, error) {
	d, err := lookup(a)
	if err != nil {
		return nil, err
	}
	return d.write(a)
}

// Files lists the files a refers to.
func Files(a Action) []string {
	d, err := lookup(a)
	if err != nil || d.files == nil {
		return nil
	}
	return d.files(a)
}
