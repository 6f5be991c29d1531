// Package web serves the cluster as an animated page in the browser: nodes
// as bins grouped by zone, pods as blocks, the pending queue, workloads,
// events, etcd, controls and a timeline with a time-travel scrubber.
//
// The page is plain HTML, CSS and JavaScript embedded in the binary (no
// CDN, no build step). It talks to a small JSON API and receives live
// snapshots by Server-Sent Events. The web layer only drives the
// simulation through a live.Session: it never touches the store or the
// engine, and a slow or closed tab never stalls the simulation (the
// session's change feed is bounded and the stream sends the latest
// snapshot, throttled).
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/kubesim/kubesim/live"
)

//go:embed static
var staticFS embed.FS

// Options tune a Server.
type Options struct {
	// Token, when set, is required on every request: header
	// X-Kubesim-Token, cookie kubesim_token, or ?token= on a page URL
	// (which then sets the cookie). Set it whenever the server listens
	// on a non-loopback address.
	Token string
	// LoopbackOnly refuses requests whose Host is not a loopback name,
	// so a web page elsewhere cannot reach the server through DNS
	// rebinding. Set it when listening on 127.0.0.1.
	LoopbackOnly bool
	// Session tunes the sessions of scenarios loaded from the page.
	Session live.Options
	// MaxBody bounds request bodies (default 1 MiB).
	MaxBody int64
	// Throttle is the minimum interval between two snapshots on one
	// event stream (default 100 ms: at most 10 per second).
	Throttle time.Duration
	// KeepAlive is the interval of "ping" events on an idle stream (the
	// page calls the stream stalled after 12 s without any message;
	// default 4 s).
	KeepAlive time.Duration
	// DisableLoad refuses to load scenarios from the page: set it when
	// the session is shared with another frontend (kubesim serve), which
	// would keep driving the replaced, closed session.
	DisableLoad bool
	// SameOriginFrames lets pages of the same origin show the UI in a
	// frame (kubesim lab's page shows the cluster beside the task);
	// otherwise no page may frame it (clickjacking).
	SameOriginFrames bool
	// CompactNodes and CompactPods: beyond this many nodes (default 60)
	// or pods on nodes (default 3,000) the view carries pods compactly
	// and the page draws the cluster as a map.
	CompactNodes, CompactPods int
}

// Server is the web UI of one live session at a time (loading a scenario
// replaces the session). Safe for concurrent use.
type Server struct {
	opts Options

	mu      sync.Mutex
	sess    *live.Session
	gen     uint64        // session generation, +1 per load
	swapped chan struct{} // closed when sess is replaced
	done    chan struct{} // closed by Close
	closed  bool

	cache viewCache
	etcd  etcdCache
}

// New serves sess. The server owns it from now on: it closes it when a
// loaded scenario replaces it, and on Close.
func New(sess *live.Session, opts Options) *Server {
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.Throttle <= 0 {
		opts.Throttle = 100 * time.Millisecond
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 4 * time.Second
	}
	s := &Server{opts: opts, sess: sess, gen: 1, swapped: make(chan struct{}), done: make(chan struct{})}
	go s.warm(sess, 1, s.swapped)
	return s
}

// warm keeps the encoding of a session's view current, also while no
// tab streams it, so that a tab opening finds its first view ready instead
// of waiting for 30,000 pods to be encoded (at 1,000 nodes a third of the
// first render on a busy machine): it encodes at once, then after
// changes at most once a second, or every 20 times what an encoding
// cost when that is longer. An encoding reuses the unchanged nodes of
// the last, so a quiet cluster costs almost nothing. It ends when the
// session is replaced or the server closes.
func (s *Server) warm(sess *live.Session, gen uint64, swapped <-chan struct{}) {
	feed, cancel := sess.Subscribe(1)
	defer cancel()
	for {
		_, cost := s.encoded(sess, gen)
		wait := time.NewTimer(max(time.Second, 20*cost))
		select {
		case <-wait.C:
		case <-swapped:
			wait.Stop()
			return
		case <-s.done:
			wait.Stop()
			return
		}
		select {
		case _, ok := <-feed:
			if !ok {
				return
			}
		case <-swapped:
			return
		case <-s.done:
			return
		}
	}
}

// Session is the session currently served.
func (s *Server) Session() *live.Session {
	sess, _, _ := s.current()
	return sess
}

func (s *Server) current() (*live.Session, uint64, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess, s.gen, s.swapped
}

// replace serves next from now on and closes the previous session; open
// event streams move over to the new one.
func (s *Server) replace(next *live.Session) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		next.Close()
		return false
	}
	prev := s.sess
	s.sess = next
	s.gen++
	close(s.swapped)
	s.swapped = make(chan struct{})
	go s.warm(next, s.gen, s.swapped)
	s.mu.Unlock()
	prev.Close()
	return true
}

// Close ends every event stream and closes the session.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	sess := s.sess
	s.mu.Unlock()
	sess.Close()
}

// Handler is the whole UI: the page, its assets, the JSON API and the
// event stream, behind the security checks.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	assets := http.FileServerFS(static)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/"
		assets.ServeHTTP(w, r2)
	})
	mux.Handle("GET /static/", http.StripPrefix("/static", assets))
	mux.HandleFunc("GET /api/view", s.handleView)
	mux.HandleFunc("GET /api/history", s.handleHistory)
	mux.HandleFunc("GET /api/detail", s.handleDetail)
	mux.HandleFunc("GET /api/pods", s.handlePods)
	mux.HandleFunc("GET /api/explain", s.handleExplain)
	mux.HandleFunc("GET /api/etcd", s.handleEtcd)
	mux.HandleFunc("GET /api/scenarios", s.handleScenarios)
	mux.HandleFunc("GET /api/session.yaml", s.handleSessionYAML)
	mux.HandleFunc("POST /api/control", s.handleControl)
	mux.HandleFunc("POST /api/command", s.handleCommand)
	mux.HandleFunc("POST /api/load", s.handleLoad)
	mux.HandleFunc("GET /events", s.handleEvents)
	return s.secure(mux)
}
