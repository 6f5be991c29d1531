// Package kubeapi serves the Kubernetes REST API over a live simulation,
// so that the real kubectl and client-go work against the simulated
// cluster: discovery, OpenAPI v3 (paths for kubectl's server-side field
// validation, schemas of the k8s.io/api types for kubectl explain),
// get/list/watch with selectors and paging, create, update,
// JSON / merge / strategic-merge patch, delete, the status, scale,
// binding, eviction and log subresources, dry-run, and meta.k8s.io Table
// output with kubectl's columns.
//
// Reads take the live session's lock for the moment it takes to collect
// pointers to the (immutable) stored objects; encoding happens outside
// it. Every write enters the simulation as a recorded input at the current
// virtual time (live.Session.APIWrite), so a kubectl session replays to the
// same trace. Watches are fed by store watches with zero latency through
// bounded buffers: a client too slow to keep up loses its watch with 410
// Expired (and re-lists, as client-go does) instead of stalling the
// simulation.
package kubeapi

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/kubeversion"
)

// Options tune a server.
type Options struct {
	// Token, if set, is the bearer token every request must carry (a
	// server listening beyond loopback).
	Token string
	// AdminToken is the bearer token that authenticates as AdminUser
	// (system:masters), the one the written kubeconfig carries. Other
	// requests authenticate with a ServiceAccount token or a client
	// certificate signed by the cluster CA, or are system:anonymous;
	// every request is authorized by RBAC.
	AdminToken string
	// MaxBody bounds request bodies (default 3 MiB, as kube-apiserver).
	MaxBody int64
	// BookmarkEvery is the wall-clock period of watch bookmarks
	// (default 10 s).
	BookmarkEvery time.Duration
	// WatchBuffer is how many events a watch may have in flight before it
	// is closed as too slow (default 4096).
	WatchBuffer int
	// Version is what /version reports as gitVersion (default
	// kubeversion.GitVersion, the release the simulator models).
	Version string
}

// Server is the Kubernetes API over a live session.
type Server struct {
	sess *live.Session
	opts Options
	hub  *hub

	saKey []byte

	overlays overlays

	v2Once sync.Once
	v2Doc  []byte
	v2Err  error

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// New serves sess. Close stops the background work (bookmarks, rewind
// detection) and ends every watch.
func New(sess *live.Session, opts Options) *Server {
	if opts.MaxBody == 0 {
		opts.MaxBody = 3 << 20
	}
	if opts.BookmarkEvery == 0 {
		opts.BookmarkEvery = 10 * time.Second
	}
	if opts.WatchBuffer == 0 {
		opts.WatchBuffer = 4096
	}
	if opts.Version == "" {
		opts.Version = kubeversion.GitVersion
	}
	openAPIDocs() // generated and encoded once per process, here rather than on a request
	s := &Server{sess: sess, opts: opts, done: make(chan struct{}), saKey: newSigningKey()}
	s.hub = newHub(opts.WatchBuffer)
	s.with(func(*cluster.Cluster) {})
	s.wg.Add(1)
	go s.background()
	return s
}

// Close ends every watch and the background goroutine.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.wg.Wait()
		s.sess.With(func(*cluster.Cluster) { s.hub.detach() })
	})
}

// streamContext is the context of a long-lived response (a watch, a log
// follow, an exec session): done when parent is or when the server closes.
func (s *Server) streamContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-ctx.Done():
		case <-s.done:
			cancel()
		}
	}()
	return ctx, cancel
}

// with runs fn under the session's lock, first re-attaching the watch hub
// if a rewind replaced the cluster.
func (s *Server) with(fn func(c *cluster.Cluster)) {
	s.sess.With(func(c *cluster.Cluster) {
		if s.hub.c != c {
			s.hub.attach(c)
		}
		fn(c)
	})
}

// background sends watch bookmarks and notices rewinds.
func (s *Server) background() {
	defer s.wg.Done()
	feed, cancel := s.sess.Subscribe(1)
	defer cancel()
	tick := time.NewTicker(s.opts.BookmarkEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case _, ok := <-feed:
			if !ok {
				return
			}
			s.with(func(*cluster.Cluster) {})
		case <-tick.C:
			s.with(func(c *cluster.Cluster) { s.hub.bookmark(c.Store.Rev()) })
		}
	}
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Token != "" && !s.authorized(r) {
		writeError(w, apierrors.NewUnauthorized("Unauthorized"))
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
	}
	p := strings.TrimSuffix(r.URL.Path, "/")
	if !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/apis/") {
		user, err := s.admit(r, nil)
		if err != nil {
			writeError(w, err)
			return
		}
		r = withUser(r, user)
	}
	switch {
	case p == "/version":
		s.version(w)
	case p == "/healthz" || p == "/livez" || p == "/readyz" ||
		strings.HasPrefix(p, "/healthz/") || strings.HasPrefix(p, "/livez/") || strings.HasPrefix(p, "/readyz/"):
		s.health(w, r, p)
	case p == "/api":
		s.apiVersions(w)
	case p == "/apis":
		s.apiGroups(w)
	case p == "/openapi/v2":
		s.openAPIV2(w)
	case strings.HasPrefix(p, "/openapi/v3"):
		s.openAPIV3(w, r, strings.TrimPrefix(p, "/openapi/v3"))
	case p == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions" && r.Method == http.MethodGet:
		// No custom resources: kubectl's validation asks before it
		// reports an unknown kind.
		writeJSON(w, http.StatusOK, map[string]any{"kind": "CustomResourceDefinitionList",
			"apiVersion": "apiextensions.k8s.io/v1", "metadata": map[string]any{}, "items": []any{}})
	case strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/apis/"):
		s.routeAPI(w, r, p)
	default:
		writeError(w, pathNotFound())
	}
}

func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) == 1
}

func pathNotFound() error {
	e := apierrors.NewNotFound(schema.GroupResource{}, "")
	e.ErrStatus.Message = "the server could not find the requested resource"
	// kube-apiserver's 404 for an unknown path carries an empty details
	// object, and kubectl debug dereferences it.
	e.ErrStatus.Details = &metav1.StatusDetails{}
	return e
}

// target is a parsed resource path.
type target struct {
	res       *resource
	namespace string
	name      string
	sub       string
}

// routeAPI parses /api/v1/... and /apis/<group>/<version>/... paths.
func (s *Server) routeAPI(w http.ResponseWriter, r *http.Request, p string) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	var gv schema.GroupVersion
	var rest []string
	switch {
	case parts[0] == "api" && len(parts) >= 2:
		gv, rest = schema.GroupVersion{Version: parts[1]}, parts[2:]
	case parts[0] == "apis" && len(parts) == 2:
		if _, err := s.admit(r, nil); err != nil {
			writeError(w, err)
			return
		}
		s.apiGroup(w, parts[1])
		return
	case parts[0] == "apis" && len(parts) >= 3 && parts[1] == metricsGV.Group && parts[2] == metricsGV.Version:
		s.serveMetrics(w, r, parts[3:])
		return
	case parts[0] == "apis" && len(parts) >= 3:
		gv, rest = schema.GroupVersion{Group: parts[1], Version: parts[2]}, parts[3:]
	default:
		writeError(w, pathNotFound())
		return
	}
	if len(rest) == 0 {
		if _, err := s.admit(r, nil); err != nil {
			writeError(w, err)
			return
		}
		s.resourceList(w, gv)
		return
	}
	if rv := reviewResource(gv, rest); rv != nil {
		t := target{res: rv}
		if rv.namespaced && len(rest) == 3 && rest[0] == "namespaces" {
			t.namespace = rest[1]
		}
		user, err := s.admit(r, &t)
		if err != nil {
			writeError(w, err)
			return
		}
		s.review(w, withUser(r, user), t)
		return
	}
	if t, ok := componentStatusTarget(gv, rest); ok {
		if _, err := s.admit(r, &t); err != nil {
			writeError(w, err)
			return
		}
		s.componentStatus(w, r, t)
		return
	}
	t, ok := parseTarget(gv, rest)
	if !ok {
		writeError(w, pathNotFound())
		return
	}
	user, err := s.admit(r, &t)
	if err != nil {
		writeError(w, err)
		return
	}
	s.dispatch(w, withUser(r, user), t)
}

func parseTarget(gv schema.GroupVersion, rest []string) (target, bool) {
	var t target
	if rest[0] == "namespaces" && len(rest) >= 3 && !(len(rest) == 3 && (rest[2] == "status" || rest[2] == "finalize")) {
		t.namespace, rest = rest[1], rest[2:]
	}
	t.res = lookup(gv, rest[0])
	if t.res == nil || len(rest) > 3 {
		return t, false
	}
	if len(rest) > 1 {
		t.name = rest[1]
	}
	if len(rest) > 2 {
		t.sub = rest[2]
		if !t.res.has(t.sub) {
			return t, false
		}
	}
	if t.namespace != "" && !t.res.namespaced {
		return t, false
	}
	return t, true
}

// dispatch maps method and path shape to a verb.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	watch := q.Get("watch") == "true" || q.Get("watch") == "1"
	switch {
	case (r.Method == http.MethodGet || r.Method == http.MethodPost) && t.sub == "exec":
		s.podExec(w, r, t)
	case (r.Method == http.MethodGet || r.Method == http.MethodPost) && t.sub == "attach":
		s.podAttach(w, r, t)
	case (r.Method == http.MethodGet || r.Method == http.MethodPost) && t.sub == "portforward":
		s.podPortForward(w, r, t)
	case (r.Method == http.MethodPatch || r.Method == http.MethodPut) && t.sub == "ephemeralcontainers":
		s.updateEphemeral(w, r, t)
	case r.Method == http.MethodGet && t.sub == "log":
		s.podLog(w, r, t)
	case r.Method == http.MethodGet && t.sub == "scale":
		s.getScale(w, t)
	case r.Method == http.MethodGet && watch:
		s.watch(w, r, t)
	case r.Method == http.MethodGet && t.name == "":
		s.list(w, r, t)
	case r.Method == http.MethodGet:
		s.get(w, r, t)
	case t.res.readOnly:
		writeError(w, methodNotSupported(t.res, strings.ToLower(r.Method)))
	case r.Method == http.MethodPost && t.name == "":
		s.create(w, r, t)
	case r.Method == http.MethodPost && t.sub == "token":
		s.tokenRequest(w, r, t)
	case r.Method == http.MethodPost && t.sub == "eviction":
		s.evict(w, r, t)
	case r.Method == http.MethodPost && t.sub == "binding":
		s.bind(w, r, t)
	case r.Method == http.MethodPut && t.name != "":
		s.update(w, r, t)
	case r.Method == http.MethodPatch && t.name != "":
		s.patch(w, r, t)
	case r.Method == http.MethodDelete && t.name != "" && t.sub == "":
		s.delete(w, r, t)
	case r.Method == http.MethodDelete && t.name == "":
		s.deleteCollection(w, r, t)
	default:
		writeError(w, methodNotSupported(t.res, strings.ToLower(r.Method)))
	}
}

// user is the component a request's writes are attributed to in the
// trace: the client program's name from its User-Agent ("kubectl").
func user(r *http.Request) string {
	ua := r.UserAgent()
	if i := strings.IndexAny(ua, "/ "); i >= 0 {
		ua = ua[:i]
	}
	b := make([]byte, 0, len(ua))
	for i := 0; i < len(ua) && len(b) < 40; i++ {
		c := ua[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '-' || c == '.' || c == '_' {
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		return "kubectl"
	}
	return string(b)
}
