package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/scenarios"
)

func (s *Server) handleView(w http.ResponseWriter, _ *http.Request) {
	sess, gen, _ := s.current()
	body, _, _ := s.viewBody(sess, gen)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// handlePods lists one node's pods in full, from the current snapshot:
// the details a compact view leaves out, asked for when the page points
// at a node's pods. The answer carries the snapshot's version and the
// node's stamp, so the page knows which pods the map drew.
func (s *Server) handlePods(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("node")
	if name == "" {
		writeError(w, http.StatusBadRequest, "pods needs node=NAME")
		return
	}
	v := s.Session().Snapshot()
	for i := range v.Nodes {
		if n := &v.Nodes[i]; n.Name == name {
			writeJSON(w, http.StatusOK, struct {
				Version uint64    `json:"version"`
				Node    string    `json:"node"`
				Pods    []podJSON `json:"pods"`
			}{v.Version, n.Name, nodePodsJSON(n.Pods)})
			return
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no node %q", name))
}

type sampleJSON struct {
	T         float64 `json:"t"`
	Running   int     `json:"running"`
	Pending   int     `json:"pending"`
	Succeeded int     `json:"succeeded"`
	Failed    int     `json:"failed"`
	CPUReq    int64   `json:"cpuReq"`
	CPUAlloc  int64   `json:"cpuAlloc"`
	MemReq    int64   `json:"memReq"`
	MemAlloc  int64   `json:"memAlloc"`
	Machines  int     `json:"machines"`
	PerHour   float64 `json:"costPerHour"`
}

func (s *Server) handleHistory(w http.ResponseWriter, _ *http.Request) {
	sess, gen, _ := s.current()
	h := sess.History()
	out := struct {
		Session uint64       `json:"session"`
		Every   float64      `json:"every"`
		Samples []sampleJSON `json:"samples"`
	}{gen, secs(live.SampleEvery), make([]sampleJSON, len(h))}
	for i, x := range h {
		out.Samples[i] = sampleJSON{secs(x.T), x.Running, x.Pending, x.Succeeded, x.Failed,
			x.CPURequested, x.CPUAllocatable, x.MemRequested, x.MemAllocatable, x.Machines, x.CostPerHour}
	}
	writeJSON(w, http.StatusOK, out)
}

type detailJSON struct {
	Kind       string          `json:"kind"`
	Namespace  string          `json:"ns"`
	Name       string          `json:"name"`
	YAML       string          `json:"yaml"`
	Conditions []conditionJSON `json:"conditions"`
	Events     []eventJSON     `json:"events"`
}

type conditionJSON struct {
	Type           string  `json:"type"`
	Status         string  `json:"status"`
	Reason         string  `json:"reason"`
	Message        string  `json:"message"`
	LastTransition float64 `json:"lastTransition"`
}

// objectQuery reads the object a request is about from its kind, ns and
// name parameters; without kind or name it answers 400, saying what the
// request (what) needs, and ok is false.
func objectQuery(w http.ResponseWriter, r *http.Request, what string) (kind, ns, name string, ok bool) {
	q := r.URL.Query()
	kind, ns, name = q.Get("kind"), q.Get("ns"), q.Get("name")
	if kind == "" || name == "" {
		writeError(w, http.StatusBadRequest, what+" needs kind and name (and ns for namespaced kinds)")
		return "", "", "", false
	}
	return kind, ns, name, true
}

func (s *Server) handleDetail(w http.ResponseWriter, r *http.Request) {
	kind, ns, name, ok := objectQuery(w, r, "detail")
	if !ok {
		return
	}
	d, err := s.Session().Detail(kind, ns, name)
	switch {
	case errors.Is(err, live.ErrNoObject):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	out := detailJSON{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name, YAML: d.YAML,
		Conditions: []conditionJSON{}, Events: []eventJSON{}}
	for _, c := range d.Conditions {
		out.Conditions = append(out.Conditions, conditionJSON{c.Type, c.Status, c.Reason, c.Message, secs(c.LastTransition)})
	}
	for _, e := range d.Events {
		out.Events = append(out.Events, eventJSON{secs(e.Time), e.Type, e.Reason, e.Object, e.Message, e.Count})
	}
	writeJSON(w, http.StatusOK, out)
}

// stepJSON is one step of a causal chain (live.Session.Explain).
type stepJSON struct {
	T         float64 `json:"t"` // virtual seconds
	Component string  `json:"component"`
	Verb      string  `json:"verb"`
	Kind      string  `json:"kind"`
	Name      string  `json:"name"`
	Summary   string  `json:"summary,omitempty"`
	Rule      string  `json:"rule,omitempty"`
}

// handleExplain answers "why is this object in this state?": the chain of
// causes from the session's trace, oldest first.
func (s *Server) handleExplain(w http.ResponseWriter, r *http.Request) {
	kind, ns, name, ok := objectQuery(w, r, "explain")
	if !ok {
		return
	}
	steps, err := s.Session().Explain(kind, ns, name)
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	out := struct {
		Steps []stepJSON `json:"steps"`
	}{Steps: make([]stepJSON, 0, len(steps))}
	for i := len(steps) - 1; i >= 0; i-- {
		x := steps[i].Record
		out.Steps = append(out.Steps, stepJSON{secs(x.T), x.Component, x.Verb, x.Kind, x.Name, x.Summary, steps[i].Rule})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleEtcd(w http.ResponseWriter, _ *http.Request) {
	sess := s.Session()
	members, err := s.etcd.get(sess)
	v := sess.Snapshot()
	out := etcdJSON{Leader: v.Etcd.Leader, Quorum: v.Etcd.Quorum, Members: []etcdMemberJSON{}}
	for _, m := range members {
		out.Members = append(out.Members, etcdMemberJSON{m.Name, m.Zone, m.State, m.AppliedIndex, m.Revision})
	}
	if err != nil && len(members) == 0 {
		writeError(w, http.StatusServiceUnavailable, "etcd status: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// etcdCache shares one etcd status read among all tabs: reading it waits
// for raft and hashes every member's content while holding the session,
// so it is refreshed at most every second, or every 20 times what the
// last read cost (a huge cluster is read rarely, never stalling the
// simulation for long).
type etcdCache struct {
	mu      sync.Mutex
	sess    *live.Session
	at      time.Time
	cost    time.Duration
	members []live.EtcdMemberDetail
	err     error
}

func (c *etcdCache) get(sess *live.Session) ([]live.EtcdMemberDetail, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == sess && time.Since(c.at) < max(time.Second, 20*c.cost) {
		return c.members, c.err
	}
	start := time.Now()
	c.members, c.err = sess.EtcdMembers()
	c.sess, c.at, c.cost = sess, time.Now(), time.Since(start)
	return c.members, c.err
}

func (s *Server) handleScenarios(w http.ResponseWriter, _ *http.Request) {
	type entry struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	out := struct {
		Current  string  `json:"current"`
		Loadable bool    `json:"loadable"`
		Library  []entry `json:"library"`
	}{Current: s.Session().Scenario().Name, Loadable: !s.opts.DisableLoad, Library: []entry{}}
	for _, e := range scenarios.Library() {
		out.Library = append(out.Library, entry{e.Name, e.Description})
	}
	writeJSON(w, http.StatusOK, out)
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (s *Server) handleSessionYAML(w http.ResponseWriter, _ *http.Request) {
	sess := s.Session()
	b, err := sess.ScenarioYAML()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	name := unsafeFileChars.ReplaceAllString(sess.Scenario().Name, "-")
	if name == "" || name == "-" {
		name = "scenario"
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-session.yaml"`, name))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// decode reads one JSON object into v, refusing unknown fields, trailing
// data and oversized bodies; it writes the 4xx answer itself.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data after the JSON object")
		}
	}
	if err == nil {
		return true
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mbe.Limit))
		return false
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("empty body")
	}
	writeError(w, http.StatusBadRequest, "malformed request: "+err.Error())
	return false
}

// speedValue is a speed in JSON: a number of virtual seconds per wall
// second, or "max" for as fast as possible.
type speedValue float64

func (v *speedValue) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == `"max"` {
		*v = speedValue(math.Inf(1))
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New(`speed must be a number or "max"`)
	}
	*v = speedValue(f)
	return nil
}

type controlRequest struct {
	Action string      `json:"action"`
	Speed  *speedValue `json:"speed,omitempty"`
	// T is a virtual time in seconds (rewind) or a duration (run).
	T *float64 `json:"t,omitempty"`
}

// maxRunAhead bounds how far one request may move virtual time forward
// (it runs as fast as possible while holding the session).
const maxRunAhead = time.Hour

func (s *Server) handleControl(w http.ResponseWriter, r *http.Request) {
	var req controlRequest
	if !decode(w, r, &req) {
		return
	}
	sess := s.Session()
	if err := s.control(sess, req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	v := sess.Snapshot()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "time": secs(v.Time), "paused": v.Paused, "speed": speedJSON(v.Speed)})
}

func (s *Server) control(sess *live.Session, req controlRequest) error {
	switch req.Action {
	case "pause":
		sess.Pause()
	case "resume":
		sess.Resume()
	case "toggle":
		sess.TogglePause()
	case "step":
		sess.Step()
	case "faster":
		sess.Faster()
	case "slower":
		sess.Slower()
	case "speed":
		if req.Speed == nil || !(*req.Speed > 0) {
			return errors.New(`speed needs "speed": a positive number or "max"`)
		}
		sess.SetSpeed(float64(*req.Speed))
	case "rewind", "run":
		return s.travel(sess, req)
	case "":
		return errors.New(`control needs an "action": pause, resume, toggle, step, faster, slower, speed, rewind or run`)
	default:
		return fmt.Errorf("unknown action %q (pause, resume, toggle, step, faster, slower, speed, rewind, run)", req.Action)
	}
	return nil
}

func (s *Server) travel(sess *live.Session, req controlRequest) error {
	if req.T == nil || math.IsNaN(*req.T) || math.IsInf(*req.T, 0) || *req.T < 0 {
		return fmt.Errorf(`%s needs "t": a non-negative number of seconds`, req.Action)
	}
	t := time.Duration(*req.T * float64(time.Second))
	v := sess.Snapshot()
	if req.Action == "run" {
		if t > maxRunAhead {
			return fmt.Errorf("run at most %s ahead at once", maxRunAhead)
		}
		return sess.RunFor(t)
	}
	if limit := max(v.Time, v.Until) + maxRunAhead; t > limit {
		return fmt.Errorf("cannot travel to %s: at most %s", t, limit)
	}
	return sess.Rewind(t)
}

type commandRequest struct {
	Verb      string `json:"verb"`
	Node      string `json:"node,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	Replicas  int32  `json:"replicas,omitempty"`
	Member    string `json:"member,omitempty"`
	Manifest  string `json:"manifest,omitempty"`
	Line      string `json:"line,omitempty"`
}

func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request) {
	var req commandRequest
	if !decode(w, r, &req) {
		return
	}
	sess := s.Session()
	before := len(sess.Recorded())
	out, err := sess.Do(live.Command(req))
	if err == nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "output": out})
		return
	}
	e := errorJSON{Error: err.Error(), Errors: positions(err), Output: out}
	code := http.StatusBadRequest
	if len(sess.Recorded()) > before {
		// Well-formed, but the cluster said no (NotFound, no quorum...).
		e.Recorded, code = true, http.StatusConflict
	}
	writeJSON(w, code, e)
}

// positions lists a scenario or manifest error's positioned problems.
func positions(err error) []positionError {
	var list scenarios.ErrorList
	if !errors.As(err, &list) {
		var one *scenarios.Error
		if !errors.As(err, &one) {
			return nil
		}
		list = scenarios.ErrorList{one}
	}
	out := make([]positionError, len(list))
	for i, e := range list {
		out[i] = positionError{e.File, e.Line, e.Column, e.Msg, e.Hint}
	}
	return out
}

type loadRequest struct {
	// Library names a built-in scenario.
	Library string `json:"library,omitempty"`
	// Filename and Source are an uploaded scenario file.
	Filename string `json:"filename,omitempty"`
	Source   string `json:"source,omitempty"`
}

// inlineHint explains the one thing an uploaded scenario cannot do.
const inlineHint = "an uploaded scenario cannot read other files: put each manifest inline (workloads: - manifest: {...}) instead of file:"

func (s *Server) handleLoad(w http.ResponseWriter, r *http.Request) {
	var req loadRequest
	if !decode(w, r, &req) {
		return
	}
	if s.opts.DisableLoad {
		writeError(w, http.StatusConflict, "this session is shared with another frontend: loading a scenario here is disabled")
		return
	}
	sc, err := loadScenario(req)
	if err != nil {
		e := errorJSON{Error: err.Error(), Errors: positions(err)}
		for i, p := range e.Errors {
			if strings.Contains(p.Message, "without a file system") {
				e.Errors[i].Hint = inlineHint
				e.Error += "\n" + inlineHint
			}
		}
		writeJSON(w, http.StatusBadRequest, e)
		return
	}
	next, err := live.New(sc, s.opts.Session)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorJSON{Error: "cannot start the scenario: " + err.Error(), Errors: positions(err)})
		return
	}
	next.Start()
	if !s.replace(next) {
		writeError(w, http.StatusServiceUnavailable, "the server is shutting down")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "scenario": sc.Name})
}

func loadScenario(req loadRequest) (*scenarios.Scenario, error) {
	switch {
	case req.Library != "" && req.Source != "":
		return nil, errors.New("load either a library scenario or an uploaded file, not both")
	case req.Library != "":
		return scenarios.LoadLibrary(req.Library)
	case strings.TrimSpace(req.Source) != "":
		name := path.Base(strings.ReplaceAll(req.Filename, `\`, "/"))
		if name == "" || name == "." || name == "/" {
			name = "uploaded.yaml"
		}
		return scenarios.Parse(name, []byte(req.Source), nil)
	default:
		return nil, errors.New(`load needs "library" (a scenario name) or "source" (the YAML of a scenario file)`)
	}
}
