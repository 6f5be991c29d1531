// Package store is the simulated cluster's object store: the data that
// etcd holds in a real control plane. It keeps typed k8s.io/api objects,
// gives every mutation a global revision (the resourceVersion), maintains
// label and field indexes, and delivers watch events with a modelled
// latency in virtual time.
//
// Objects in the store are immutable: readers get shared pointers and must
// DeepCopy before changing anything. Writers hand over objects they no
// longer touch.
package store

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/kubesim/kubesim/sim"
)

// EventType says what happened to an object.
type EventType int

// Watch event types, as in watch.EventType.
const (
	Added EventType = iota
	Modified
	Deleted
)

func (t EventType) String() string {
	return [...]string{"ADDED", "MODIFIED", "DELETED"}[t]
}

// Event is one watch notification. Old is the previous version (nil for
// Added); for Deleted, Object is the last version.
type Event struct {
	Type   EventType
	Kind   string
	Object Object
	Old    Object
	Rev    int64
}

// Mutation is one committed change, as a replicated log would carry it.
type Mutation struct {
	Rev    int64
	Type   EventType
	Kind   string
	Key    string
	Object Object // nil for Deleted
	// Encoded is Object's protobuf encoding when the store keeps it
	// packed (see packed.go): immutable, for the log to share instead of
	// encoding Object again. Nil otherwise.
	Encoded []byte
}

// Log receives the mutations of one virtual instant as one batch when the
// instant ends. A replicated log (etcd over raft) plugs in here. The
// batch's array is reused after Append returns: a Log keeps copies.
type Log interface {
	Append(batch []Mutation) error
}

// IndexFunc returns the index values of an object for one index.
type IndexFunc func(obj Object) []string

// Store holds every object of the simulated cluster.
type Store struct {
	engine   *sim.Engine
	rev      int64
	tables   map[string]*table
	watchers map[string][]*watcher
	batch    []Mutation
	log      Log
	logErr   error
	keyBuf   []byte   // Get's lookup key, built without allocating
	expiring []*table // the kinds with a TTL, by name (ttl.go)
}

type table struct {
	kind     *KindInfo
	objs     map[string]Object
	packed   map[string]packedObj // a packed kind's packed objects (never also in objs)
	sorted   []string             // keys, sorted unless unsorted is set; nil = rebuild
	unsorted bool                 // keys were appended to sorted since it was sorted
	indexers map[string]IndexFunc
	index    map[string]map[string]*indexSet  // index -> value -> objects
	watchIdx map[string]map[string][]*watcher // index -> value -> watchers
	watched  []string                         // the keys of watchIdx, sorted
	buf      []byte                           // an index value being built
	rev      int64                            // the revision of the kind's last change
	// ttl, if set, is how long an object lasts after its last write;
	// expires[expHead:] are the writes not expired yet (ttl.go).
	ttl     time.Duration
	expires []expiry
	expHead int
}

// Built-in indexes.
const (
	// LabelIndex indexes every kind by label: values "key=value".
	LabelIndex = "labels"
	// OwnerIndex indexes every kind by the UIDs of its ownerReferences.
	OwnerIndex = "owner"
	// NodeNameIndex indexes pods by spec.nodeName (the kubelet's
	// field-selector watch uses it).
	NodeNameIndex = "spec.nodeName"
)

func ownerValues(obj Object) []string {
	refs := obj.GetOwnerReferences()
	if len(refs) == 0 {
		return nil
	}
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = string(r.UID)
	}
	return out
}

func nodeNameValues(obj Object) []string {
	if p, ok := obj.(*corev1.Pod); ok && p.Spec.NodeName != "" {
		return []string{p.Spec.NodeName}
	}
	return nil
}

// New returns an empty store driven by engine (for watch delivery).
func New(engine *sim.Engine) *Store {
	s := &Store{engine: engine, tables: map[string]*table{}, watchers: map[string][]*watcher{}}
	for _, k := range kindOrder {
		s.tables[k] = &table{
			kind:     kindsByName[k],
			objs:     map[string]Object{},
			indexers: map[string]IndexFunc{LabelIndex: labelValues, OwnerIndex: ownerValues},
			index:    map[string]map[string]*indexSet{LabelIndex: {}, OwnerIndex: {}},
			watchIdx: map[string]map[string][]*watcher{},
		}
		if packable(k) {
			s.tables[k].packed = map[string]packedObj{}
		}
	}
	s.AddIndex("Pod", NodeNameIndex, nodeNameValues)
	engine.OnInstantEnd(s.commit)
	return s
}

func labelValues(obj Object) []string {
	l := obj.GetLabels()
	if len(l) == 0 {
		return nil
	}
	out := make([]string, 0, len(l))
	for k, v := range l {
		out = append(out, k+"="+v)
	}
	return out
}

// SetLog makes the store hand each instant's mutations to log.
func (s *Store) SetLog(l Log) { s.log = l }

// LogErr is the first error the log returned.
func (s *Store) LogErr() error { return s.logErr }

func (s *Store) commit() {
	s.expire()
	if len(s.batch) == 0 {
		return
	}
	if s.log != nil && s.logErr == nil {
		s.logErr = s.log.Append(s.batch)
	}
	// The batch array is reused, so its old entries are cleared: an entry
	// past the next, shorter batches would keep that version of its object
	// alive for the rest of the run (after the burst that creates every pod
	// at once, the first version of each pod: 176 MiB at 150,000 pods). A
	// burst-sized array itself is not kept.
	clear(s.batch)
	if cap(s.batch) > maxBatchKept {
		s.batch = nil
	} else {
		s.batch = s.batch[:0]
	}
}

// maxBatchKept is the largest batch array kept for the next instant.
const maxBatchKept = 4096

// Rev is the current global revision.
func (s *Store) Rev() int64 { return s.rev }

// KindRev is the revision of the last change to an object of kind (0 if
// none): a reader of one kind can tell that nothing it reads moved while
// the global revision moves with every lease renewal.
func (s *Store) KindRev(kind string) int64 {
	if t := s.tables[kind]; t != nil {
		return t.rev
	}
	return 0
}

// AddIndex registers an index on kind. Must be called before objects of
// the kind are added.
func (s *Store) AddIndex(kind, name string, fn IndexFunc) {
	t := s.tables[kind]
	if _, ok := t.indexers[name]; ok {
		return
	}
	t.indexers[name] = fn
	t.index[name] = map[string]*indexSet{}
	for _, key := range t.sortedKeys() {
		obj, _ := t.get(key)
		t.addIndex(name, fn, key, obj, t.held(key, obj))
	}
}

// get is the object of key, decoded if it is kept packed.
func (t *table) get(key string) (Object, bool) {
	if o, ok := t.objs[key]; ok {
		return o, true
	}
	if p, ok := t.packed[key]; ok {
		return unpack(p), true
	}
	return nil, false
}

// has reports whether the table holds key.
func (t *table) has(key string) bool {
	if _, ok := t.objs[key]; ok {
		return true
	}
	_, ok := t.packed[key]
	return ok
}

// put stores obj under key, packed if the kind is and obj packs. It
// returns what the index sets hold for it (nil: read it back by key) and
// its encoding if packed.
func (t *table) put(key string, obj Object) (held Object, enc []byte) {
	if t.packed != nil {
		if p, ok := pack(obj); ok {
			delete(t.objs, key)
			t.packed[key] = p
			return nil, p.enc
		}
		delete(t.packed, key)
	}
	t.objs[key] = obj
	return obj, nil
}

// held is what the index sets hold for obj, stored under key.
func (t *table) held(key string, obj Object) Object {
	if _, ok := t.packed[key]; ok {
		return nil
	}
	return obj
}

func (t *table) remove(key string) {
	delete(t.objs, key)
	delete(t.packed, key)
}

func (t *table) size() int { return len(t.objs) + len(t.packed) }

// objects is the objects of an index set, in its order, read back where
// the set holds none (packed).
func (t *table) objects(set *indexSet) []Object {
	out := slices.Clone(set.objs)
	if t.packed != nil {
		for i, o := range out {
			if o == nil {
				out[i], _ = t.get(set.keys[i])
			}
		}
	}
	return out
}

// indexSet holds the objects of one index value sorted by key, so that
// lookups return them in a deterministic order without sorting.
type indexSet struct {
	keys []string
	objs []Object
}

func (s *indexSet) put(key string, obj Object) {
	i, found := slices.BinarySearch(s.keys, key)
	if found {
		s.objs[i] = obj
		return
	}
	s.keys = slices.Insert(s.keys, i, key)
	s.objs = slices.Insert(s.objs, i, obj)
}

func (s *indexSet) del(key string) {
	if i, found := slices.BinarySearch(s.keys, key); found {
		s.keys = slices.Delete(s.keys, i, i+1)
		s.objs = slices.Delete(s.objs, i, i+1)
	}
}

// addIndex adds key to obj's values of the index; the sets hold held.
func (t *table) addIndex(name string, fn IndexFunc, key string, obj, held Object) {
	idx := t.index[name]
	for _, v := range fn(obj) {
		set := idx[v]
		if set == nil {
			set = &indexSet{}
			idx[v] = set
		}
		set.put(key, held)
	}
}

func (t *table) removeIndex(name string, fn IndexFunc, key string, obj Object) {
	idx := t.index[name]
	for _, v := range fn(obj) {
		if set := idx[v]; set != nil {
			set.del(key)
			if len(set.keys) == 0 {
				delete(idx, v)
			}
		}
	}
}

// updateIndex moves key from old's index values to obj's, replacing the
// object in place where the value did not change; the sets hold held.
func (t *table) updateIndex(name string, fn IndexFunc, key string, obj, old, held Object) {
	if t.replaceInPlace(name, key, obj, old, held) {
		return
	}
	oldVals, newVals := fn(old), fn(obj)
	idx := t.index[name]
	for _, v := range oldVals {
		if !slices.Contains(newVals, v) {
			if set := idx[v]; set != nil {
				set.del(key)
				if len(set.keys) == 0 {
					delete(idx, v)
				}
			}
		}
	}
	for _, v := range newVals {
		set := idx[v]
		if set == nil {
			set = &indexSet{}
			idx[v] = set
		}
		set.put(key, held)
	}
}

// replaceInPlace handles the common update of the built-in indexes, one
// whose index values did not change (a status update keeps the labels,
// owners and node): the new version replaces the old one in the same
// sets, found without building the values' strings. It reports whether it
// applied.
func (t *table) replaceInPlace(name, key string, obj, old, held Object) bool {
	idx := t.index[name]
	switch name {
	case LabelIndex:
		l := obj.GetLabels()
		if !maps.Equal(l, old.GetLabels()) {
			return false
		}
		for k, v := range l { // each set is updated on its own: order does not matter
			t.buf = append(append(append(t.buf[:0], k...), '='), v...)
			idx[string(t.buf)].replace(key, held)
		}
		return true
	case OwnerIndex:
		refs, oldRefs := obj.GetOwnerReferences(), old.GetOwnerReferences()
		if !slices.EqualFunc(refs, oldRefs, func(a, b metav1.OwnerReference) bool { return a.UID == b.UID }) {
			return false
		}
		for _, r := range refs {
			idx[string(r.UID)].replace(key, held)
		}
		return true
	case NodeNameIndex:
		p, ok := obj.(*corev1.Pod)
		op, oldOK := old.(*corev1.Pod)
		if !ok || !oldOK || p.Spec.NodeName != op.Spec.NodeName {
			return false
		}
		if p.Spec.NodeName != "" {
			idx[p.Spec.NodeName].replace(key, held)
		}
		return true
	}
	return false
}

// replace puts obj in place of the object of key, which the set holds.
func (s *indexSet) replace(key string, obj Object) {
	if s == nil {
		return
	}
	if i, found := slices.BinarySearch(s.keys, key); found {
		s.objs[i] = obj
	}
}

// Get returns the object of kind with the given namespace and name.
func (s *Store) Get(kind, namespace, name string) (Object, bool) {
	t := s.tables[kind]
	if t == nil {
		return nil, false
	}
	if namespace == "" {
		return t.get(name)
	}
	// The key is built in a reused buffer: a map lookup by string(bytes)
	// does not allocate (every Get allocated its key string before).
	s.keyBuf = append(append(append(s.keyBuf[:0], namespace...), '/'), name...)
	if o, ok := t.objs[string(s.keyBuf)]; ok {
		return o, true
	}
	if p, ok := t.packed[string(s.keyBuf)]; ok {
		return unpack(p), true
	}
	return nil, false
}

// Len is the number of objects of kind.
func (s *Store) Len(kind string) int { return s.tables[kind].size() }

// List returns the objects of kind in namespace ("" = all), sorted by key.
func (s *Store) List(kind, namespace string) []Object {
	t := s.tables[kind]
	keys := t.sortedKeys()
	out := make([]Object, 0, len(keys))
	for _, k := range keys {
		if t.packed != nil && namespace != "" && !strings.HasPrefix(k, namespace+"/") {
			continue // not decoded to learn its namespace
		}
		o, _ := t.get(k)
		if namespace == "" || o.GetNamespace() == namespace {
			out = append(out, o)
		}
	}
	return out
}

func (t *table) sortedKeys() []string {
	if t.sorted == nil {
		t.sorted = make([]string, 0, t.size())
		for k := range t.objs {
			t.sorted = append(t.sorted, k)
		}
		for k := range t.packed {
			t.sorted = append(t.sorted, k)
		}
		t.unsorted = true
	}
	if t.unsorted {
		slices.Sort(t.sorted)
		t.unsorted = false
	}
	return t.sorted
}

// ByIndex returns the objects of kind whose index has value, sorted by key.
func (s *Store) ByIndex(kind, index, value string) []Object {
	t := s.tables[kind]
	set := t.index[index][value]
	if set == nil {
		return nil
	}
	return t.objects(set)
}

// CountIndex is the number of objects of kind whose index has value.
func (s *Store) CountIndex(kind, index, value string) int {
	if set := s.tables[kind].index[index][value]; set != nil {
		return len(set.keys)
	}
	return 0
}

// Select returns the objects of kind in namespace ("" = all) matching sel,
// sorted by key. Equality requirements use the label index.
func (s *Store) Select(kind, namespace string, sel labels.Selector) []Object {
	t := s.tables[kind]
	if sel == nil || sel.Empty() {
		return s.List(kind, namespace)
	}
	reqs, _ := sel.Requirements()
	var best []Object
	found := false
	for _, r := range reqs {
		if r.Operator() != selection.Equals && r.Operator() != selection.DoubleEquals && r.Operator() != selection.In {
			continue
		}
		var cand []Object
		vals := r.Values().UnsortedList()
		if len(vals) == 1 {
			if set := t.index[LabelIndex][r.Key()+"="+vals[0]]; set != nil {
				cand = set.objs
				if t.packed != nil {
					cand = t.objects(set)
				}
			}
		} else {
			slices.Sort(vals)
			for _, v := range vals {
				if set := t.index[LabelIndex][r.Key()+"="+v]; set != nil {
					cand = append(cand, t.objects(set)...)
				}
			}
			// A key has one value per label, so the sets are disjoint.
			slices.SortFunc(cand, func(a, b Object) int { return strings.Compare(KeyOf(a), KeyOf(b)) })
		}
		if !found || len(cand) < len(best) {
			best, found = cand, true
		}
	}
	if !found {
		best = s.List(kind, "")
	}
	var out []Object
	for _, o := range best {
		if namespace != "" && o.GetNamespace() != namespace {
			continue
		}
		if sel.Matches(labels.Set(o.GetLabels())) {
			out = append(out, o)
		}
	}
	return out
}

// tableOf is the table of obj's kind and obj's key in it.
func (s *Store) tableOf(obj Object) (*table, string, error) {
	info, err := KindOf(obj)
	if err != nil {
		return nil, "", err
	}
	return s.tables[info.Kind], KeyOf(obj), nil
}

// Create adds obj with the next revision. The caller has set every
// field; the store sets only resourceVersion.
func (s *Store) Create(obj Object) (Object, error) {
	t, key, err := s.tableOf(obj)
	if err != nil {
		return nil, err
	}
	if t.has(key) {
		return nil, apierrors.NewAlreadyExists(t.kind.GroupResource(), obj.GetName())
	}
	s.rev++
	obj.SetResourceVersion(strconv.FormatInt(s.rev, 10))
	held, enc := t.put(key, obj)
	if t.sorted != nil {
		// Sorted lazily on the next List: inserting in place would move
		// the whole slice on every create (150,000 pods).
		t.sorted = append(t.sorted, key)
		t.unsorted = true
	}
	for name, fn := range t.indexers {
		t.addIndex(name, fn, key, obj, held)
	}
	s.record(t, Added, key, obj, nil, enc)
	return obj, nil
}

// Update replaces an object. If obj carries a resourceVersion, it must
// match the stored one (optimistic concurrency), else Conflict.
func (s *Store) Update(obj Object) (Object, error) {
	t, key, err := s.tableOf(obj)
	if err != nil {
		return nil, err
	}
	old, ok := t.get(key)
	if !ok {
		return nil, apierrors.NewNotFound(t.kind.GroupResource(), obj.GetName())
	}
	if rv := obj.GetResourceVersion(); rv != "" && rv != old.GetResourceVersion() {
		return nil, apierrors.NewConflict(t.kind.GroupResource(), obj.GetName(),
			errConflict)
	}
	s.rev++
	obj.SetResourceVersion(strconv.FormatInt(s.rev, 10))
	held, enc := t.put(key, obj)
	for name, fn := range t.indexers {
		t.updateIndex(name, fn, key, obj, old, held)
	}
	s.record(t, Modified, key, obj, old, enc)
	return obj, nil
}

type conflictError struct{}

func (conflictError) Error() string {
	return "the object has been modified; please apply your changes to the latest version and try again"
}

var errConflict = conflictError{}

// Delete removes an object.
func (s *Store) Delete(kind, namespace, name string) (Object, error) {
	t := s.tables[kind]
	key := Key(namespace, name)
	old, ok := t.get(key)
	if !ok {
		return nil, apierrors.NewNotFound(t.kind.GroupResource(), name)
	}
	s.rev++
	t.remove(key)
	if t.unsorted {
		t.sorted = nil
	} else if t.sorted != nil {
		if i, found := slices.BinarySearch(t.sorted, key); found {
			t.sorted = slices.Delete(t.sorted, i, i+1)
		}
	}
	for name, fn := range t.indexers {
		t.removeIndex(name, fn, key, old)
	}
	s.record(t, Deleted, key, nil, old, nil)
	return old, nil
}

// Restore replaces the whole content of the store (etcd snapshot restore)
// without notifying watchers; callers resynchronise their components.
func (s *Store) Restore(rev int64, objs []Object) {
	for _, t := range s.tables {
		t.objs = map[string]Object{}
		if t.packed != nil {
			t.packed = map[string]packedObj{}
		}
		t.sorted, t.unsorted = nil, false
		for name := range t.index {
			t.index[name] = map[string]*indexSet{}
		}
	}
	for _, o := range objs {
		info, err := KindOf(o)
		if err != nil {
			continue
		}
		t := s.tables[info.Kind]
		key := KeyOf(o)
		held, _ := t.put(key, o)
		for name, fn := range t.indexers {
			t.addIndex(name, fn, key, o, held)
		}
	}
	if rev > s.rev {
		s.rev = rev
	}
	for _, t := range s.tables {
		t.rev = s.rev
	}
}

func (s *Store) record(t *table, typ EventType, key string, obj, old Object, enc []byte) {
	t.rev = s.rev
	if t.ttl > 0 && typ != Deleted {
		t.expires = append(t.expires, expiry{due: s.engine.Elapsed() + t.ttl, rev: s.rev, key: key})
	}
	s.batch = append(s.batch, Mutation{Rev: s.rev, Type: typ, Kind: t.kind.Kind, Key: key, Object: obj, Encoded: enc})
	ev := Event{Type: typ, Kind: t.kind.Kind, Object: obj, Old: old, Rev: s.rev}
	if typ == Deleted {
		ev.Object = old
	}
	for _, w := range s.watchers[t.kind.Kind] {
		w.push(s.engine, ev)
	}
	for _, name := range t.watched {
		byVal := t.watchIdx[name]
		fn := t.indexers[name]
		var seenArr [4]*watcher
		var valArr [2]string
		seen := seenArr[:0]
		if obj != nil {
			for _, v := range indexValues(name, fn, obj, valArr[:0]) {
				for _, w := range byVal[v] {
					w.push(s.engine, ev)
					seen = append(seen, w)
				}
			}
		}
		if old != nil {
			for _, v := range indexValues(name, fn, old, valArr[:0]) {
				for _, w := range byVal[v] {
					if !slices.Contains(seen, w) {
						w.push(s.engine, ev)
						seen = append(seen, w)
					}
				}
			}
		}
	}
}

// indexValues appends obj's values of the index to buf: fn's, except for
// a pod's node name, which is appended without allocating (every pod
// event is matched against the kubelets' watches by it).
func indexValues(name string, fn IndexFunc, obj Object, buf []string) []string {
	if p, ok := obj.(*corev1.Pod); ok && name == NodeNameIndex {
		if p.Spec.NodeName == "" {
			return buf
		}
		return append(buf, p.Spec.NodeName)
	}
	return append(buf, fn(obj)...)
}

// Handler receives watch events.
type Handler func(Event)

type watcher struct {
	latency time.Duration
	fn      Handler
	keep    func(Event) bool // nil: every event
	pending []pendingEvent
	spare   []pendingEvent // a cleared array for deliver to swap in
	// timer delivers the due events; it is kept and rescheduled, not
	// allocated per delivery. armed: a delivery is scheduled or running
	// (events that handlers cause then wait for it).
	timer   *sim.Timer
	armed   bool
	stopped bool
}

// maxSpare is the largest delivery buffer a watcher keeps for the next
// delivery: a burst of thousands of events should not keep its array
// alive for the rest of the run.
const maxSpare = 1024

type pendingEvent struct {
	due time.Duration
	ev  Event
}

// Watch calls fn with every change to objects of kind, latency after it
// happened in virtual time (the modelled watch delivery delay). Events are
// delivered in revision order. The returned function stops the watch.
func (s *Store) Watch(kind string, latency time.Duration, fn Handler) (stop func()) {
	return s.WatchFiltered(kind, latency, nil, fn)
}

// WatchFiltered is Watch for the events keep accepts (nil: all). keep runs
// as the change happens and must read nothing but the event: an event it
// refuses is never queued for delivery, so a handler that would ignore it
// costs nothing (the garbage collector and the 8,640 lease renewals a
// node writes a day).
func (s *Store) WatchFiltered(kind string, latency time.Duration, keep func(Event) bool, fn Handler) (stop func()) {
	w := &watcher{latency: latency, fn: fn, keep: keep}
	s.watchers[kind] = append(s.watchers[kind], w)
	return func() {
		w.stopped = true
		s.watchers[kind] = slices.DeleteFunc(s.watchers[kind], func(x *watcher) bool { return x == w })
		s.engine.Cancel(w.timer)
	}
}

// WatchIndex is Watch restricted to objects whose index has value before
// or after the change (a field-selector watch, like the kubelet's
// spec.nodeName=<node>). The index must exist.
func (s *Store) WatchIndex(kind, index, value string, latency time.Duration, fn Handler) (stop func()) {
	t := s.tables[kind]
	w := &watcher{latency: latency, fn: fn}
	if t.watchIdx[index] == nil {
		t.watchIdx[index] = map[string][]*watcher{}
		t.watched = slices.Sorted(maps.Keys(t.watchIdx))
	}
	t.watchIdx[index][value] = append(t.watchIdx[index][value], w)
	return func() {
		w.stopped = true
		t.watchIdx[index][value] = slices.DeleteFunc(t.watchIdx[index][value], func(x *watcher) bool { return x == w })
		if len(t.watchIdx[index][value]) == 0 {
			delete(t.watchIdx[index], value)
		}
		s.engine.Cancel(w.timer)
	}
}

func (w *watcher) push(e *sim.Engine, ev Event) {
	if w.stopped || (w.keep != nil && !w.keep(ev)) {
		return
	}
	if w.latency <= 0 {
		w.fn(ev)
		return
	}
	w.pending = append(w.pending, pendingEvent{due: e.Elapsed() + w.latency, ev: ev})
	if !w.armed {
		w.schedule(e)
	}
}

func (w *watcher) schedule(e *sim.Engine) {
	w.armed = true
	if w.timer == nil {
		w.timer = e.At(w.pending[0].due, "watch", func() { w.deliver(e) })
		return
	}
	e.Reschedule(w.timer, w.pending[0].due)
}

func (w *watcher) deliver(e *sim.Engine) {
	// w.armed stays set while handlers run so that events they cause are
	// queued, not scheduled twice.
	now := e.Elapsed()
	n := 0
	for n < len(w.pending) && w.pending[n].due <= now {
		n++
	}
	// The due events stay in the old array, the rest move to the spare
	// one (handlers may queue more there); once delivered, the old array
	// is cleared (no object stays reachable from it) and becomes the
	// spare: no allocation per delivery.
	old := w.pending
	due := old[:n]
	w.pending = append(w.spare[:0], old[n:]...)
	w.spare = nil
	defer func() {
		clear(old)
		if w.spare == nil && cap(old) <= maxSpare {
			w.spare = old[:0]
		}
	}()
	tr := e.Trace()
	for _, p := range due {
		if w.stopped {
			return
		}
		if tr.Linking() { // explain: a delivery is caused by the write it delivers
			o := p.ev.Object
			tr.SetCause(tr.LastOf(MustKind(o), o.GetNamespace(), o.GetName()))
		}
		w.fn(p.ev)
	}
	w.armed = false
	if len(w.pending) > 0 && !w.stopped {
		w.schedule(e)
	}
}
