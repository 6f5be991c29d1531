package kubectl

import (
	"strings"

	"github.com/kubesim/kubesim/sim/store"
)

// resourceAliases maps every spelling kubectl accepts for a resource type
// (singular, plural, short name, plural.group) to the store's kind.
var resourceAliases = buildAliases([]struct {
	kind  string
	names []string
}{
	{"Pod", []string{"pod", "pods", "po"}},
	{"Node", []string{"node", "nodes", "no"}},
	{"Namespace", []string{"namespace", "namespaces", "ns"}},
	{"Service", []string{"service", "services", "svc"}},
	{"ConfigMap", []string{"configmap", "configmaps", "cm"}},
	{"Secret", []string{"secret", "secrets"}},
	{"ServiceAccount", []string{"serviceaccount", "serviceaccounts", "sa"}},
	{"Event", []string{"event", "events", "ev"}},
	{"Deployment", []string{"deployment", "deployments", "deploy"}},
	{"ReplicaSet", []string{"replicaset", "replicasets", "rs"}},
	{"DaemonSet", []string{"daemonset", "daemonsets", "ds"}},
	{"StatefulSet", []string{"statefulset", "statefulsets", "sts"}},
	{"ControllerRevision", []string{"controllerrevision", "controllerrevisions"}},
	{"EndpointSlice", []string{"endpointslice", "endpointslices"}},
	{"PodDisruptionBudget", []string{"poddisruptionbudget", "poddisruptionbudgets", "pdb"}},
	{"Lease", []string{"lease", "leases"}},
})

func buildAliases(table []struct {
	kind  string
	names []string
}) map[string]string {
	m := map[string]string{}
	for _, e := range table {
		info, ok := store.LookupKind(e.kind)
		if !ok {
			continue
		}
		for _, n := range e.names {
			m[n] = e.kind
			if g := info.GroupVersion.Group; g != "" {
				m[n+"."+g] = e.kind
				m[n+"."+info.GroupVersion.Version+"."+g] = e.kind
			}
		}
	}
	return m
}

// resolveKind maps a user-typed resource type to a kind, case-insensitively
// as kubectl does ("Deployment", "deploy", "deployments.apps").
func resolveKind(typ string) (string, error) {
	if k, ok := resourceAliases[strings.ToLower(typ)]; ok {
		return k, nil
	}
	return "", errorf("the server doesn't have a resource type %q", typ)
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
