package kubectl

import (
	"slices"
	"strings"
	"time"

	"github.com/kubesim/kubesim/internal/textdist"
)

// Verb is the command a Command runs; two-word commands keep both words.
type Verb string

// The supported commands.
const (
	Scale            Verb = "scale"
	Apply            Verb = "apply"
	Delete           Verb = "delete"
	Cordon           Verb = "cordon"
	Uncordon         Verb = "uncordon"
	Drain            Verb = "drain"
	Taint            Verb = "taint"
	Label            Verb = "label"
	Annotate         Verb = "annotate"
	RolloutUndo      Verb = "rollout undo"
	RolloutRestart   Verb = "rollout restart"
	SetImage         Verb = "set image"
	CreateDeployment Verb = "create deployment"
	Expose           Verb = "expose"
	RunPod           Verb = "run"
)

// Command is one parsed kubectl invocation. Only the fields of its Verb
// are meaningful; the rest keep their zero values (or -1 where noted).
type Command struct {
	Verb Verb
	// Line is the command line as given.
	Line string
	// Namespace is -n/--namespace; empty means "default".
	Namespace string

	// Kind is the TYPE argument (the kind selected by -l/--all), and
	// Targets the objects named by argument.
	Kind     string
	Targets  []Target
	Selector string // -l/--selector
	All      bool   // --all

	Files []string // apply -f (resolved by Env.ReadFile)

	Replicas        int32 // scale --replicas, create deployment --replicas
	CurrentReplicas int32 // scale --current-replicas; -1 if unset

	GracePeriod    int64 // delete/drain --grace-period; -1 if unset
	Force          bool  // delete/drain --force
	Now            bool  // delete --now
	IgnoreNotFound bool  // delete --ignore-not-found

	IgnoreDaemonSets   bool          // drain --ignore-daemonsets
	DeleteEmptyDirData bool          // drain --delete-emptydir-data
	DisableEviction    bool          // drain --disable-eviction
	Timeout            time.Duration // drain --timeout; 0 = forever

	Overwrite bool         // taint/label/annotate --overwrite
	Taints    []TaintSpec  // taint
	Updates   []MetaUpdate // label/annotate

	ToRevision int64 // rollout undo --to-revision; 0 = previous

	Images []ContainerImage // set image CONTAINER=IMAGE

	// create deployment / expose / run
	Name       string   // the NAME argument
	Image      []string // --image (create deployment accepts several)
	Port       int32    // --port; -1 if unset
	TargetPort string   // expose --target-port
	Service    string   // expose --name
	Type       string   // expose --type
	Protocol   string   // expose --protocol
	Labels     string   // run --labels
	Restart    string   // run --restart
}

// TaintSpec is one taint argument: add "key[=value]:Effect", or remove
// "key[:Effect]-".
type TaintSpec struct {
	Key, Value, Effect string
	Remove             bool
}

// MetaUpdate is one label or annotation argument: "key=value" or "key-".
type MetaUpdate struct {
	Key, Value string
	Remove     bool
}

// ContainerImage is one "CONTAINER=IMAGE" argument of set image ("*"
// selects every container).
type ContainerImage struct{ Container, Image string }

// cmdDef declares a command: its flags, how it reads its positional
// arguments, and its sub-commands.
type cmdDef struct {
	verb  Verb
	flags []flagSpec
	parse func(c *Command, f *flagValues, args []string) error
	subs  map[string]*cmdDef // sub-command name (and aliases) -> def
}

// commands is filled in init to break the initialisation cycle through
// the parse functions.
var commands map[string]*cmdDef

// kubectlCommands lists every top-level command of the real kubectl, so
// that typos get kubectl's suggestions and real-but-unsupported commands
// get a clear message.
var kubectlCommands = []string{
	"annotate", "api-resources", "api-versions", "apply", "attach", "auth", "autoscale",
	"certificate", "cluster-info", "completion", "config", "cordon", "cp", "create", "debug",
	"delete", "describe", "diff", "drain", "edit", "events", "exec", "explain", "expose", "get",
	"help", "kustomize", "label", "logs", "options", "patch", "plugin", "port-forward", "proxy",
	"replace", "rollout", "run", "scale", "set", "taint", "top", "uncordon", "version", "wait",
}

// Parse reads one kubectl command line ("kubectl" in front is optional).
// Errors are worded like kubectl's and never panic.
func Parse(line string) (*Command, error) {
	words, err := SplitWords(line)
	if err != nil {
		return nil, err
	}
	if len(words) > 0 && words[0] == "kubectl" {
		words = words[1:]
	}
	def, rest, err := findCommand(words)
	if err != nil {
		return nil, err
	}
	f, args, err := parseFlags(def.flags, rest)
	if err != nil {
		return nil, err
	}
	c := &Command{Verb: def.verb, Line: line, Namespace: f.str("namespace"),
		CurrentReplicas: -1, GracePeriod: -1, Port: -1}
	if f.has("namespace") && c.Namespace == "" {
		return nil, errorf("flag needs an argument: --namespace")
	}
	if err := def.parse(c, f, args); err != nil {
		return nil, err
	}
	return c, nil
}

// findCommand picks the command (and sub-command) words out of words,
// skipping global flags in front of them, and returns the other words.
func findCommand(words []string) (*cmdDef, []string, error) {
	var rest []string
	var def *cmdDef
	path := ""
	for i := 0; i < len(words); i++ {
		w := words[i]
		if strings.HasPrefix(w, "-") && w != "-" {
			if w == "--" {
				rest = append(rest, words[i:]...)
				break
			}
			rest = append(rest, w)
			if (w == "-n" || w == "--namespace") && i+1 < len(words) {
				i++
				rest = append(rest, words[i])
			}
			continue
		}
		if def != nil && def.subs == nil {
			rest = append(rest, words[i:]...)
			break
		}
		next, err := lookupCommand(def, path, w, words[i:])
		if err != nil {
			return nil, nil, err
		}
		def, path = next, strings.TrimSpace(path+" "+w)
	}
	if def == nil {
		if len(rest) > 0 {
			if _, _, err := parseFlags(nil, rest); err != nil {
				return nil, nil, err
			}
		}
		return nil, nil, errorf("a command is required, one of: %s", supportedList())
	}
	if def.subs != nil {
		return nil, nil, errorf("%q requires a sub-command, one of: %s", "kubectl "+path, subList(def))
	}
	return def, rest, nil
}

func lookupCommand(parent *cmdDef, path, w string, remaining []string) (*cmdDef, error) {
	if parent == nil {
		if d, ok := commands[w]; ok {
			return d, nil
		}
		if slices.Contains(kubectlCommands, w) {
			return nil, errorf("%q is not supported in the simulator; supported commands: %s", "kubectl "+w, supportedList())
		}
		return nil, unknownCommand(w)
	}
	if d, ok := parent.subs[w]; ok {
		return d, nil
	}
	if path == "create" {
		return nil, errorf("Unexpected args: [%s]", strings.Join(remaining, " "))
	}
	return nil, errorf("unknown command %q", strings.Join(remaining, " "))
}

// unknownCommand is cobra's error with its "Did you mean this?" list
// (Levenshtein distance ≤ 2, or a prefix of a command).
func unknownCommand(w string) error {
	msg := "error: unknown command \"" + w + "\" for \"kubectl\""
	var sugg []string
	for _, name := range kubectlCommands {
		if textdist.Levenshtein(strings.ToLower(w), name) <= 2 || strings.HasPrefix(name, strings.ToLower(w)) {
			sugg = append(sugg, name)
		}
	}
	if len(sugg) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(sugg, "\n\t")
	}
	return &Error{Msg: msg}
}

func supportedList() string {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func subList(d *cmdDef) string {
	names := make([]string, 0, len(d.subs))
	for name, sub := range d.subs {
		if string(sub.verb) == d.verb.String()+" "+name {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func (v Verb) String() string { return string(v) }
