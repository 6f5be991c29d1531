package controllerutil

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Get is a lister's GetByKey: the object of kind stored under key
// ("namespace/name", or "name" for a cluster-scoped kind), as T. A sync
// starts with it: the key is all its queue holds.
func Get[T store.Object](st *store.Store, kind, key string) (T, bool) {
	ns, name := store.SplitKey(key)
	o, ok := st.Get(kind, ns, name)
	if !ok {
		var zero T
		return zero, false
	}
	return o.(T), true
}

// ControllerKey is upstream's resolveControllerRef: the key of the object
// of kind that controls obj, if obj's controller reference names that
// kind and the object exists with the referenced UID (not a namesake
// created since).
func ControllerKey(st *store.Store, kind string, obj metav1.Object) (string, bool) {
	ref := podutil.ControllerOf(obj)
	if ref == nil || ref.Kind != kind {
		return "", false
	}
	o, ok := st.Get(kind, obj.GetNamespace(), ref.Name)
	if !ok || o.GetUID() != ref.UID {
		return "", false
	}
	return store.Key(obj.GetNamespace(), ref.Name), true
}

// Selecting returns the keys of the objects of kind in obj's namespace
// whose label selector (selectorOf) is valid, not empty and matches obj's
// labels, in the store's order: the controllers that may adopt an orphan,
// as upstream's getPodReplicaSets, getPodDaemonSets and the like find
// them.
func Selecting[T store.Object](st *store.Store, kind string, obj metav1.Object, selectorOf func(T) *metav1.LabelSelector) []string {
	var keys []string
	for _, o := range st.List(kind, obj.GetNamespace()) {
		sel, err := metav1.LabelSelectorAsSelector(selectorOf(o.(T)))
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(obj.GetLabels())) {
			keys = append(keys, store.KeyOf(o))
		}
	}
	return keys
}

// ActiveNamespace reports whether namespace ns exists, is Active and is
// not being deleted: where a controller may still create objects.
func ActiveNamespace(st *store.Store, ns string) bool {
	o, ok := st.Get("Namespace", "", ns)
	return ok && o.(*corev1.Namespace).Status.Phase == corev1.NamespaceActive && o.GetDeletionTimestamp() == nil
}
