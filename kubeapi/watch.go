package kubeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// maxWatch bounds a watch's life when the client gives no timeoutSeconds.
const maxWatch = 30 * time.Minute

// watch streams changes as JSON watch events. resourceVersion "" or "0"
// starts with an ADDED event per existing object; a later version replays
// the changes after it from the watch cache, or fails with 410 Expired
// when they are gone.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	sel, err := parseSelectors(q, t)
	if err != nil {
		writeError(w, err)
		return
	}
	timeout := maxWatch
	if ts := q.Get("timeoutSeconds"); ts != "" {
		n, err := strconv.Atoi(ts)
		if err != nil || n < 0 {
			writeError(w, badRequest("invalid timeoutSeconds %q", ts))
			return
		}
		if n > 0 {
			timeout = min(timeout, time.Duration(n)*time.Second)
		}
	}
	wt := &watcher{kind: t.res.kind, namespace: t.namespaceOf(), labels: sel.labels, fields: sel.fields,
		bookmarks: q.Get("allowWatchBookmarks") == "true",
		ch:        make(chan watchItem, s.hub.buffer), gone: make(chan struct{})}
	initial, err := s.startWatch(wt, q.Get("resourceVersion"), sel)
	if err != nil {
		writeError(w, err)
		return
	}
	defer s.with(func(*cluster.Cluster) { s.hub.remove(wt) })

	asTable := wantsTable(r)
	include := q.Get("includeObject")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	emit := func(it watchItem) error {
		if err := enc.Encode(s.watchEvent(t.res, it, asTable, include)); err != nil {
			return err
		}
		return nil
	}
	for _, it := range initial {
		if emit(it) != nil {
			return
		}
	}
	if flusher != nil {
		flusher.Flush()
	}
	// The stream ends when the client goes, the server closes or the
	// watch times out.
	ctx, cancel := s.streamContext(r.Context())
	defer cancel()
	ctx, stop := context.WithTimeout(ctx, timeout)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-wt.ch:
			if emit(it) != nil {
				return
			}
			// Send what is already queued before flushing.
			for n := len(wt.ch); n > 0; n-- {
				if emit(<-wt.ch) != nil {
					return
				}
			}
			if flusher != nil {
				flusher.Flush()
			}
		case <-wt.gone:
			for n := len(wt.ch); n > 0; n-- {
				if emit(<-wt.ch) != nil {
					return // the client went away
				}
			}
			st := statusOf(expired("The resourceVersion for the provided watch is too old."))
			_ = enc.Encode(map[string]any{"type": "ERROR", "object": st}) // the stream ends here either way
			if flusher != nil {
				flusher.Flush()
			}
			return
		}
	}
}

// startWatch collects the events a new watch starts with and registers it,
// atomically with respect to the simulation.
func (s *Server) startWatch(wt *watcher, rv string, sel selectors) ([]watchItem, error) {
	var initial []watchItem
	var err error
	s.with(func(c *cluster.Cluster) {
		now := c.Engine.Now()
		if rv == "" || rv == "0" {
			for _, o := range candidates(c.Store, wt.kind, wt.namespace, sel) {
				if wt.matches(o) {
					initial = append(initial, watchItem{typ: "ADDED", obj: o, now: now})
				}
			}
			s.hub.add(wt)
			return
		}
		from, perr := strconv.ParseInt(rv, 10, 64)
		if perr != nil {
			err = badRequest("invalid resourceVersion %q", rv)
			return
		}
		ring := s.hub.rings[wt.kind]
		if from < ring.floor {
			err = expired(fmt.Sprintf("too old resource version: %d (%d)", from, ring.floor))
			return
		}
		for _, ev := range ring.evs {
			if ev.Rev > from {
				if it, ok := wt.filter(ev); ok {
					it.now = now
					initial = append(initial, it)
				}
			}
		}
		s.hub.add(wt)
	})
	return initial, err
}

// watchEvent is the JSON of one event: the object as served, or a
// one-row Table for kubectl get --watch.
func (s *Server) watchEvent(r *resource, it watchItem, asTable bool, include string) map[string]any {
	if it.typ == "BOOKMARK" {
		info := r.info()
		o := info.New()
		o.SetResourceVersion(itoa(it.rev))
		return map[string]any{"type": it.typ, "object": typed(o, r.gvk())}
	}
	obj := r.serve(it.obj)
	if asTable {
		obj = table(r, []store.Object{it.obj}, it.now, include, metav1.ListMeta{ResourceVersion: it.obj.GetResourceVersion()}, true)
	}
	return map[string]any{"type": it.typ, "object": obj}
}
