package controllerutil

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

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

// KeyMemo is ControllerKey remembered by the identity of the controller
// reference: the pods a ReplicaSet creates at once share one references
// array (SharedPodFromTemplate), and a new version of an object keeps
// the array of the one before unless its references change (stored
// objects are never written in place), so the events of one owner's
// objects find its key, and its slot, without building the key or
// looking the owner up by name at each of them. The zero value is ready
// to use; it is not safe for concurrent use.
type KeyMemo struct {
	keys map[*metav1.OwnerReference]*ownerKey
}

// ownerKey is the key of the owner a controller reference names in a
// namespace, and a handle on its slot.
type ownerKey struct {
	namespace, key string
	ref            store.Ref
}

// maxKeys bounds KeyMemo: emptied when it holds that many.
const maxKeys = 4096

// ControllerKey is ControllerKey(st, kind, obj), the same answer.
func (m *KeyMemo) ControllerKey(st *store.Store, kind string, obj metav1.Object) (string, bool) {
	ref := podutil.ControllerOf(obj)
	if ref == nil || ref.Kind != kind {
		return "", false
	}
	ns := obj.GetNamespace()
	k := m.keys[ref]
	if k == nil || k.namespace != ns {
		if m.keys == nil || len(m.keys) >= maxKeys {
			m.keys = map[*metav1.OwnerReference]*ownerKey{}
		}
		k = &ownerKey{namespace: ns, key: store.Key(ns, ref.Name)}
		m.keys[ref] = k
	}
	o, ok := st.Follow(&k.ref, kind, ns, ref.Name)
	if !ok || o.GetUID() != ref.UID {
		return "", false
	}
	return k.key, true
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

// SelectorMemo remembers, per owner, its label selector parsed into a
// labels.Selector. Stored objects are immutable and a status write
// shares the spec of the version it replaces, so while an owner's
// spec.selector is the same *metav1.LabelSelector the parsed selector is
// still right; a spec change is a new pointer and parses again. A
// ReplicaSet or Deployment is synced on every event of its pods and
// parsing was most of what a sync allocated. The zero value is ready to
// use; it is not safe for concurrent use.
type SelectorMemo struct {
	owners map[types.UID]parsedSelector
}

type parsedSelector struct {
	src *metav1.LabelSelector
	sel labels.Selector
	err error
}

// Selector is metav1.LabelSelectorAsSelector(ls) for owner's spec
// selector ls. The result is shared: callers only read it.
func (m *SelectorMemo) Selector(owner types.UID, ls *metav1.LabelSelector) (labels.Selector, error) {
	if p, ok := m.owners[owner]; ok && p.src == ls && ls != nil {
		return p.sel, p.err
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if m.owners == nil {
		m.owners = map[types.UID]parsedSelector{}
	}
	m.owners[owner] = parsedSelector{src: ls, sel: sel, err: err}
	return sel, err
}

// Forget drops what was remembered for owner (it was deleted).
func (m *SelectorMemo) Forget(owner types.UID) { delete(m.owners, owner) }
