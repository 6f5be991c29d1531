package web

import (
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"strings"
)

const (
	tokenHeader = "X-Kubesim-Token"
	tokenCookie = "kubesim_token"
)

// secure wraps the UI in its checks, outermost first: security headers,
// the Host check (DNS rebinding), the token, the same-origin check of
// state-changing requests, their content type and the body size limit.
func (s *Server) secure(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused: use the page served by kubesim")
	}))
	inner := cop.Handler(s.bodyRules(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		ancestors, xfo := "'none'", "DENY"
		if s.opts.SameOriginFrames {
			ancestors, xfo = "'self'", "SAMEORIGIN"
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors "+ancestors)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", xfo)
		if s.opts.LoopbackOnly && !loopbackHost(r.Host) {
			writeError(w, http.StatusForbidden, "unexpected Host header "+quote(r.Host)+": this server only answers on a loopback address")
			return
		}
		if s.opts.Token != "" && !s.authorized(w, r) {
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// authorized checks the token; a page URL carrying ?token= sets the cookie
// and redirects to the same URL without it, so the token does not stay in
// the address bar or the history.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if q := r.URL.Query().Get("token"); q != "" && r.Method == http.MethodGet && s.tokenOK(q) {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: q, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		u := *r.URL
		qs := u.Query()
		qs.Del("token")
		u.RawQuery = qs.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return false
	}
	if s.tokenOK(r.Header.Get(tokenHeader)) {
		return true
	}
	if c, err := r.Cookie(tokenCookie); err == nil && s.tokenOK(c.Value) {
		return true
	}
	writeError(w, http.StatusUnauthorized, "a token is required: open the URL kubesim printed at start (or send the "+tokenHeader+" header)")
	return false
}

func (s *Server) tokenOK(t string) bool {
	return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(s.opts.Token)) == 1
}

// bodyRules limits request bodies and requires JSON on POST: a form on
// another site cannot send application/json without a CORS preflight,
// which this server never grants.
func (s *Server) bodyRules(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, "send the request body as application/json")
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsLoopback reports whether a --listen address binds only the loopback
// interface (an empty host or 0.0.0.0 binds every interface).
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return false
	}
	return loopbackHost(host)
}
