package kubectl

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/sim/store"
)

// resolveKind maps a user-typed resource type to a kind, case-insensitively
// as kubectl does ("Deployment", "deploy", "deployments.apps"), from the
// store's kind table: every kind the API server serves has its names here.
func resolveKind(typ string) (string, error) {
	if k, ok := store.LookupResource(typ); ok {
		return k.Kind, nil
	}
	return "", &Error{Msg: fmt.Sprintf("error: the server doesn't have a resource type %q", typ), UnknownType: typ}
}

// ref is kubectl's "kind.group/name" spelling of an object
// (deployment.apps/web, pod/web-abc), used in every success message.
func ref(kind, name string) string {
	return kindString(kind) + "/" + name
}

// kindString is the lower-case kind qualified by its API group.
func kindString(kind string) string {
	k := strings.ToLower(kind)
	if info, ok := store.LookupKind(kind); ok && info.GroupVersion.Group != "" {
		k += "." + info.GroupVersion.Group
	}
	return k
}

// Target names one object a command acts on.
type Target struct {
	Kind string // store kind: "Deployment", "Pod", "Node", ...
	Name string
}

// errTypeAndSlash is kubectl's complaint about "TYPE TYPE/NAME".
var errTypeAndSlash = errorf("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'")

// errNoResources is kubectl's message when no object was named.
var errNoResources = errorf("You must provide one or more resources by argument or filename.\n" +
	"Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")

// parseTargets reads "TYPE NAME..." or "TYPE/NAME..." arguments. It returns
// the kind of the TYPE form (also when no name follows, for -l/--all) and
// the named targets.
func parseTargets(args []string) (kind string, targets []Target, err error) {
	if len(args) == 0 {
		return "", nil, nil
	}
	if strings.Contains(args[0], "/") {
		for _, a := range args {
			typ, name, ok := strings.Cut(a, "/")
			if !ok || name == "" || typ == "" {
				return "", nil, errTypeAndSlash
			}
			k, err := resolveKind(typ)
			if err != nil {
				return "", nil, err
			}
			targets = append(targets, Target{Kind: k, Name: name})
		}
		return "", targets, nil
	}
	kind, err = resolveKind(args[0])
	if err != nil {
		return "", nil, err
	}
	for _, a := range args[1:] {
		if strings.Contains(a, "/") {
			return "", nil, errTypeAndSlash
		}
		targets = append(targets, Target{Kind: kind, Name: a})
	}
	return kind, targets, nil
}
