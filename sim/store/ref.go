package store

import (
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Ref is a reader's handle on the slot of one stored object: what Get
// finds by kind, namespace and name, found again without hashing them.
// A reader that looks the same object up again and again (a kubelet its
// Node and Lease every 10 seconds, the node lifecycle controller every
// node's Lease every 5 seconds: millions of lookups of cold map buckets
// in a run of thousands of nodes) keeps a Ref and goes through Follow.
//
// A Ref cannot go stale: every version of an object replaces the one
// before in the same slot (see entry), so the slot holds the current
// version for as long as the object exists. When the object is deleted
// (or the store restored from a snapshot) the slot is emptied for good,
// and Follow looks the name up again: an object created again under the
// name has a new slot. The zero Ref is a handle on nothing.
type Ref struct{ e *entry }

// live reports whether the slot still holds an object. An entry always
// holds its object or its encoding (an encoding is never empty) until
// it is killed.
func (e *entry) live() bool { return e.obj != nil || e.p.enc != nil }

// kill empties a slot that no longer belongs to the store, so that any
// Ref on it finds it dead (and does not keep its object alive).
func (e *entry) kill() { e.obj, e.p = nil, packedObj{} }

// Follow is Get of kind/namespace/name through *r: the object of r's
// slot while it is live, else the object found by name, whose slot *r
// then holds (the zero Ref if there is none).
func (s *Store) Follow(r *Ref, kind, namespace, name string) (Object, bool) {
	if e := r.e; e != nil && e.live() {
		return e.object(), true
	}
	r.e = nil
	t := s.table(kind)
	if t == nil {
		return nil, false
	}
	e := s.lookup(t, namespace, name)
	if e == nil {
		return nil, false
	}
	r.e = e
	return e.object(), true
}

// RefOf is Get of the object stored under obj's kind, namespace and
// name, with a Ref on its slot: a writer that reads the current version
// before writing the next (the API server's update) looks it up once,
// then writes through UpdateRef.
func (s *Store) RefOf(obj Object) (Ref, Object, bool) {
	info, err := KindOf(obj)
	if err != nil {
		return Ref{}, nil, false
	}
	e := s.lookup(s.byKind[info.idx], obj.GetNamespace(), obj.GetName())
	if e == nil {
		return Ref{}, nil, false
	}
	return Ref{e}, e.object(), true
}

// UpdateRef is Update of the object in r's slot, which obj must be a
// new version of (same kind, namespace and name): the slot is not looked
// up again. It fails with NotFound when the slot is dead.
func (s *Store) UpdateRef(r Ref, obj Object) (Object, error) {
	info, err := KindOf(obj)
	if err != nil {
		return nil, err
	}
	t := s.byKind[info.idx]
	e := r.e
	if e == nil || !e.live() {
		return nil, apierrors.NewNotFound(t.kind.GroupResource(), obj.GetName())
	}
	return s.update(t, e, obj)
}

// OnWrite calls fn as the object of kind named namespace/name is created,
// written or deleted, at once, before the write returns (a watch is told
// a latency later, and only of the changes it is handed): a component
// that skips work while an object stays as it last read it (a kubelet's
// quiet node status ticks) learns that it must look again. fn must not
// write to the store. Restore calls every hook; a Lease renewal
// (RenewLease) calls none. The returned function removes the hook: a
// component that goes away for good must call it, or the hook keeps it
// alive.
func (s *Store) OnWrite(kind, namespace, name string, fn func()) (remove func()) {
	t := s.table(kind)
	if t == nil {
		return func() {} // no object of an unknown kind is ever written
	}
	if t.onWrite == nil {
		t.onWrite = map[string][]*func(){}
	}
	key := Key(namespace, name)
	h := &fn
	t.onWrite[key] = append(t.onWrite[key], h)
	return func() {
		hooks := slices.DeleteFunc(t.onWrite[key], func(x *func()) bool { return x == h })
		if len(hooks) == 0 {
			delete(t.onWrite, key)
			return
		}
		t.onWrite[key] = hooks
	}
}
