package kubeapi

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubesim/kubesim/sim/store"
)

// resource is one REST resource the server serves: a store kind under a
// group/version, with what discovery says about it.
type resource struct {
	kind       string // the store kind ("Pod")
	gv         schema.GroupVersion
	plural     string
	singular   string
	short      []string
	categories []string
	namespaced bool
	// subresources besides the main resource: status, scale, log, ...
	subresources []string
	// readOnly resources (events.k8s.io views of core events) refuse writes.
	readOnly bool
	// convert, if set, turns the store object into the served version.
	convert func(store.Object) any
	// decode, if set, reads a body of the served version into the store
	// kind (autoscaling/v1 HPAs).
	decode func(body []byte, tm metav1.TypeMeta, v *validation) (store.Object, error)
}

var allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

func (r *resource) verbs() []string {
	if r.readOnly {
		return []string{"get", "list", "watch"}
	}
	return allVerbs
}

func (r *resource) info() *store.KindInfo {
	k, _ := store.LookupKind(r.kind)
	return k
}

func (r *resource) gvk() schema.GroupVersionKind { return r.gv.WithKind(r.kind) }

func (r *resource) groupResource() schema.GroupResource {
	return schema.GroupResource{Group: r.gv.Group, Resource: r.plural}
}

func (r *resource) has(sub string) bool { return slices.Contains(r.subresources, sub) }

var (
	coreV1        = schema.GroupVersion{Version: "v1"}
	appsV1        = schema.GroupVersion{Group: "apps", Version: "v1"}
	discoveryV1   = schema.GroupVersion{Group: "discovery.k8s.io", Version: "v1"}
	policyV1      = schema.GroupVersion{Group: "policy", Version: "v1"}
	coordinationV = schema.GroupVersion{Group: "coordination.k8s.io", Version: "v1"}
	eventsV1      = schema.GroupVersion{Group: "events.k8s.io", Version: "v1"}
)

// resources are served in this order (discovery lists them so).
var resources = []*resource{
	{kind: "Namespace", gv: coreV1, plural: "namespaces", short: []string{"ns"}, subresources: []string{"status"}},
	{kind: "Node", gv: coreV1, plural: "nodes", short: []string{"no"}, subresources: []string{"status"}},
	{kind: "Pod", gv: coreV1, plural: "pods", short: []string{"po"}, categories: []string{"all"}, namespaced: true,
		subresources: []string{"status", "binding", "eviction", "log"}},
	{kind: "Service", gv: coreV1, plural: "services", short: []string{"svc"}, categories: []string{"all"}, namespaced: true, subresources: []string{"status"}},
	{kind: "ConfigMap", gv: coreV1, plural: "configmaps", short: []string{"cm"}, namespaced: true},
	{kind: "Secret", gv: coreV1, plural: "secrets", namespaced: true},
	{kind: "Event", gv: coreV1, plural: "events", short: []string{"ev"}, namespaced: true},
	{kind: "ServiceAccount", gv: coreV1, plural: "serviceaccounts", short: []string{"sa"}, namespaced: true},
	{kind: "Deployment", gv: appsV1, plural: "deployments", short: []string{"deploy"}, categories: []string{"all"}, namespaced: true, subresources: []string{"status", "scale"}},
	{kind: "ReplicaSet", gv: appsV1, plural: "replicasets", short: []string{"rs"}, categories: []string{"all"}, namespaced: true, subresources: []string{"status", "scale"}},
	{kind: "DaemonSet", gv: appsV1, plural: "daemonsets", short: []string{"ds"}, categories: []string{"all"}, namespaced: true, subresources: []string{"status"}},
	{kind: "StatefulSet", gv: appsV1, plural: "statefulsets", short: []string{"sts"}, categories: []string{"all"}, namespaced: true, subresources: []string{"status", "scale"}},
	{kind: "ControllerRevision", gv: appsV1, plural: "controllerrevisions", namespaced: true},
	{kind: "EndpointSlice", gv: discoveryV1, plural: "endpointslices", namespaced: true},
	{kind: "PodDisruptionBudget", gv: policyV1, plural: "poddisruptionbudgets", short: []string{"pdb"}, namespaced: true, subresources: []string{"status"}},
	{kind: "Job", gv: batchV1, plural: "jobs", categories: []string{"all"}, namespaced: true, subresources: []string{"status"}},
	{kind: "CronJob", gv: batchV1, plural: "cronjobs", short: []string{"cj"}, categories: []string{"all"}, namespaced: true, subresources: []string{"status"}},
	{kind: "Lease", gv: coordinationV, plural: "leases", namespaced: true},
	{kind: "HorizontalPodAutoscaler", gv: autoscalingV2, plural: "horizontalpodautoscalers", short: []string{"hpa"}, categories: []string{"all"}, namespaced: true, subresources: []string{"status"}},
	{kind: "HorizontalPodAutoscaler", gv: autoscalingV1, plural: "horizontalpodautoscalers", short: []string{"hpa"}, categories: []string{"all"}, namespaced: true, subresources: []string{"status"}, convert: toAutoscalingV1, decode: fromAutoscalingV1},
	{kind: "Event", gv: eventsV1, plural: "events", short: []string{"ev"}, namespaced: true, readOnly: true, convert: toEventsV1},
}

func init() {
	for _, r := range resources {
		if r.singular == "" {
			r.singular = lower(r.kind)
		}
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// groupVersions lists the served group/versions, core first.
func groupVersions() []schema.GroupVersion {
	var out []schema.GroupVersion
	for _, r := range resources {
		if !slices.Contains(out, r.gv) {
			out = append(out, r.gv)
		}
	}
	return out
}

// lookup finds the resource served at gv/plural.
func lookup(gv schema.GroupVersion, plural string) *resource {
	for _, r := range resources {
		if r.gv == gv && r.plural == plural {
			return r
		}
	}
	return nil
}

// resourceOfKind is the primary resource of a store kind (core events, not
// events.k8s.io).
func resourceOfKind(kind string) *resource {
	for _, r := range resources {
		if r.kind == kind && r.convert == nil {
			return r
		}
	}
	return nil
}
