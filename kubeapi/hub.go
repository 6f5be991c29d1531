package kubeapi

import (
	"time"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// ringSize is how many recent changes per kind the watch cache keeps for
// watches that start from an older resourceVersion.
const ringSize = 4096

// hub is the server's watch cache: one zero-latency store watch per kind
// (registered inside the simulation, so it sees every change in revision
// order), a ring of recent changes per kind, and the open watches. All
// fields are used only under the session's lock.
type hub struct {
	c        *cluster.Cluster
	stops    []func()
	rings    map[string]*ring
	watchers map[string][]*watcher
	buffer   int
}

// ring holds recent events of one kind; floor is the revision below which
// history is lost (a watch from there gets 410 Expired).
type ring struct {
	evs   []store.Event
	floor int64
}

func (r *ring) add(ev store.Event) {
	r.evs = append(r.evs, ev)
	if len(r.evs) > ringSize {
		drop := len(r.evs) / 2
		r.floor = r.evs[drop-1].Rev
		r.evs = append(r.evs[:0:0], r.evs[drop:]...)
	}
}

func newHub(buffer int) *hub {
	return &hub{rings: map[string]*ring{}, watchers: map[string][]*watcher{}, buffer: buffer}
}

// attach starts watching c's store; watches on a previous cluster (before
// a rewind) end with 410 Expired, so clients re-list.
func (h *hub) attach(c *cluster.Cluster) {
	h.detach()
	h.c = c
	rev := c.Store.Rev()
	for _, kind := range store.Kinds() {
		h.rings[kind] = &ring{floor: rev}
		h.stops = append(h.stops, c.Store.Watch(kind, 0, h.handler(kind)))
	}
}

func (h *hub) detach() {
	for _, stop := range h.stops {
		stop()
	}
	h.stops = nil
	for _, kind := range store.Kinds() {
		for _, w := range h.watchers[kind] {
			w.expire()
		}
	}
	h.watchers = map[string][]*watcher{}
	h.rings = map[string]*ring{}
	h.c = nil
}

func (h *hub) handler(kind string) store.Handler {
	return func(ev store.Event) {
		h.rings[kind].add(ev)
		ws := h.watchers[kind]
		if len(ws) == 0 {
			return
		}
		now := h.c.Engine.Now()
		for _, w := range ws {
			w.offer(ev, now)
		}
	}
}

func (h *hub) add(w *watcher) { h.watchers[w.kind] = append(h.watchers[w.kind], w) }

func (h *hub) remove(w *watcher) {
	ws := h.watchers[w.kind]
	for i, x := range ws {
		if x == w {
			h.watchers[w.kind] = append(ws[:i:i], ws[i+1:]...)
			return
		}
	}
}

func (h *hub) bookmark(rev int64) {
	for _, kind := range store.Kinds() {
		for _, w := range h.watchers[kind] {
			if w.bookmarks {
				w.send(watchItem{typ: "BOOKMARK", rev: rev})
			}
		}
	}
}

// watchItem is one event on its way to a client.
type watchItem struct {
	typ string // ADDED, MODIFIED, DELETED, BOOKMARK
	obj store.Object
	rev int64
	now time.Time // virtual time of the change (for table ages)
}

// watcher is one open watch. The simulation side offers events without
// ever blocking: when the buffer is full the watch is expired.
type watcher struct {
	kind      string
	namespace string
	labels    labels.Selector
	fields    fields.Selector
	bookmarks bool
	ch        chan watchItem
	gone      chan struct{}
	expired   bool
}

func (w *watcher) matches(o store.Object) bool {
	if w.namespace != "" && o.GetNamespace() != w.namespace {
		return false
	}
	if w.labels != nil && !w.labels.Matches(labels.Set(o.GetLabels())) {
		return false
	}
	return w.fields == nil || w.fields.Empty() || w.fields.Matches(fieldsOf(o))
}

// filter turns a store event into what this watch sees: an object that
// starts or stops matching the selectors is ADDED or DELETED for it.
func (w *watcher) filter(ev store.Event) (watchItem, bool) {
	cur := w.matches(ev.Object)
	switch ev.Type {
	case store.Added:
		return watchItem{typ: "ADDED", obj: ev.Object, rev: ev.Rev}, cur
	case store.Deleted:
		return watchItem{typ: "DELETED", obj: deletedAt(ev.Object, ev.Rev), rev: ev.Rev}, cur
	}
	old := ev.Old != nil && w.matches(ev.Old)
	switch {
	case cur && old:
		return watchItem{typ: "MODIFIED", obj: ev.Object, rev: ev.Rev}, true
	case cur:
		return watchItem{typ: "ADDED", obj: ev.Object, rev: ev.Rev}, true
	case old:
		return watchItem{typ: "DELETED", obj: ev.Object, rev: ev.Rev}, true
	}
	return watchItem{}, false
}

// deletedAt is the last version of a deleted object carrying the
// revision of its deletion, as kube-apiserver sends it.
func deletedAt(o store.Object, rev int64) store.Object {
	cp := typed(o, schema.GroupVersionKind{})
	cp.SetResourceVersion(itoa(rev))
	return cp
}

func (w *watcher) offer(ev store.Event, now time.Time) {
	if it, ok := w.filter(ev); ok {
		it.now = now
		w.send(it)
	}
}

func (w *watcher) send(it watchItem) {
	if w.expired {
		return
	}
	select {
	case w.ch <- it:
	default:
		w.expire()
	}
}

func (w *watcher) expire() {
	if !w.expired {
		w.expired = true
		close(w.gone)
	}
}
