package kubeapi

import (
	"slices"
	"strings"

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

var eventsV1 = schema.GroupVersion{Group: "events.k8s.io", Version: "v1"}

// alsoServed are further versions of stored kinds, served through a
// conversion (kube-apiserver serves autoscaling/v1 beside v2, and core
// Events also as events.k8s.io/v1). Their names come from the kind table.
var alsoServed = []resource{
	{kind: "HorizontalPodAutoscaler", gv: autoscalingV1, convert: toAutoscalingV1, decode: fromAutoscalingV1},
	{kind: "Event", gv: eventsV1, readOnly: true, convert: toEventsV1},
}

// resources are served in this order (discovery lists them so): every
// kind of the store's kind table under its own group/version, then the
// further versions. A kind added to the store is served without an entry
// here.
var resources = servedResources()

func servedResources() []*resource {
	var out []*resource
	fromKind := func(info *store.KindInfo, r resource) *resource {
		r.kind, r.plural, r.singular = info.Kind, info.Resource, info.Singular
		r.short, r.categories = info.ShortNames, info.Categories
		r.namespaced, r.subresources = info.Namespaced, info.Subresources
		if r.gv.Empty() {
			r.gv = info.GroupVersion
		}
		return &r
	}
	for _, k := range store.Kinds() {
		info, _ := store.LookupKind(k)
		out = append(out, fromKind(info, resource{}))
	}
	for _, r := range alsoServed {
		info, ok := store.LookupKind(r.kind)
		if !ok {
			panic("kubeapi: alsoServed names unknown kind " + r.kind)
		}
		out = append(out, fromKind(info, r))
	}
	return out
}

func lower(s string) string { return strings.ToLower(s) }

// groupVersions lists the served group/versions, core first.
func groupVersions() []schema.GroupVersion {
	var out []schema.GroupVersion
	for _, r := range append(slices.Clone(resources), reviewResources...) {
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
