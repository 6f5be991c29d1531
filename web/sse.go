package web

import (
	"net/http"
	"time"

	"github.com/kubesim/kubesim/live"
)

// streamWriteTimeout drops a tab that cannot take one snapshot in this
// long (its handler goroutine would otherwise wait on a full socket).
const streamWriteTimeout = 10 * time.Second

// handleEvents streams snapshots as Server-Sent Events: a "view" event
// carrying the /api/view JSON first, then "delta" events carrying the
// view without its nodes and only the nodes that changed (a node failing
// in a 1,000-node cluster changes a handful), and "ping" events while
// nothing changes. The session's feed only says "something
// changed" into a bounded buffer, never blocking the simulation; the
// stream sends the latest snapshot at most once per throttle interval.
// Loading a scenario moves the stream to the new session.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: 1000\n\n")); err != nil || rc.Flush() != nil {
		return
	}
	for {
		sess, gen, swapped := s.current()
		feed, cancel := sess.Subscribe(1)
		more := s.stream(w, rc, r, sess, gen, feed, swapped)
		cancel()
		if !more {
			return
		}
	}
}

// stream serves one session until the client leaves or the server closes
// (false) or the session is replaced (true).
func (s *Server) stream(w http.ResponseWriter, rc *http.ResponseController, r *http.Request,
	sess *live.Session, gen uint64, feed <-chan live.Change, swapped <-chan struct{}) bool {
	var sent *encodedView
	var lastSend time.Time
	send := func() bool {
		e, _ := s.encoded(sess, gen)
		if sent != nil && e.version == sent.version {
			return true
		}
		msg := append([]byte("event: view\ndata: "), e.whole()...)
		if sent != nil {
			msg = append([]byte("event: delta\ndata: "), e.delta(sent)...)
		}
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		_, err := w.Write(append(msg, '\n', '\n'))
		if err == nil {
			err = rc.Flush()
		}
		sent, lastSend = e, time.Now()
		return err == nil
	}
	if !send() {
		return false
	}
	throttle := time.NewTimer(time.Hour)
	throttle.Stop()
	pending := false
	keep := time.NewTicker(s.opts.KeepAlive)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return false
		case <-s.done:
			return false
		case <-swapped:
			return true
		case _, ok := <-feed:
			if !ok { // the session closed: replaced, or the server is closing
				select {
				case <-swapped:
					return true
				case <-time.After(time.Second):
					return false
				}
			}
			if !pending {
				pending = true
				throttle.Reset(max(0, s.interval()-time.Since(lastSend)))
			}
		case <-throttle.C:
			pending = false
			if !send() {
				return false
			}
		case <-keep.C:
			_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
			// An event, not a comment: the page sees it and knows the
			// stream is alive while nothing changes.
			if _, err := w.Write([]byte("event: ping\ndata: {}\n\n")); err != nil || rc.Flush() != nil {
				return false
			}
		}
	}
}

// interval is the spacing of snapshots on a stream: the throttle, or five
// times what encoding the last snapshot cost when that is longer (a huge
// cluster is sent less often instead of keeping a core busy).
func (s *Server) interval() time.Duration {
	s.cache.mu.Lock()
	cost := s.cache.cost
	s.cache.mu.Unlock()
	return max(s.opts.Throttle, 5*cost)
}
