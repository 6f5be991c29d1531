package etcd

import (
	"slices"

	"github.com/kubesim/kubesim/sim/store"
)

// Snapshot is a saved copy of the cluster state (`etcdctl snapshot
// save`): every object as the etcd members held it, and the revision.
type Snapshot struct {
	Objects  []store.Object
	Revision int64
}

// Restored counts what a restore changed.
type Restored struct {
	Created, Updated, Deleted int
}

// Restore rewinds st to the snapshot's content.
//
// A real restore (`etcdutl snapshot restore`, then restarting etcd and
// the API servers) makes every informer relist: each component sees the
// objects that appeared, changed or vanished as add, update and delete
// notifications. Writing exactly that difference into the store gives the
// components the same notifications through their watches, so scheduler,
// controllers and kubelets resynchronise the way they do after a relist.
// The restored objects get fresh revisions, as with `etcdutl snapshot
// restore --bump-revision --mark-compacted`, which the Kubernetes docs
// recommend so that no watcher sees a resourceVersion go back. The writes
// bypass the API server (etcd is written directly) and are replicated
// like any other batch. An object whose UID changed since the snapshot
// (deleted and created again under the same name) is deleted and
// created, not updated.
func Restore(st *store.Store, snap *Snapshot) (Restored, error) {
	var res Restored
	want := map[string]map[string]store.Object{} // kind -> key -> object
	for _, o := range snap.Objects {
		info, err := store.KindOf(o)
		if err != nil {
			return res, err
		}
		if want[info.Kind] == nil {
			want[info.Kind] = map[string]store.Object{}
		}
		want[info.Kind][store.KeyOf(o)] = o
	}
	kinds := store.Kinds()
	// Deletions first, dependents (later kinds) before their owners.
	for _, kind := range slices.Backward(kinds) {
		for _, cur := range st.List(kind, "") {
			w, ok := want[kind][store.KeyOf(cur)]
			if ok && w.GetUID() == cur.GetUID() {
				continue
			}
			if _, err := st.Delete(kind, cur.GetNamespace(), cur.GetName()); err != nil {
				return res, err
			}
			res.Deleted++
		}
	}
	for _, kind := range kinds {
		keys := make([]string, 0, len(want[kind]))
		for k := range want[kind] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, key := range keys {
			w := want[kind][key]
			cur, ok := st.Get(kind, w.GetNamespace(), w.GetName())
			if ok && cur.GetResourceVersion() == w.GetResourceVersion() {
				continue
			}
			obj := w.DeepCopyObject().(store.Object)
			obj.SetResourceVersion("")
			var err error
			if ok {
				_, err = st.Update(obj)
				res.Updated++
			} else {
				_, err = st.Create(obj)
				res.Created++
			}
			if err != nil {
				return res, err
			}
		}
	}
	return res, nil
}
