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
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"

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
	// Slot is the object's slot (Mutation.Slot), the same from its
	// creation to its deletion: a synchronous watch that keeps something
	// per object can keep it in an array by slot, where a map by key
	// cost a hashed lookup of a cold bucket per write. A deleted
	// object's slot goes to a later object, and Restore hands every
	// slot out anew without events: a watcher that keeps things by slot
	// must check that its entry is still the object's (metrics does;
	// cost does not, which only tests' Restore could trip).
	Slot int32
}

// Mutation is one committed change, as a replicated log would carry it.
type Mutation struct {
	Rev    int64
	Type   EventType
	Kind   string
	Key    string
	Object Object // nil for Deleted (and see Encoded)
	// Encoded is Object's protobuf encoding when the store keeps it
	// packed (see packed.go): immutable, for the log to share instead of
	// encoding Object again. Nil otherwise. Object may then be nil: the
	// store holds no decoded copy of an object a writer lent it
	// (CreateFrom).
	Encoded *Encoding
	// Renewed is, for a Lease renewal (RenewLease), the new version as the
	// store keeps it, Object being nil: immutable, it encodes exactly as
	// the whole Lease would (its Size and MarshalToSizedBuffer), so the
	// log holds it instead of a copy of the Lease. Nil otherwise.
	Renewed *Renewal
	// Slot numbers the object among those the store holds: each object
	// keeps its slot from creation to deletion, and a slot freed is
	// given to a later object. A replicated log keeps its copy of the
	// content in an array by slot, where a map by key cost a hashed
	// lookup of a cold bucket per write.
	Slot int32
}

// Log receives the mutations of one virtual instant as one batch when the
// instant ends. A replicated log (etcd over raft) plugs in here. The
// batch's array is reused after Append returns: a Log keeps copies.
type Log interface {
	Append(batch []Mutation) error
}

// IndexFunc returns the index values of an object for one index.
type IndexFunc func(obj Object) []string

// Store holds every object of the simulated cluster. It is not safe for
// concurrent use, not even by readers alone: a lookup may update the
// memo of recent kinds (table) and scratch buffers.
type Store struct {
	engine   *sim.Engine
	rev      int64
	tables   map[string]*table
	byKind   []*table // the tables by KindInfo.idx: a writer's object finds its table without hashing the kind's name
	batch    []Mutation
	log      Log
	logErr   error
	keyBuf   []byte        // Get's lookup key, built without allocating
	expiring []*table      // the kinds with a TTL, by name (ttl.go)
	slab     []queuedEvent // queued events are taken from here (see queuedEvent)
	lanes    map[time.Duration]*sim.Lane
	slots    slotAlloc // the objects' slots (Mutation.Slot)

	// recentKinds holds the table of the kind last looked up at each
	// place (recentKind): the kind's name is compared, where the map
	// hashed it and probed a group of its table, a cache miss or two.
	recentKinds [recentKinds]recentTable
}

// slotAlloc hands out the slots of objects: the lowest never used, or
// the one freed last.
type slotAlloc struct {
	next int32
	free []int32
}

func (a *slotAlloc) take() int32 {
	if n := len(a.free); n > 0 {
		s := a.free[n-1]
		a.free = a.free[:n-1]
		return s
	}
	a.next++
	return a.next - 1
}

func (a *slotAlloc) put(s int32) { a.free = append(a.free, s) }

// indexer is one index of a table: its name, what it indexes by, and
// its sets by value (the table's index[name], held here so that a write
// does not look the index up by name).
type indexer struct {
	name string
	fn   IndexFunc
	sets map[string]*indexSet
}

type table struct {
	kind     *KindInfo
	entries  keyMap                           // by key
	packs    bool                             // the kind is kept packed where its objects pack (packed.go)
	slab     encSlab                          // room for the encodings of the objects packed (packed.go)
	sorted   []*entry                         // the entries by key, unless unsorted is set; nil = rebuild
	unsorted bool                             // entries were appended to sorted since it was sorted
	indexers []indexer                        // in the order they were added
	index    map[string]map[string]*indexSet  // index -> value -> entries
	watchers []*watcher                       // the watches of every object of the kind
	feed     feed                             // the changes, for those of them that follow it (feed.go)
	groups   []watchGroup                     // those with a latency, by latency
	watchIdx map[string]map[string][]*watcher // index -> value -> watchers
	watched  []watchedIndex                   // the indexes in watchIdx, by name
	watches  uint64                           // counts the watches opened and stopped (see Renewal.quiet)
	buf      []byte                           // an index value being built
	rev      int64                            // the revision of the kind's last change
	// ttl, if set, is how long an object lasts after its last write;
	// expires holds the writes not expired yet (ttl.go).
	ttl     time.Duration
	expires expiryQueue
	// onWrite holds the hooks of OnWrite by key (nil until the first).
	onWrite map[string][]*func()
}

// watchedIndex is an index some watch selects on (WatchIndex), as a write
// offers its change to the watches: one entry of table.watchIdx with the
// index's function, so the hot path looks neither up by name.
type watchedIndex struct {
	name  string
	fn    IndexFunc
	byVal map[string][]*watcher
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
	s := &Store{engine: engine, tables: map[string]*table{}, byKind: make([]*table, len(kindOrder))}
	for i, k := range kindOrder {
		s.byKind[i] = &table{
			kind:     kindsByName[k],
			entries:  newKeyMap(packable(k)),
			packs:    packable(k),
			index:    map[string]map[string]*indexSet{},
			watchIdx: map[string]map[string][]*watcher{},
		}
		s.byKind[i].addIndexer(LabelIndex, labelValues)
		s.byKind[i].addIndexer(OwnerIndex, ownerValues)
		s.tables[k] = s.byKind[i]
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

// table is the table of kind, nil for an unknown kind. The kinds most
// looked up are told apart by a switch on the name, cheaper than hashing
// it (every Get of a pod or a node hashed "Pod" or "Node" first).
func (s *Store) table(kind string) *table {
	switch kind {
	case "Pod":
		return s.byKind[podKind.idx]
	case "Node":
		return s.byKind[nodeKind.idx]
	case "Lease":
		return s.byKind[leaseKind.idx]
	case "Event":
		return s.byKind[eventKind.idx]
	}
	c := &s.recentKinds[recentKind(kind)]
	if c.t != nil && c.kind == kind {
		return c.t
	}
	t := s.tables[kind]
	if t != nil {
		*c = recentTable{kind, t}
	}
	return t
}

// recentKinds is the number of places in Store.recentKinds (a power of
// two).
const recentKinds = 32

// recentTable is a kind's name and table.
type recentTable struct {
	kind string
	t    *table
}

// recentKind is the place of kind in Store.recentKinds: its length and
// first and last letters give each of the kinds looked up most a place
// of its own (ReplicaSet, ResourceQuota, Service, PodDisruptionBudget,
// Deployment and eight more: 4 million lookups at 5,000 nodes), and a
// kind that shares its place with another only costs the map lookup.
func recentKind(kind string) int {
	n := len(kind)
	if n == 0 {
		return 0
	}
	return (n + int(kind[0])*6 + int(kind[n-1])) & (recentKinds - 1)
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
	if t := s.table(kind); t != nil {
		return t.rev
	}
	return 0
}

// AddIndex registers an index on kind. Must be called before objects of
// the kind are added.
func (s *Store) AddIndex(kind, name string, fn IndexFunc) {
	t := s.table(kind)
	if t.indexer(name) != nil {
		return
	}
	ix := t.addIndexer(name, fn)
	for _, e := range t.sortedEntries() {
		t.addIndex(ix, e, e.object())
	}
}

// addIndexer adds an empty index to t.
func (t *table) addIndexer(name string, fn IndexFunc) *indexer {
	t.indexers = append(t.indexers, indexer{name: name, fn: fn, sets: map[string]*indexSet{}})
	t.index[name] = t.indexers[len(t.indexers)-1].sets
	return &t.indexers[len(t.indexers)-1]
}

// entry is the slot of one stored object. Each version of the object
// replaces the previous one in the same slot, and the index sets hold
// slots, not objects: an update that leaves an object's index values
// alone (a lease renewal, a status update: labels, owners and node kept)
// does not touch any index set. This is exact because a slot always holds
// the current version, whichever way it is reached.
type entry struct {
	key string
	obj Object    // the object, nil when it is kept packed
	p   packedObj // its encoding when packed
	// rev is the object's resourceVersion as a number (-1 if it is not
	// one), for the TTL to tell whether an expiry is still due without
	// decoding a packed object (the entry's size class has room for it).
	rev  int64
	slot int32 // see Mutation.Slot
}

// object is the entry's object, decoded if it is kept packed, made
// whole if it is a renewed Lease (see Renewal).
func (e *entry) object() Object {
	if e.obj != nil {
		if r, ok := e.obj.(*Renewal); ok {
			return r.Whole()
		}
		return e.obj
	}
	return unpack(e.p)
}

// set makes obj the entry's object, packed if the kind is and obj packs,
// and returns its encoding if packed.
func (e *entry) set(t *table, obj Object) (enc *Encoding) {
	if t.packs {
		if p, ok := pack(obj, &t.slab); ok {
			e.obj, e.p = nil, p
			return p.enc
		}
	}
	e.obj, e.p = obj, packedObj{}
	return nil
}

// indexer is the function of the named index, nil if there is none.
func (t *table) indexer(name string) IndexFunc {
	for _, ix := range t.indexers {
		if ix.name == name {
			return ix.fn
		}
	}
	return nil
}

// get is the object of key, decoded if it is kept packed.
func (t *table) get(key string) (Object, bool) {
	if e := t.entries.get(key); e != nil {
		return e.object(), true
	}
	return nil, false
}

func (t *table) size() int { return t.entries.len() }

// objects is the objects of an index set, in key order.
func (t *table) objects(set *indexSet) []Object {
	ents := set.sorted()
	out := make([]Object, len(ents))
	for i, e := range ents {
		out[i] = e.object()
	}
	return out
}

// indexSet holds the entries of one index value. Readers get them in
// key order (deterministic); a write appends, and a set whose entries
// came out of order is sorted when it is next read. Sets are written far
// more than they are read (a pod joins four: its two labels', its
// owner's and, once bound, its node's, which is read only when the node
// fails or its kubelet resyncs), and keeping each sorted as it was
// written cost a binary search through cold entries and their keys at
// every join.
type indexSet struct {
	ents     []*entry
	unsorted bool // an entry was added out of key order since the set was sorted
}

// add adds e, which is not in the set.
func (s *indexSet) add(e *entry) {
	if n := len(s.ents); n > 0 && s.ents[n-1].key > e.key {
		s.unsorted = true
	}
	s.ents = append(s.ents, e)
}

// join is add for an update that moves e into the set (a binding, into
// its node's): it reads no member. The set's last member joined it long
// before and is cold, and reading its key to keep the set marked sorted
// cost two cache misses a binding (0.24 s of 5,000 nodes' 150,000); the
// set is sorted when it is next read instead, which a node's set rarely
// is and then mostly was (pods are bound in no order of their names).
func (s *indexSet) join(e *entry) {
	s.ents = append(s.ents, e)
	s.unsorted = s.unsorted || len(s.ents) > 1
}

// sorted is the set's entries in key order.
func (s *indexSet) sorted() []*entry {
	if s.unsorted {
		slices.SortFunc(s.ents, compareEntries)
		s.unsorted = false
	}
	return s.ents
}

func (s *indexSet) del(key string) {
	if i, found := slices.BinarySearchFunc(s.sorted(), key, entryKeyCmp); found {
		s.ents = slices.Delete(s.ents, i, i+1)
	}
}

// set is the set of value v, made if there is none.
func (ix *indexer) set(v string) *indexSet {
	set := ix.sets[v]
	if set == nil {
		set = &indexSet{}
		ix.sets[v] = set
	}
	return set
}

// addIndex adds e, whose object is obj, to the sets of obj's values of
// the index. The built-in indexes' values are not allocated: a label's
// "key=value" is built in t.buf (a string is made only for a new set), an
// owner's UID is a string already.
func (t *table) addIndex(ix *indexer, e *entry, obj Object) {
	switch ix.name {
	case LabelIndex:
		for k, v := range obj.GetLabels() { // (any order: each label's set on its own)
			t.buf = append(append(append(t.buf[:0], k...), '='), v...)
			set := ix.sets[string(t.buf)]
			if set == nil {
				set = &indexSet{}
				ix.sets[string(t.buf)] = set
			}
			set.add(e)
		}
	case OwnerIndex:
		refs := obj.GetOwnerReferences()
		for i := range refs {
			if !hasUID(refs[:i], refs[i].UID) {
				ix.set(string(refs[i].UID)).add(e)
			}
		}
	default:
		var valArr [2]string
		vals := indexValues(ix.name, ix.fn, obj, valArr[:0])
		for i, v := range vals {
			if !slices.Contains(vals[:i], v) {
				ix.set(v).add(e)
			}
		}
	}
}

// hasUID reports whether one of refs has the UID.
func hasUID(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.UID == uid {
			return true
		}
	}
	return false
}

// removeIndex removes key, whose object was obj, from the index.
func (t *table) removeIndex(ix *indexer, key string, obj Object) {
	var valArr [2]string
	for _, v := range indexValues(ix.name, ix.fn, obj, valArr[:0]) {
		t.drop(ix.sets, v, key)
	}
}

// drop removes key from the set of value v, and the set once empty.
func (t *table) drop(idx map[string]*indexSet, v, key string) {
	if set := idx[v]; set != nil {
		set.del(key)
		if len(set.ents) == 0 {
			delete(idx, v)
		}
	}
}

// updateIndex moves e from old's index values to obj's. Nothing moves
// when they are the same, the common update (see entry).
func (t *table) updateIndex(ix *indexer, e *entry, obj, old Object) {
	if sameValues(ix.name, obj, old) {
		return
	}
	var oldArr, newArr [2]string
	oldVals := indexValues(ix.name, ix.fn, old, oldArr[:0])
	newVals := indexValues(ix.name, ix.fn, obj, newArr[:0])
	for _, v := range oldVals {
		if !slices.Contains(newVals, v) {
			t.drop(ix.sets, v, e.key)
		}
	}
	for i, v := range newVals {
		if !slices.Contains(oldVals, v) && !slices.Contains(newVals[:i], v) {
			ix.set(v).join(e)
		}
	}
}

// sameValues reports, for the built-in indexes, whether obj has the same
// index values as old, found without building the values' strings (false
// for the other indexes: their values are compared by updateIndex).
func sameValues(name string, obj, old Object) bool {
	switch name {
	case LabelIndex:
		l, oldL := obj.GetLabels(), old.GetLabels()
		// A version copied from the one before holds the same map: equal
		// without comparing entries.
		return sameMap(l, oldL) || maps.Equal(l, oldL)
	case OwnerIndex:
		refs, oldRefs := obj.GetOwnerReferences(), old.GetOwnerReferences()
		if len(refs) == len(oldRefs) && (len(refs) == 0 || &refs[0] == &oldRefs[0]) {
			return true // the same array: a shallow copy's
		}
		return slices.EqualFunc(refs, oldRefs, func(a, b metav1.OwnerReference) bool { return a.UID == b.UID })
	case NodeNameIndex:
		return sameNode(name, obj, old)
	}
	return false
}

// sameNode reports whether name is the node name index and obj and old
// are pods on the same node (or both on none): the same index values.
func sameNode(name string, obj, old Object) bool {
	if name != NodeNameIndex {
		return false
	}
	p, ok := obj.(*corev1.Pod)
	op, oldOK := old.(*corev1.Pod)
	return ok && oldOK && p.Spec.NodeName == op.Spec.NodeName
}

// Get returns the object of kind with the given namespace and name.
func (s *Store) Get(kind, namespace, name string) (Object, bool) {
	t := s.table(kind)
	if t == nil {
		return nil, false
	}
	if namespace == "" {
		return t.get(name)
	}
	// The key is built in a reused buffer: a map lookup by string(bytes)
	// does not allocate (every Get allocated its key string before).
	if e := s.lookup(t, namespace, name); e != nil {
		return e.object(), true
	}
	return nil, false
}

// lookup is the entry of namespace/name in t, nil if none. The key is
// built in a reused buffer: a map lookup by string(bytes) does not
// allocate (every Get allocated its key string before).
func (s *Store) lookup(t *table, namespace, name string) *entry {
	if namespace == "" {
		return t.entries.get(name)
	}
	s.keyBuf = append(append(append(s.keyBuf[:0], namespace...), '/'), name...)
	return t.entries.getBytes(s.keyBuf)
}

// Len is the number of objects of kind.
func (s *Store) Len(kind string) int { return s.table(kind).size() }

// List returns the objects of kind in namespace ("" = all), sorted by key.
func (s *Store) List(kind, namespace string) []Object {
	t := s.table(kind)
	ents := t.sortedEntries()
	out := make([]Object, 0, len(ents))
	for _, e := range ents {
		if t.packs && namespace != "" && !inNamespace(e.key, namespace) {
			continue // not decoded to learn its namespace
		}
		o := e.object()
		if namespace == "" || o.GetNamespace() == namespace {
			out = append(out, o)
		}
	}
	return out
}

// labelSet is the label index's set of key=value, found without
// allocating the string.
func (t *table) labelSet(key, value string) *indexSet {
	t.buf = append(append(append(t.buf[:0], key...), '='), value...)
	return t.index[LabelIndex][string(t.buf)]
}

// inNamespace reports whether key is of an object in namespace.
func inNamespace(key, namespace string) bool {
	return len(key) > len(namespace) && key[len(namespace)] == '/' && strings.HasPrefix(key, namespace)
}

// sortedEntries is the table's entries sorted by key: List walks them
// without looking each key up again.
func (t *table) sortedEntries() []*entry {
	if t.sorted == nil {
		t.sorted = make([]*entry, 0, t.size())
		t.entries.each(func(e *entry) { t.sorted = append(t.sorted, e) })
		t.unsorted = true
	}
	if t.unsorted {
		slices.SortFunc(t.sorted, compareEntries)
		t.unsorted = false
	}
	return t.sorted
}

func compareEntries(a, b *entry) int { return strings.Compare(a.key, b.key) }

func entryKeyCmp(e *entry, key string) int { return strings.Compare(e.key, key) }

// ByIndex returns the objects of kind whose index has value, sorted by key.
func (s *Store) ByIndex(kind, index, value string) []Object {
	t := s.table(kind)
	set := t.index[index][value]
	if set == nil {
		return nil
	}
	return t.objects(set)
}

// EachByIndex calls fn with each object of kind whose index has value, in
// key order, as ByIndex lists them but without copying the set (a hot
// reader that only looks saves an allocation per call). fn must not
// write to the store.
func (s *Store) EachByIndex(kind, index, value string, fn func(Object)) {
	t := s.table(kind)
	set := t.index[index][value]
	if set == nil {
		return
	}
	for _, e := range set.sorted() {
		fn(e.object())
	}
}

// CountIndex is the number of objects of kind whose index has value.
func (s *Store) CountIndex(kind, index, value string) int {
	if set := s.table(kind).index[index][value]; set != nil {
		return len(set.ents)
	}
	return 0
}

// CountLabel is CountIndex(kind, LabelIndex, key+"="+value) without
// building the string: a controller's claim asks it on every sync.
func (s *Store) CountLabel(kind, key, value string) int {
	if set := s.table(kind).labelSet(key, value); set != nil {
		return len(set.ents)
	}
	return 0
}

// Select returns the objects of kind in namespace ("" = all) matching sel,
// sorted by key. Equality requirements use the label index.
func (s *Store) Select(kind, namespace string, sel labels.Selector) []Object {
	t := s.table(kind)
	if sel == nil || sel.Empty() {
		return s.List(kind, namespace)
	}
	reqs, _ := sel.Requirements()
	var best []*entry
	found := false
	for _, r := range reqs {
		if r.Operator() != selection.Equals && r.Operator() != selection.DoubleEquals && r.Operator() != selection.In {
			continue
		}
		var cand []*entry
		vals := r.ValuesUnsorted()
		if len(vals) > 1 {
			slices.Sort(vals)
			vals = slices.Compact(vals)
		}
		if len(vals) == 1 {
			if set := t.labelSet(r.Key(), vals[0]); set != nil {
				cand = set.sorted()
			}
		} else {
			for _, v := range vals {
				if set := t.labelSet(r.Key(), v); set != nil {
					cand = append(cand, set.sorted()...)
				}
			}
			// A key has one value per label, so the sets are disjoint.
			slices.SortFunc(cand, compareEntries)
		}
		if !found || len(cand) < len(best) {
			best, found = cand, true
		}
	}
	var out []Object
	if found {
		out = make([]Object, 0, len(best)) // usually all of them match
	}
	match := func(o Object) {
		if namespace != "" && o.GetNamespace() != namespace {
			return
		}
		if sel.Matches(labels.Set(o.GetLabels())) {
			out = append(out, o)
		}
	}
	if !found {
		for _, o := range s.List(kind, "") {
			match(o)
		}
		return out
	}
	for _, e := range best {
		match(e.object())
	}
	if len(out) == 0 {
		return nil // as when nothing was appended
	}
	return out
}

// Create adds obj with the next revision. The caller has set every
// field; the store sets only resourceVersion.
func (s *Store) Create(obj Object) (Object, error) {
	if err := s.create(obj, "", false); err != nil {
		return nil, err
	}
	return obj, nil
}

// CreateFrom is Create for a writer that goes on using obj once the call
// returns (CreateEvent's rare path creates the Event it builds this way). The store keeps obj's encoding if the kind is kept
// packed and obj packs (packed.go), else a copy of obj; the log is handed
// the encoding, and watchers a copy of obj (made only if the kind has
// watchers). key, if not empty, is KeyOf(obj), which the writer
// built anyway: the store keeps it rather than building the same string.
// As Create, it sets obj's resourceVersion.
func (s *Store) CreateFrom(obj Object, key string) error {
	return s.create(obj, key, true)
}

// create is Create, and CreateFrom if borrowed (obj is the writer's).
func (s *Store) create(obj Object, key string, borrowed bool) error {
	info, err := KindOf(obj)
	if err != nil {
		return err
	}
	t := s.byKind[info.idx]
	if key == "" || !isKeyOf(key, obj) {
		key = KeyOf(obj)
	}
	e, err := s.add(t, key, obj.GetName())
	if err != nil {
		return err
	}
	obj.SetResourceVersion(strconv.FormatInt(s.rev, 10))
	enc := e.set(t, obj)
	for i := range t.indexers {
		t.addIndex(&t.indexers[i], e, obj) // index values are strings: obj is not kept
	}
	if borrowed {
		switch {
		case enc == nil:
			obj = obj.DeepCopyObject().(Object)
			e.obj = obj
		case s.watchedKind(t):
			// The watchers' copy of what was written: cheaper than
			// decoding the encoding (the copy shares the strings).
			obj = obj.DeepCopyObject().(Object)
		default:
			obj = nil // the log has the encoding; nobody else wants it
		}
	}
	s.record(t, Added, e, obj, nil, enc)
	return nil
}

// add makes the entry of a new object of t, keyed key and named name,
// at the next revision; AlreadyExists if key has one.
func (s *Store) add(t *table, key, name string) (*entry, error) {
	e := t.entries.insert(key)
	if e == nil {
		return nil, apierrors.NewAlreadyExists(t.kind.GroupResource(), name)
	}
	s.rev++
	e.rev, e.slot = s.rev, s.slots.take()
	if t.sorted != nil {
		// Sorted lazily on the next List: inserting in place would move
		// the whole slice on every create (150,000 pods).
		t.sorted = append(t.sorted, e)
		t.unsorted = true
	}
	return e, nil
}

// CreateEvent is CreateFrom(d.Event(), key) with the UID uid (the text
// of a UUID), for the API server's recorder: where nothing but the log
// and Get read the Event (the kind is packed, unwatched and only has the
// built-in indexes, and it packs), it is encoded straight from d, its UID
// and resourceVersion written into the encoding as bytes: no Event is
// built, nor either string (two of the four objects allocated for each
// of the five Events of a pod).
func (s *Store) CreateEvent(d *EventDraft, key string, uid []byte) error {
	t := s.byKind[eventKind.idx]
	if !t.packs || len(t.indexers) != 2 || s.watchedKind(t) || !d.exact() || !isKeyOfName(key, d.Namespace, d.Name) {
		ev := d.Event()
		ev.UID = types.UID(uid)
		return s.create(ev, key, true) // as CreateFrom: what the log and watchers are handed is the same
	}
	e, err := s.add(t, key, d.Name)
	if err != nil {
		return err
	}
	var buf [20]byte
	rv := strconv.AppendInt(buf[:0], s.rev, 10)
	z := sizesOf(d, len(uid), len(rv))
	enc := t.slab.alloc(z.total)
	enc.Bytes = encodeEvent(enc.Bytes[:0], d, uid, rv, z)
	e.p = packedObj{enc: enc, nsec: d.nsec()}
	s.record(t, Added, e, nil, nil, enc)
	return nil
}

// isKeyOf reports whether key is KeyOf(obj), without building KeyOf(obj).
func isKeyOf(key string, obj Object) bool { return isKeyOfName(key, obj.GetNamespace(), obj.GetName()) }

// isKeyOfName reports whether key is the key of namespace ns and name.
func isKeyOfName(key, ns, name string) bool {
	if ns == "" {
		return key == name
	}
	return len(key) == len(ns)+1+len(name) && key[len(ns)] == '/' &&
		strings.HasPrefix(key, ns) && strings.HasSuffix(key, name)
}

// watchedKind reports whether any watch could be handed a change of t's
// kind.
func (s *Store) watchedKind(t *table) bool {
	return len(t.watchers) > 0 || len(t.watched) > 0
}

// Update replaces an object. If obj carries a resourceVersion, it must
// match the stored one (optimistic concurrency), else Conflict.
func (s *Store) Update(obj Object) (Object, error) {
	info, err := KindOf(obj)
	if err != nil {
		return nil, err
	}
	t := s.byKind[info.idx]
	e := s.lookup(t, obj.GetNamespace(), obj.GetName())
	if e == nil {
		return nil, apierrors.NewNotFound(t.kind.GroupResource(), obj.GetName())
	}
	return s.update(t, e, obj)
}

// UpdateEvent writes a new version of the stored Event namespace/name,
// as Update writes it: change is handed a copy to change (the event
// recorder's recount: count, last time and message). The Event is found
// and decoded once, where Get, DeepCopy and Update found it twice and
// decoded and copied it twice. ok is false if there is no such Event.
func (s *Store) UpdateEvent(namespace, name string, change func(*corev1.Event)) (out Object, ok bool, err error) {
	t := s.byKind[eventKind.idx]
	e := s.lookup(t, namespace, name)
	if e == nil {
		return nil, false, nil
	}
	old := e.object()
	// A shallow copy: change sets fields, and nothing writes into what
	// the copy shares with old (stored objects are immutable).
	ev := *old.(*corev1.Event)
	change(&ev)
	out, err = s.updateFrom(t, e, &ev, old)
	return out, true, err
}

// update makes obj, a new version of e's object, the object of e.
func (s *Store) update(t *table, e *entry, obj Object) (Object, error) {
	return s.updateFrom(t, e, obj, e.object())
}

// updateFrom is update, given e's object old.
func (s *Store) updateFrom(t *table, e *entry, obj, old Object) (Object, error) {
	if rv := obj.GetResourceVersion(); rv != "" && rv != old.GetResourceVersion() {
		return nil, apierrors.NewConflict(t.kind.GroupResource(), obj.GetName(),
			errConflict)
	}
	s.rev++
	obj.SetResourceVersion(strconv.FormatInt(s.rev, 10))
	enc := e.set(t, obj)
	e.rev = s.rev
	for i := range t.indexers {
		t.updateIndex(&t.indexers[i], e, obj, old)
	}
	s.record(t, Modified, e, obj, old, enc)
	return obj, nil
}

type conflictError struct{}

func (conflictError) Error() string {
	return "the object has been modified; please apply your changes to the latest version and try again"
}

var errConflict = conflictError{}

// Delete removes an object.
func (s *Store) Delete(kind, namespace, name string) (Object, error) {
	t := s.table(kind)
	e := s.lookup(t, namespace, name)
	if e == nil {
		return nil, apierrors.NewNotFound(t.kind.GroupResource(), name)
	}
	old := e.object()
	s.remove(t, e, old)
	return old, nil
}

// remove deletes e, whose object is old. old may be nil only where
// nothing would read it (needless): then the deletion is not decoded.
func (s *Store) remove(t *table, e *entry, old Object) {
	key := e.key
	s.rev++
	t.entries.remove(e)
	if t.unsorted {
		t.sorted = nil
	} else if t.sorted != nil {
		if i, found := slices.BinarySearchFunc(t.sorted, key, entryKeyCmp); found {
			t.sorted = slices.Delete(t.sorted, i, i+1)
		}
	}
	if old != nil {
		for i := range t.indexers {
			t.removeIndex(&t.indexers[i], key, old)
		}
	}
	e.kill()
	s.slots.put(e.slot)
	s.record(t, Deleted, e, nil, old, nil)
}

// needless reports whether nothing reads the object of e when it is
// deleted, so that a packed one need not be decoded for it: the kind is
// unwatched, has only the built-in indexes, and the object is packed
// and has no labels or owners (their values).
func (s *Store) needless(t *table, e *entry) bool {
	return e.obj == nil && !e.p.indexed && len(t.indexers) == 2 && !s.watchedKind(t)
}

// Restore replaces the whole content of the store (etcd snapshot restore)
// without notifying watchers; callers resynchronise their components.
func (s *Store) Restore(rev int64, objs []Object) {
	for _, t := range s.tables {
		t.entries.each((*entry).kill) // (any order: each is only emptied)
		t.entries = newKeyMap(t.packs)
		t.sorted, t.unsorted = nil, false
		for i := range t.indexers {
			ix := &t.indexers[i]
			ix.sets = map[string]*indexSet{}
			t.index[ix.name] = ix.sets
		}
	}
	s.slots = slotAlloc{} // every slot is free
	for _, o := range objs {
		info, err := KindOf(o)
		if err != nil {
			continue
		}
		t := s.byKind[info.idx]
		key := KeyOf(o)
		e := t.entries.get(key)
		if e == nil {
			e = t.entries.insert(key)
			e.slot = s.slots.take()
		}
		e.set(t, o)
		e.rev = revOf(o)
		for i := range t.indexers {
			t.addIndex(&t.indexers[i], e, o)
		}
	}
	if rev > s.rev {
		s.rev = rev
	}
	for _, t := range s.tables {
		t.rev = s.rev
	}
	for _, t := range s.byKind {
		for _, key := range slices.Sorted(maps.Keys(t.onWrite)) {
			for _, fn := range t.onWrite[key] {
				(*fn)()
			}
		}
	}
}

// revOf is obj's resourceVersion as a number, -1 if it is not the
// decimal form of one.
func revOf(obj Object) int64 {
	rv := obj.GetResourceVersion()
	if n, err := strconv.ParseInt(rv, 10, 64); err == nil && strconv.FormatInt(n, 10) == rv {
		return n
	}
	return -1
}

func (s *Store) record(t *table, typ EventType, e *entry, obj, old Object, enc *Encoding) {
	s.written(t, Mutation{Rev: s.rev, Type: typ, Kind: t.kind.Kind, Key: e.key, Object: obj, Encoded: enc, Slot: e.slot})
	if t.onWrite != nil {
		for _, fn := range t.onWrite[e.key] {
			(*fn)()
		}
	}
	s.offer(t, typ, obj, old, e.slot)
}

// written is the bookkeeping of the write m of an object of t, at the
// current revision: the kind's revision, the write's expiry if the kind
// has a TTL, and the mutation for the log.
func (s *Store) written(t *table, m Mutation) {
	t.rev = s.rev
	if t.ttl > 0 && m.Type != Deleted {
		t.expires.push(expiry{due: s.engine.Elapsed() + t.ttl, rev: s.rev, key: m.Key})
	}
	s.batch = append(s.batch, m)
}

// offer hands the change of an object of t, at the current revision, to
// the watches that want it. A watch that follows the feed sees the
// kind's changes in revision order. A latency-0 handler that writes an
// object of its own kind during the fan-out (none does today) makes a
// queued watch later in the list see that nested change before this
// one, as every watch did before the feed.
func (s *Store) offer(t *table, typ EventType, obj, old Object, slot int32) {
	f := fanout{s: s, ev: Event{Type: typ, Kind: t.kind.Kind, Object: obj, Old: old, Rev: s.rev, Slot: slot}}
	if typ == Deleted {
		f.ev.Object = old
	}
	if f.ev.Object == nil {
		return // a lent object nobody watches (CreateFrom)
	}
	if t.feed.followers > 0 {
		f.q = t.feed.add(queuedEvent{at: s.engine.Elapsed(), ev: f.ev})
	}
	for _, w := range t.watchers {
		w.push(&f)
	}
	for _, wi := range t.watched {
		name, fn, byVal := wi.name, wi.fn, wi.byVal
		var seenArr [4]*watcher
		var valArr [2]string
		seen := seenArr[:0]
		if obj != nil {
			for _, v := range indexValues(name, fn, obj, valArr[:0]) {
				for _, w := range byVal[v] {
					w.push(&f)
					seen = append(seen, w)
				}
			}
		}
		if old != nil && !(obj != nil && sameNode(name, obj, old)) {
			// (A pod keeps its node through all its writes but the
			// binding: its watchers were found by the new version's.)
			for _, v := range indexValues(name, fn, old, valArr[:0]) {
				for _, w := range byVal[v] {
					if !slices.Contains(seen, w) {
						w.push(&f)
						seen = append(seen, w)
					}
				}
			}
		}
	}
}

// sameMap reports whether a and b are the same map (not merely equal).
func sameMap(a, b map[string]string) bool {
	return len(a) == len(b) && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
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
	// follows: the watch is handed every change of its kind, with a
	// latency, so the events waiting for delivery are those of its
	// kind's feed after cur (feed.go), and queue is unused.
	follows bool
	cur     cursor
	// queue[head:] are the events waiting for delivery, in due order (each
	// is due latency after its change, and changes come in time order).
	// Delivery takes the due ones from the front, and the array is
	// compacted only once most of it is spent: when the replica set
	// controllers create every pod at one instant, each pod watcher holds
	// all of them, and copying the waiting ones on every delivery made
	// such a burst quadratic.
	queue []*queuedEvent
	head  int
	// timer delivers the due events; it is kept and rescheduled, not
	// allocated per delivery. armed: a delivery is scheduled or running
	// (events that handlers cause then wait for it).
	timer   *sim.Timer
	armed   bool
	stopped bool
	// member, if set, is the watch in its group (see watchGroup): its
	// deliveries run from the group's slot, each where the watch's own
	// timer would have run.
	member *sim.Member
}

// watchGroup is the watches of every object of one kind with one
// latency: the controllers' and the scheduler's pod watches, a dozen of
// them, each told of every pod write 2 ms later. Each delivery was an
// engine step of its own (most of a run's steps, most handlers ignoring
// the event); the group (a sim.Group) runs them all from one engine slot,
// in exactly the order and with exactly the sequence numbers their own
// timers had, so nothing else moves: a member reserves its key where it
// scheduled its timer (a push while it is idle, the end of a delivery
// that leaves events waiting).
type watchGroup struct {
	latency time.Duration
	g       *sim.Group
}

// group is t's watch group for latency, made on its first use.
func (s *Store) group(t *table, latency time.Duration) *sim.Group {
	for _, g := range t.groups {
		if g.latency == latency {
			return g.g
		}
	}
	g := s.engine.NewGroup(s.lane(latency), "watch")
	t.groups = append(t.groups, watchGroup{latency, g})
	return g
}

// maxQueueKept is the largest queue array a watcher keeps once it has
// nothing waiting: a burst of thousands of events should not keep its
// array alive for the rest of the run.
const maxQueueKept = 4096

// queuedEvent is a change as the watchers that wait to be told of it
// (those with a latency) queue it: one record shared by all of them, each
// queue holding a pointer. Every pod watcher queued its own 72-byte copy
// before: 15 copies of every pod created in the burst at the start of a
// run, a tenth of all the simulation allocated. The watches that follow
// the kind's feed read the records there (feed.go); the others' are taken
// from slabs (slabSize at a time, one allocation); a slab is garbage once
// every watcher delivered its records, a few milliseconds of virtual time
// after its last change. A record is never written after it is queued.
type queuedEvent struct {
	at time.Duration // when the change happened; due latency after
	ev Event
}

const slabSize = 256

// fanout is one change being offered to the watchers: its queued record
// is made when the first watcher queues it.
type fanout struct {
	s  *Store
	ev Event
	q  *queuedEvent
}

// queued is the change's shared record.
func (f *fanout) queued() *queuedEvent {
	if f.q == nil {
		s := f.s
		if len(s.slab) == 0 {
			s.slab = make([]queuedEvent, slabSize)
		}
		f.q, s.slab = &s.slab[0], s.slab[1:]
		*f.q = queuedEvent{at: s.engine.Elapsed(), ev: f.ev}
	}
	return f.q
}

// maxLanes is the most engine lanes the store's watches use.
const maxLanes = 4

// lane is the engine lane for the deliveries of watches of every object
// of a kind with the given latency: such a watch is due latency after
// each change, and changes come in time order, so the deliveries of all
// the watches with one latency are scheduled in nearly increasing time
// order (see sim.Lane). The controllers' watches share one latency and
// make most of a run's events. nil (the engine's heap) for a latency
// past the first maxLanes, and for no latency (delivered at once).
func (s *Store) lane(latency time.Duration) *sim.Lane {
	if latency <= 0 {
		return nil
	}
	if l := s.lanes[latency]; l != nil {
		return l
	}
	if len(s.lanes) >= maxLanes {
		return nil
	}
	if s.lanes == nil {
		s.lanes = map[time.Duration]*sim.Lane{}
	}
	l := s.engine.NewLane()
	s.lanes[latency] = l
	return l
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
	t := s.table(kind)
	if t == nil {
		return func() {} // no object of an unknown kind is ever written
	}
	if latency > 0 {
		w.member = s.group(t, latency).Join(func() { w.deliver(s.engine) })
		if keep == nil {
			w.follows, w.cur = true, t.feed.follow()
		}
	}
	t.watchers = append(t.watchers, w)
	t.watches++
	return func() {
		if w.follows && !w.stopped {
			t.feed.unfollow()
		}
		w.stop(s.engine)
		t.watchers = slices.DeleteFunc(t.watchers, func(x *watcher) bool { return x == w })
		t.watches++
	}
}

// WatchIndex is Watch restricted to objects whose index has value before
// or after the change (a field-selector watch, like the kubelet's
// spec.nodeName=<node>). The index must exist.
func (s *Store) WatchIndex(kind, index, value string, latency time.Duration, fn Handler) (stop func()) {
	t := s.table(kind)
	if t.indexer(index) == nil {
		// The watch remembers the index's function when it is first
		// watched: an index added later would never be consulted.
		panic("store: WatchIndex on " + kind + " index " + index + ", which AddIndex has not registered")
	}
	w := &watcher{latency: latency, fn: fn}
	if t.watchIdx[index] == nil {
		t.watchIdx[index] = map[string][]*watcher{}
		var watched []watchedIndex // a new array: a write may be ranging over the old one
		for _, name := range slices.Sorted(maps.Keys(t.watchIdx)) {
			watched = append(watched, watchedIndex{name, t.indexer(name), t.watchIdx[name]})
		}
		t.watched = watched
	}
	t.watchIdx[index][value] = append(t.watchIdx[index][value], w)
	t.watches++
	return func() {
		w.stop(s.engine)
		t.watches++
		t.watchIdx[index][value] = slices.DeleteFunc(t.watchIdx[index][value], func(x *watcher) bool { return x == w })
		if len(t.watchIdx[index][value]) == 0 {
			delete(t.watchIdx[index], value)
		}
	}
}

func (w *watcher) push(f *fanout) {
	if w.stopped || (w.keep != nil && !w.keep(f.ev)) {
		return
	}
	if w.latency <= 0 {
		w.fn(f.ev)
		return
	}
	if !w.follows { // (a follower's event is in the feed: offer put it there)
		w.queue = append(w.queue, f.queued())
	} else if w.front() == nil {
		return // started during this change's fan-out, after the change
	}
	if !w.armed {
		w.schedule(f.s.engine)
	}
}

// front is the first event waiting for delivery, nil if none.
func (w *watcher) front() *queuedEvent {
	if w.follows {
		return w.cur.front()
	}
	if w.head < len(w.queue) {
		return w.queue[w.head]
	}
	return nil
}

// pop takes the front (see front) off the events waiting.
func (w *watcher) pop() {
	if w.follows {
		w.cur.i++
		return
	}
	w.queue[w.head] = nil // the array keeps no delivered record alive
	w.head++
}

// due is when the queued event q is delivered.
func (w *watcher) due(q *queuedEvent) time.Duration { return q.at + w.latency }

// schedule arms the delivery of the events waiting; push calls it only
// when there are some.
func (w *watcher) schedule(e *sim.Engine) {
	w.armed = true
	due := w.due(w.front())
	if w.member != nil {
		w.member.Arm(due)
		return
	}
	if w.timer == nil {
		w.timer = e.At(due, "watch", func() { w.deliver(e) })
		return
	}
	e.Reschedule(w.timer, due)
}

// deliver hands the due events to the handler, oldest first. The events
// handlers cause are queued behind (due latency from now, so never in
// this delivery); w.armed stays set while handlers run so that they do
// not schedule a second delivery.
func (w *watcher) deliver(e *sim.Engine) {
	now := e.Elapsed()
	tr := e.Trace()
	for {
		q := w.front()
		if q == nil || w.due(q) > now {
			break
		}
		ev := q.ev
		w.pop()
		if tr.Linking() { // explain: a delivery is caused by the write it delivers
			o := ev.Object
			tr.SetCause(tr.LastOf(MustKind(o), o.GetNamespace(), o.GetName()))
		}
		w.fn(ev)
		if w.stopped { // by the handler: its queue is gone
			return
		}
	}
	w.armed = false
	if w.member != nil {
		w.member.Disarm()
	}
	if !w.follows {
		w.compact()
	}
	if w.front() != nil {
		w.schedule(e)
	}
}

// compact reclaims the delivered front of the queue: all of it once
// nothing waits (a burst-sized array is let go), else by moving what
// waits to the front once more than half is spent (each waiting event is
// moved at most once per time the array fills: constant work per event).
func (w *watcher) compact() {
	waiting := len(w.queue) - w.head
	switch {
	case waiting == 0 && cap(w.queue) > maxQueueKept:
		w.queue, w.head = nil, 0
	case waiting == 0:
		w.queue, w.head = w.queue[:0], 0
	case w.head > waiting:
		n := copy(w.queue, w.queue[w.head:])
		clear(w.queue[n:])
		w.queue, w.head = w.queue[:n], 0
	}
}

// stop ends the watch: nothing is delivered any more, and the queue lets
// its records go.
func (w *watcher) stop(e *sim.Engine) {
	w.stopped = true
	w.queue, w.head, w.cur = nil, 0, cursor{}
	e.Cancel(w.timer)
	if w.member != nil {
		w.member.Leave()
	}
}
