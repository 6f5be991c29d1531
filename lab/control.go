package lab

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strings"
	"time"
)

// TokenHeader carries the control token: `kubesim lab check|hint|reset`
// from another terminal and the lab page send it with every call.
const TokenHeader = "X-Kubesim-Lab-Token"

// ControlHandler serves the lab's control API under /lab/api/, the lab
// page at /lab, and the web UI of the current lab's cluster everywhere
// else. Requests must name a loopback host (no DNS rebinding); the API
// requires token.
func (r *Runner) ControlHandler(token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /lab", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = pageTmpl.Execute(w, map[string]string{"Token": token, "Header": TokenHeader})
	})
	api := func(fn func(req *http.Request) (any, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			if subtle.ConstantTimeCompare([]byte(req.Header.Get(TokenHeader)), []byte(token)) != 1 {
				http.Error(w, "a lab control token is required", http.StatusUnauthorized)
				return
			}
			v, err := fn(req)
			w.Header().Set("Content-Type", "application/json")
			if err != nil {
				w.WriteHeader(http.StatusConflict)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
				return
			}
			_ = json.NewEncoder(w).Encode(v)
		}
	}
	mux.HandleFunc("GET /lab/api/status", api(func(*http.Request) (any, error) { return r.Status(), nil }))
	mux.HandleFunc("POST /lab/api/check", api(func(req *http.Request) (any, error) { return r.Check(req.Context(), req.URL.Query().Get("live") == "") }))
	mux.HandleFunc("POST /lab/api/hint", api(func(*http.Request) (any, error) { return r.Hint() }))
	mux.HandleFunc("POST /lab/api/reset", api(func(*http.Request) (any, error) {
		if err := r.Reset(); err != nil {
			return nil, err
		}
		return r.Status(), nil
	}))
	mux.HandleFunc("POST /lab/api/solution", api(func(*http.Request) (any, error) { return r.Solution() }))
	mux.HandleFunc("POST /lab/api/do", api(func(req *http.Request) (any, error) {
		var body struct{ Args []string }
		if err := json.NewDecoder(http.MaxBytesReader(nil, req.Body, 1<<16)).Decode(&body); err != nil {
			return nil, fmt.Errorf("bad request: %w", err)
		}
		out, err := r.Do(body.Args)
		return map[string]string{"output": out}, err
	}))
	mux.HandleFunc("POST /lab/api/goto", api(func(req *http.Request) (any, error) {
		var body struct{ Task int }
		if err := json.NewDecoder(http.MaxBytesReader(nil, req.Body, 1<<10)).Decode(&body); err != nil {
			return nil, fmt.Errorf("bad request: %w", err)
		}
		if err := r.Goto(body.Task - 1); err != nil {
			return nil, err
		}
		return r.Status(), nil
	}))
	// The status is the one after the timer stopped or started again.
	mux.HandleFunc("POST /lab/api/pause", api(func(*http.Request) (any, error) {
		if err := r.Pause(); err != nil {
			return nil, err
		}
		return r.Status(), nil
	}))
	mux.HandleFunc("POST /lab/api/resume", api(func(*http.Request) (any, error) {
		if err := r.Resume(); err != nil {
			return nil, err
		}
		return r.Status(), nil
	}))
	mux.HandleFunc("POST /lab/api/finish", api(func(req *http.Request) (any, error) { return r.Finish(req.Context()) }))
	mux.Handle("/", r.WebHandler())
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !loopbackHost(req.Host) {
			http.Error(w, "the lab answers on a loopback address only", http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, req)
	})
}

func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Solution reveals the current lab's recorded solution (not during an
// exam).
func (r *Runner) Solution() ([]Step, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exam != nil && r.results == nil {
		return nil, fmt.Errorf("this is an exam: solutions are shown when it ends")
	}
	return r.insts[r.cur].lab.Solution, nil
}

// WatchTime finishes the exam when its time runs out and returns its
// result, so that the process can print it and end. An exam finished
// early by the candidate (`kubesim lab finish`) keeps the lab running —
// its solutions are shown from then on — so WatchTime then waits for
// ctx alone and returns nil.
func (r *Runner) WatchTime(ctx context.Context, every time.Duration) *ExamResult {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.mu.Lock()
			over := r.results != nil
			r.mu.Unlock()
			if over {
				<-ctx.Done()
				return nil
			}
			if r.TimeUp() {
				res, _ := r.Finish(ctx)
				return res
			}
		}
	}
}

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("lab").Parse(pageHTML))
