package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/scenarios"
)

// newTestServer serves a paused library scenario run to 1m.
func newTestServer(t *testing.T, name string, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	sc, err := scenarios.LoadLibrary(name)
	require.NoError(t, err)
	sess, err := live.New(sc, live.Options{Paused: true})
	require.NoError(t, err)
	require.NoError(t, sess.RunFor(time.Minute))
	opts.Session.Paused = true
	srv := New(sess, opts)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })
	return srv, ts
}

type reply struct {
	code int
	body string
	hdr  http.Header
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &m), r.body)
	return m
}

func do(t *testing.T, ts *httptest.Server, method, path, body string, hdr map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, string(b), resp.Header}
}

func TestPageAndAssets(t *testing.T) {
	_, ts := newTestServer(t, "demo", Options{LoopbackOnly: true})
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/", "text/html", `<script src="/static/app.js"`},
		{"/static/app.js", "javascript", "EventSource"},
		{"/static/style.css", "text/css", ".node"},
	} {
		r := do(t, ts, "GET", tc.path, "", nil)
		require.Equal(t, 200, r.code, tc.path)
		require.Contains(t, r.hdr.Get("Content-Type"), tc.ctype, tc.path)
		require.Contains(t, r.body, tc.contains, tc.path)
		require.Contains(t, r.hdr.Get("Content-Security-Policy"), "script-src 'self'", "no inline scripts may run")
		require.Equal(t, "nosniff", r.hdr.Get("X-Content-Type-Options"))
	}
	require.Equal(t, 404, do(t, ts, "GET", "/static/nope.js", "", nil).code)
	page := do(t, ts, "GET", "/", "", nil)
	require.Equal(t, "DENY", page.hdr.Get("X-Frame-Options"), "no page may frame the UI")
	require.Contains(t, page.hdr.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	_, framed := newTestServer(t, "demo", Options{LoopbackOnly: true, SameOriginFrames: true})
	page = do(t, framed, "GET", "/", "", nil)
	require.Equal(t, "SAMEORIGIN", page.hdr.Get("X-Frame-Options"), "the lab page frames the UI from the same origin")
	require.Contains(t, page.hdr.Get("Content-Security-Policy"), "frame-ancestors 'self'")
	require.NotContains(t, do(t, ts, "GET", "/", "", nil).body, "innerHTML")
	require.NotContains(t, do(t, ts, "GET", "/static/app.js", "", nil).body, "innerHTML", "data reaches the DOM as text only")
}

func TestViewHistoryScenariosAndSave(t *testing.T) {
	_, ts := newTestServer(t, "demo", Options{LoopbackOnly: true})
	v := do(t, ts, "GET", "/api/view", "", nil)
	require.Equal(t, 200, v.code)
	var view viewJSON
	require.NoError(t, json.Unmarshal([]byte(v.body), &view))
	require.Equal(t, "demo", view.Scenario)
	require.Equal(t, 60.0, view.Time)
	require.True(t, view.Paused)
	require.Len(t, view.Nodes, 3)
	require.NotEmpty(t, view.Nodes[0].Pods)
	require.Len(t, view.Etcd.Members, 3)
	require.NotEmpty(t, view.Workloads)
	// The demo's three m5.large machines at us-east-1's $0.096 an hour.
	require.Equal(t, 3, view.Counts.Machines)
	require.InDelta(t, 3*0.096, view.Counts.CostPerHour, 1e-9)
	require.InDelta(t, 3*0.096/60, view.Counts.CostTotal, 1e-9, "a minute of three machines")

	h := do(t, ts, "GET", "/api/history", "", nil)
	require.Equal(t, 200, h.code)
	var hist struct{ Samples []sampleJSON }
	require.NoError(t, json.Unmarshal([]byte(h.body), &hist))
	require.GreaterOrEqual(t, len(hist.Samples), 12, "a sample every 5s for a minute")
	last := hist.Samples[len(hist.Samples)-1]
	require.Positive(t, last.CPUAlloc)
	require.Positive(t, last.Running)
	require.Equal(t, 3, last.Machines, "the charts plot the billed machines")
	require.InDelta(t, 3*0.096, last.PerHour, 1e-9, "and what they cost per hour")

	sc := do(t, ts, "GET", "/api/scenarios", "", nil).json(t)
	require.Equal(t, "demo", sc["current"])
	require.NotEmpty(t, sc["library"])
	require.Equal(t, true, sc["loadable"])

	y := do(t, ts, "GET", "/api/session.yaml", "", nil)
	require.Equal(t, 200, y.code)
	require.Contains(t, y.hdr.Get("Content-Disposition"), `filename="demo-session.yaml"`)
	require.Contains(t, y.body, "name: demo")
	require.Contains(t, y.body, "duration:")
}

func TestDetailAndEtcd(t *testing.T) {
	srv, ts := newTestServer(t, "demo", Options{LoopbackOnly: true})
	pod := srv.Session().Snapshot().Nodes[0].Pods[0]
	for _, tc := range []struct {
		query, yaml string
		conditions  bool
	}{
		{"kind=Node&name=general-1", "kind: Node", true},
		{"kind=Pod&ns=" + pod.Namespace + "&name=" + pod.Name, "kind: Pod", true},
		{"kind=Deployment&ns=default&name=web", "kind: Deployment", true},
		{"kind=Service&name=web", "kind: Service", false}, // ns defaults to default
	} {
		r := do(t, ts, "GET", "/api/detail?"+tc.query, "", nil)
		require.Equal(t, 200, r.code, tc.query+": "+r.body)
		var d detailJSON
		require.NoError(t, json.Unmarshal([]byte(r.body), &d))
		require.Contains(t, d.YAML, tc.yaml)
		require.Contains(t, d.YAML, "apiVersion:")
		if tc.conditions {
			require.NotEmpty(t, d.Conditions, tc.query)
		}
	}
	var d detailJSON
	require.NoError(t, json.Unmarshal([]byte(do(t, ts, "GET", "/api/detail?kind=Pod&ns="+pod.Namespace+"&name="+pod.Name, "", nil).body), &d))
	var reasons []string
	for _, e := range d.Events {
		reasons = append(reasons, e.Reason)
	}
	require.Contains(t, reasons, "Scheduled", "the pod's own events")

	for _, tc := range []struct {
		query string
		code  int
	}{
		{"kind=Node", 400},
		{"name=x", 400},
		{"kind=Gadget&name=x", 400},
		{"kind=Event&ns=default&name=x", 400},
		{"kind=Node&name=general-9", 404},
		{"kind=Pod&ns=default&name=%3Cimg%3E", 404},
	} {
		r := do(t, ts, "GET", "/api/detail?"+tc.query, "", nil)
		require.Equal(t, tc.code, r.code, tc.query)
		require.NotEmpty(t, r.json(t)["error"])
	}

	// Why: the pod's chain of causes, oldest first, ending at the pod.
	w := do(t, ts, "GET", "/api/explain?kind=Pod&ns="+pod.Namespace+"&name="+pod.Name, "", nil)
	require.Equal(t, 200, w.code, w.body)
	var why struct{ Steps []stepJSON }
	require.NoError(t, json.Unmarshal([]byte(w.body), &why))
	require.NotEmpty(t, why.Steps)
	last := why.Steps[len(why.Steps)-1]
	require.Equal(t, pod.Name, last.Name, "the chain ends at the pod")
	var comps []string
	for i, st := range why.Steps {
		comps = append(comps, st.Component)
		if i > 0 {
			require.GreaterOrEqual(t, st.T, why.Steps[i-1].T, "oldest first")
		}
	}
	require.Contains(t, comps, "default-scheduler", "the pod was bound by the scheduler: %v", comps)
	for _, q := range []string{"kind=Pod", "name=x"} {
		require.Equal(t, 400, do(t, ts, "GET", "/api/explain?"+q, "", nil).code, q)
	}
	require.Equal(t, 404, do(t, ts, "GET", "/api/explain?kind=Pod&ns=default&name=nope", "", nil).code)

	e := do(t, ts, "GET", "/api/etcd", "", nil)
	require.Equal(t, 200, e.code)
	var ej etcdJSON
	require.NoError(t, json.Unmarshal([]byte(e.body), &ej))
	require.True(t, ej.Quorum)
	require.Len(t, ej.Members, 3)
	require.Positive(t, ej.Members[0].AppliedIndex, "raft applied the cluster's writes")
}

func TestControl(t *testing.T) {
	srv, ts := newTestServer(t, "node-failure", Options{LoopbackOnly: true})
	sess := srv.Session()
	post := func(body string) reply { return do(t, ts, "POST", "/api/control", body, nil) }

	require.Equal(t, 200, post(`{"action":"step"}`).code)
	require.Equal(t, 200, post(`{"action":"speed","speed":30}`).code)
	require.Equal(t, 30.0, sess.Snapshot().Speed)
	require.Equal(t, 200, post(`{"action":"speed","speed":"max"}`).code)
	require.Equal(t, 0.0, do(t, ts, "GET", "/api/view", "", nil).json(t)["speed"], "as fast as possible is 0 in JSON")
	require.Equal(t, 200, post(`{"action":"slower"}`).code)
	require.Equal(t, 1000.0, sess.Snapshot().Speed)
	t0 := sess.Snapshot().Time
	require.Equal(t, 200, post(`{"action":"run","t":120}`).code)
	require.Equal(t, t0+2*time.Minute, sess.Snapshot().Time)
	require.Equal(t, 200, post(`{"action":"rewind","t":30}`).code)
	require.Equal(t, 30*time.Second, sess.Snapshot().Time)
	require.True(t, sess.Snapshot().Paused)
	require.Equal(t, 200, post(`{"action":"resume"}`).code)
	require.False(t, sess.Snapshot().Paused)
	require.Equal(t, 200, post(`{"action":"pause"}`).code)
	require.True(t, sess.Snapshot().Paused)

	before := sess.Snapshot().TraceHash
	for _, body := range []string{
		``, `{`, `[]`, `{"action":"explode"}`, `{}`, `{"action":"pause","extra":1}`,
		`{"action":"speed"}`, `{"action":"speed","speed":-2}`, `{"action":"speed","speed":"fast"}`,
		`{"action":"rewind"}`, `{"action":"rewind","t":-5}`, `{"action":"rewind","t":1e12}`,
		`{"action":"run","t":99999}`, `{"action":"pause"} {"action":"resume"}`,
	} {
		r := post(body)
		require.Equal(t, 400, r.code, body)
		require.NotEmpty(t, r.json(t)["error"], body)
	}
	require.Equal(t, before, sess.Snapshot().TraceHash, "bad requests change nothing")
	require.True(t, sess.Snapshot().Paused)
}

func TestCommands(t *testing.T) {
	srv, ts := newTestServer(t, "demo", Options{LoopbackOnly: true})
	sess := srv.Session()
	post := func(body string) reply { return do(t, ts, "POST", "/api/command", body, nil) }

	for _, body := range []string{
		`{"verb":"cordon","node":"general-3"}`,
		`{"verb":"scale","kind":"deployment","name":"web","replicas":4}`,
		`{"verb":"fail","node":"general-2"}`,
		`{"verb":"etcd-partition","member":"etcd-2"}`,
		`{"verb":"etcd-heal","member":"etcd-2"}`,
		`{"verb":"etcd-stop","member":"etcd-3"}`,
		`{"verb":"kubectl","line":"uncordon general-3"}`,
		`{"verb":"apply","manifest":"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n"}`,
	} {
		r := post(body)
		require.Equal(t, 200, r.code, body+": "+r.body)
	}
	require.Len(t, sess.Recorded(), 8)
	v := sess.Snapshot()
	require.Equal(t, "down", v.Etcd.Members[2].State)

	before := sess.Snapshot().TraceHash
	for _, tc := range []struct {
		body, want string
		line       float64
	}{
		{`{"verb":"explode"}`, "unknown command", 0},
		{`{"verb":"fail"}`, "needs a node", 0},
		{`{"verb":"fail","node":"general-9"}`, `no node "general-9"`, 0},
		{`{"verb":"scale","name":"web","replicas":-1}`, "replicas must be >= 0", 0},
		{`{"verb":"scale","name":"web","replicas":1.5}`, "malformed", 0},
		{`{"verb":"scale","name":"web","replicas":99999999999}`, "malformed", 0},
		{`{"verb":"etcd-stop","member":"etcd-7"}`, `no member "etcd-7"`, 0},
		{`{"verb":"kubectl","line":"scal deployment/web"}`, "", 0},
		{`{"verb":"cordon","node":"general-1","bogus":true}`, "unknown field", 0},
		{`{"verb":"apply","manifest":"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  bogus: 1\n"}`, "", 5},
		{`{"verb":"apply","manifest":"apiVersion: v1\nkind: Pod\nmetadata: {name: p\n"}`, "", 0},
		{`{"verb":"apply","manifest":""}`, "no objects", 1},
	} {
		r := post(tc.body)
		require.Equal(t, 400, r.code, tc.body+": "+r.body)
		m := r.json(t)
		require.Contains(t, m["error"], tc.want, tc.body)
		if tc.line > 0 {
			errs := m["errors"].([]any)
			require.NotEmpty(t, errs, "manifest errors carry positions")
			require.Equal(t, tc.line, errs[0].(map[string]any)["line"], tc.body)
		}
	}
	require.Len(t, sess.Recorded(), 8, "malformed commands are not recorded")
	require.Equal(t, before, sess.Snapshot().TraceHash, "and change nothing")

	// Well-formed, but the cluster refuses: 409, recorded (it is part of the story).
	r := post(`{"verb":"scale","name":"no-such-deployment","replicas":2}`)
	require.Equal(t, 409, r.code, r.body)
	require.Equal(t, true, r.json(t)["recorded"])
	require.Contains(t, r.json(t)["error"], "not found")
}

func TestLoad(t *testing.T) {
	srv, ts := newTestServer(t, "demo", Options{LoopbackOnly: true})
	first := srv.Session()
	r := do(t, ts, "POST", "/api/load", `{"library":"node-failure"}`, nil)
	require.Equal(t, 200, r.code, r.body)
	require.NotSame(t, first, srv.Session())
	require.Equal(t, "node-failure", srv.Session().Scenario().Name)
	require.True(t, srv.Session().Snapshot().Paused, "the server's session options apply")
	_, err := first.Do(live.Command{Verb: "cordon", Node: "general-1"})
	require.ErrorIs(t, err, live.ErrClosed, "the replaced session is closed")

	upload := `name: uploaded
duration: 5m
cluster:
  nodeGroups:
    - {name: small, instanceType: m5.large, count: 2}
workloads:
  - manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: c}
`
	body, _ := json.Marshal(loadRequest{Filename: "../../etc/mine.yaml", Source: upload})
	r = do(t, ts, "POST", "/api/load", string(body), nil)
	require.Equal(t, 200, r.code, r.body)
	require.Equal(t, "uploaded", srv.Session().Scenario().Name)
	require.Len(t, srv.Session().Snapshot().Nodes, 2)

	for _, tc := range []struct {
		req        loadRequest
		want, hint string
		line       float64
	}{
		{loadRequest{Library: "no-such"}, "no scenario file or library scenario", "", 0},
		{loadRequest{}, "load needs", "", 0},
		{loadRequest{Library: "demo", Source: upload}, "not both", "", 0},
		{loadRequest{Filename: "bad.yaml", Source: "name: bad\ncluster:\n  nodeGroups:\n    - {name: g, instanceType: m5.huge, count: 1}\n"}, "bad.yaml:4", "", 4},
		{loadRequest{Filename: "refs.yaml", Source: "name: refs\ncluster:\n  nodeGroups:\n    - {name: g, instanceType: m5.large, count: 1}\nworkloads:\n  - file: manifests/web.yaml\n"}, "inline", "inline", 6},
	} {
		body, _ := json.Marshal(tc.req)
		r := do(t, ts, "POST", "/api/load", string(body), nil)
		require.Equal(t, 400, r.code, r.body)
		m := r.json(t)
		require.Contains(t, m["error"], tc.want)
		if tc.line > 0 {
			e := m["errors"].([]any)[0].(map[string]any)
			require.Equal(t, tc.line, e["line"])
			if tc.hint != "" {
				require.Contains(t, e["hint"], tc.hint)
			}
		}
	}
	require.Equal(t, "uploaded", srv.Session().Scenario().Name, "a failed load keeps the session")

	shared, ts2 := newTestServer(t, "demo", Options{LoopbackOnly: true, DisableLoad: true})
	r = do(t, ts2, "POST", "/api/load", `{"library":"node-failure"}`, nil)
	require.Equal(t, 409, r.code, r.body)
	require.Equal(t, "demo", shared.Session().Scenario().Name)
}

func TestSecurity(t *testing.T) {
	_, ts := newTestServer(t, "demo", Options{LoopbackOnly: true, MaxBody: 64})
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		code                     int
	}{
		{"dns rebinding", "GET", "/api/view", "", map[string]string{"Host": "evil.example:8080"}, 403},
		{"localhost is fine", "GET", "/api/view", "", map[string]string{"Host": "localhost:8080"}, 200},
		{"cross-site post", "POST", "/api/control", `{"action":"pause"}`, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"foreign origin", "POST", "/api/control", `{"action":"pause"}`, map[string]string{"Origin": "http://evil.example"}, 403},
		{"same origin", "POST", "/api/control", `{"action":"pause"}`, map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"form post", "POST", "/api/control", `action=pause`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{"no content type", "POST", "/api/command", `{}`, map[string]string{"Content-Type": ""}, 415},
		{"too large", "POST", "/api/command", `{"verb":"apply","manifest":"` + strings.Repeat("x", 200) + `"}`, nil, 413},
		{"wrong method", "PUT", "/api/control", `{}`, nil, 405},
		{"get on post endpoint", "GET", "/api/command", ``, nil, 405},
	} {
		r := do(t, ts, tc.method, tc.path, tc.body, tc.hdr)
		require.Equal(t, tc.code, r.code, tc.name+": "+r.body)
	}
}

func TestToken(t *testing.T) {
	_, ts := newTestServer(t, "demo", Options{Token: "s3cret"})
	require.Equal(t, 401, do(t, ts, "GET", "/api/view", "", nil).code)
	require.Equal(t, 401, do(t, ts, "GET", "/", "", nil).code)
	require.Equal(t, 401, do(t, ts, "GET", "/api/view", "", map[string]string{"X-Kubesim-Token": "wrong"}).code)
	require.Equal(t, 200, do(t, ts, "GET", "/api/view", "", map[string]string{"X-Kubesim-Token": "s3cret"}).code)
	require.Equal(t, 200, do(t, ts, "GET", "/api/view", "", map[string]string{"Cookie": "kubesim_token=s3cret"}).code)
	require.Equal(t, 401, do(t, ts, "POST", "/api/control", `{"action":"pause"}`, nil).code)

	// The printed URL sets the cookie and drops the token from the address.
	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(ts.URL + "/?token=s3cret")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/", resp.Header.Get("Location"))
	c := resp.Cookies()
	require.Len(t, c, 1)
	require.Equal(t, "s3cret", c[0].Value)
	require.True(t, c[0].HttpOnly)
	resp, err = client.Get(ts.URL + "/?token=wrong")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode)
}

// TestEventStream reads snapshots from /events: one at once, more as the
// session moves, a switch to a loaded scenario, and the end on Close; with
// pods in full, and compactly as a big cluster's are sent.
func TestEventStream(t *testing.T) {
	for _, compact := range []bool{false, true} {
		t.Run(fmt.Sprintf("compact=%t", compact), func(t *testing.T) { testEventStream(t, compact) })
	}
}

func testEventStream(t *testing.T, compact bool) {
	opts := Options{LoopbackOnly: true, Throttle: 20 * time.Millisecond}
	if compact {
		opts.CompactNodes = 2 // the demo has 3
	}
	srv, ts := newTestServer(t, "demo", opts)
	resp, err := ts.Client().Get(ts.URL + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	rd := bufio.NewReader(resp.Body)
	// The page's model: a whole view, then deltas applied to it.
	var model viewJSON
	deltas, changedNodes, newEvents := 0, 0, 0
	next := func() viewJSON {
		t.Helper()
		event := ""
		for {
			line, err := rd.ReadString('\n')
			require.NoError(t, err)
			if ev, ok := strings.CutPrefix(line, "event: "); ok {
				event = strings.TrimSpace(ev)
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			switch event {
			case "view":
				model = viewJSON{}
				require.NoError(t, json.Unmarshal([]byte(data), &model))
				return model
			case "delta":
				var d struct {
					Head         viewJSON    `json:"head"`
					Events       []eventJSON `json:"events"`
					EventsReset  bool        `json:"eventsReset"`
					Strings      []string    `json:"strings"`
					StringsReset bool        `json:"stringsReset"`
					Nodes        []nodeJSON  `json:"nodes"`
					Names        []string    `json:"names"`
				}
				require.NoError(t, json.Unmarshal([]byte(data), &d))
				require.Empty(t, d.Head.Events, "a delta's head carries no events")
				events := append(model.Events, d.Events...)
				if d.EventsReset {
					events = d.Events
				}
				if len(events) > maxStreamEvents {
					events = events[len(events)-maxStreamEvents:]
				}
				newEvents += len(d.Events)
				byName := map[string]nodeJSON{}
				names := d.Names
				for _, n := range model.Nodes {
					byName[n.Name] = n
					if d.Names == nil {
						names = append(names, n.Name)
					}
				}
				for _, n := range d.Nodes {
					byName[n.Name] = n
				}
				require.Empty(t, d.Head.Strings, "a delta's head carries no strings")
				strs := append(model.Strings, d.Strings...)
				if d.StringsReset {
					strs = d.Strings
				}
				model = d.Head
				model.Events, model.Strings = events, strs
				for _, n := range names {
					model.Nodes = append(model.Nodes, byName[n])
				}
				deltas++
				changedNodes += len(d.Nodes)
				return model
			}
		}
	}
	v := next()
	require.Equal(t, 60.0, v.Time)
	require.Len(t, v.Nodes, 3)
	require.Equal(t, compact, v.Compact)
	for _, n := range v.Nodes {
		if compact {
			require.Empty(t, n.Pods, "a compact node lists no pods")
			requireCompactPods(t, ts, n, v.Strings)
		} else {
			require.NotEmpty(t, n.Pods)
			require.Empty(t, n.PodKeys)
		}
	}
	require.NoError(t, srv.Session().RunFor(10*time.Second))
	// A run that takes more than one chunk of wall time (a slow or busy
	// machine) streams its intermediate snapshots too.
	for v = next(); v.Time < 70; v = next() {
		require.GreaterOrEqual(t, v.Time, 60.0)
	}
	require.Equal(t, 70.0, v.Time)
	require.Equal(t, uint64(1), v.Session)
	require.NoError(t, srv.Session().RunFor(5*time.Minute))
	for v.Time < 370 {
		v = next()
	}
	require.Positive(t, deltas, "after the first view, deltas")
	var full viewJSON
	r0 := do(t, ts, "GET", "/api/view", "", nil)
	require.Equal(t, 200, r0.code)
	require.NoError(t, json.Unmarshal([]byte(r0.body), &full))
	require.Equal(t, full.Version, v.Version)
	require.Equal(t, full, v, "the deltas rebuild exactly the server's view")
	require.Positive(t, newEvents, "the deltas carried the new events")

	// A quiet cluster changes few nodes: a pause sends the head alone.
	before := changedNodes
	srv.Session().Pause()
	v = next()
	require.True(t, v.Paused)
	require.Equal(t, before, changedNodes, "pausing changes no node: the delta carries none")

	r := do(t, ts, "POST", "/api/load", `{"library":"unschedulable-pod"}`, nil)
	require.Equal(t, 200, r.code)
	v = next()
	require.Equal(t, uint64(2), v.Session, "the stream follows the loaded scenario")
	require.Equal(t, "unschedulable-pod", v.Scenario)

	srv.Close()
	_, err = io.ReadAll(rd)
	require.NoError(t, err, "the stream ends cleanly on Close")
}

// requireCompactPods: a compact node's pod keys decode to the owners,
// states and readiness /api/pods lists in full, in the same order.
func requireCompactPods(t *testing.T, ts *httptest.Server, n nodeJSON, strs []string) {
	t.Helper()
	var full struct {
		Node string    `json:"node"`
		Pods []podJSON `json:"pods"`
	}
	r := do(t, ts, "GET", "/api/pods?node="+n.Name, "", nil)
	require.Equal(t, 200, r.code, r.body)
	require.NoError(t, json.Unmarshal([]byte(r.body), &full))
	require.Equal(t, n.Name, full.Node)
	require.NotEmpty(t, full.Pods)
	require.Len(t, n.PodKeys, 2*len(full.Pods))
	for i, p := range full.Pods {
		o, s := n.PodKeys[2*i], n.PodKeys[2*i+1]
		require.Equal(t, p.Owner, strs[o], "pod %d", i)
		require.Equal(t, p.State, strs[s/2], "pod %d", i)
		require.Equal(t, p.Ready, s%2 == 1, "pod %d", i)
		require.NotEmpty(t, p.Name)
	}
}

// TestUnchangedNodesKeepTheirJSON: a snapshot re-encodes only the nodes
// whose view changed (their stamp), and the whole body is what a fresh
// encoding gives.
func TestUnchangedNodesKeepTheirJSON(t *testing.T) {
	srv, _ := newTestServer(t, "node-failure", Options{LoopbackOnly: true})
	sess := srv.Session()
	e1, _ := srv.encoded(sess, 1)
	_, err := sess.Do(live.Command{Verb: "cordon", Node: sess.Snapshot().Nodes[0].Name})
	require.NoError(t, err)
	e2, _ := srv.encoded(sess, 1)
	require.Greater(t, e2.version, e1.version)
	require.Len(t, e2.nodes, len(e1.nodes))
	reused := 0
	for i := range e2.nodes {
		same := &e2.nodes[i][0] == &e1.nodes[i][0]
		require.Equal(t, e1.stamps[i] == e2.stamps[i], same, "node %s: reused exactly when its stamp stayed", e2.names[i])
		if same {
			reused++
		}
	}
	require.Equal(t, len(e2.nodes)-1, reused, "only the cordoned node re-encoded")
	fresh := encodeView(1, sess.Snapshot(), nil, false)
	require.JSONEq(t, string(fresh.whole()), string(e2.whole()))
	require.Contains(t, string(e2.delta(e1)), `"unschedulable":true`)
}

// TestPendingListIsBounded: thousands of pending pods are counted, and the
// oldest maxPendingSent listed.
func TestPendingListIsBounded(t *testing.T) {
	srv, ts := newTestServer(t, "demo", Options{LoopbackOnly: true})
	_, err := srv.Session().Do(live.Command{Verb: "scale", Kind: "deployment", Namespace: "default", Name: "web", Replicas: 400})
	require.NoError(t, err)
	require.NoError(t, srv.Session().RunFor(time.Minute))
	var v viewJSON
	require.NoError(t, json.Unmarshal([]byte(do(t, ts, "GET", "/api/view", "", nil).body), &v))
	require.Greater(t, v.PendingTotal, maxPendingSent, "more pending than listed")
	require.Len(t, v.Pending, maxPendingSent)
}

// TestSlowClientNeverStallsTheSimulation opens streams nobody reads: the
// session runs on at full speed.
func TestSlowClientNeverStallsTheSimulation(t *testing.T) {
	srv, ts := newTestServer(t, "demo", Options{LoopbackOnly: true, Throttle: time.Millisecond})
	for i := 0; i < 3; i++ {
		resp, err := ts.Client().Get(ts.URL + "/events")
		require.NoError(t, err)
		defer resp.Body.Close() // never read
	}
	sess := srv.Session()
	sess.SetSpeed(live.AsFastAsPossible)
	sess.Start()
	sess.Resume()
	require.Eventually(t, func() bool { return sess.Snapshot().Time >= 15*time.Minute }, 20*time.Second, 10*time.Millisecond)
}

// TestDeltaCarriesOnlyNewEvents: a delta carries the events that came
// since the last message, not the whole window again; the page's list
// (the last one's followed by these, the newest maxStreamEvents kept)
// is then the current view's. A rewind, which replaces the run's events,
// sends the whole window with eventsReset.
func TestDeltaCarriesOnlyNewEvents(t *testing.T) {
	srv, _ := newTestServer(t, "node-failure", Options{LoopbackOnly: true})
	sess := srv.Session()
	require.NoError(t, sess.RunFor(2*time.Minute))
	type deltaJSON struct {
		Events      []eventJSON `json:"events"`
		EventsReset bool        `json:"eventsReset"`
	}
	var page []eventJSON
	first, _ := srv.encoded(sess, 1)
	var whole viewJSON
	require.NoError(t, json.Unmarshal(first.whole(), &whole))
	page = whole.Events
	require.NotEmpty(t, page)
	prev := first
	for range 3 {
		_, err := sess.Do(live.Command{Verb: "scale", Kind: "deployment", Namespace: "default", Name: "web", Replicas: int32(3 + len(page)%5)})
		require.NoError(t, err)
		require.NoError(t, sess.RunFor(30*time.Second))
		e, _ := srv.encoded(sess, 1)
		var d deltaJSON
		require.NoError(t, json.Unmarshal(e.delta(prev), &d))
		require.False(t, d.EventsReset)
		require.Equal(t, e.eventsTotal-prev.eventsTotal, len(d.Events), "only the new events")
		require.NotEmpty(t, d.Events)
		page = append(page, d.Events...)
		if len(page) > maxStreamEvents {
			page = page[len(page)-maxStreamEvents:]
		}
		var now viewJSON
		require.NoError(t, json.Unmarshal(e.whole(), &now))
		require.Equal(t, now.Events, page, "the page's events are the view's")
		var none deltaJSON
		require.NoError(t, json.Unmarshal(e.delta(e), &none))
		require.Empty(t, none.Events, "no new events, none sent")
		prev = e
	}
	require.NoError(t, sess.Rewind(time.Minute))
	e, _ := srv.encoded(sess, 1)
	var d deltaJSON
	require.NoError(t, json.Unmarshal(e.delta(prev), &d))
	require.True(t, d.EventsReset, "a rewind replaces the page's events")
	var now viewJSON
	require.NoError(t, json.Unmarshal(e.whole(), &now))
	require.Equal(t, now.Events, d.Events)
}

// TestStringTable: compact nodes point at one table of owners and states
// for the whole view; a delta carries only the strings added since the
// last message, and a table grown past maxStrings (a long run of Jobs,
// each its own owner) is replaced: the delta then says so and carries
// every node, whose JSON points at the new table.
func TestStringTable(t *testing.T) {
	pod := func(owner string) live.PodView {
		return live.PodView{Namespace: "default", Name: owner + "-x", Owner: owner, State: "Running", Ready: true}
	}
	view := func(version uint64, a, b string) *live.View {
		return &live.View{Version: version, Nodes: []live.NodeView{
			{Name: "n1", Stamp: 1, Pods: []live.PodView{pod(a)}},
			{Name: "n2", Stamp: version, Pods: []live.PodView{pod(b)}},
		}}
	}
	type delta struct {
		Strings      []string   `json:"strings"`
		StringsReset bool       `json:"stringsReset"`
		Nodes        []nodeJSON `json:"nodes"`
	}
	decode := func(b []byte) (d delta) {
		require.NoError(t, json.Unmarshal(b, &d))
		return d
	}
	e1 := encodeView(1, view(1, "Job/a", "Job/b"), nil, true)
	require.Equal(t, []string{"Job/a", "Running", "Job/b"}, e1.strings)
	var whole viewJSON
	require.NoError(t, json.Unmarshal(e1.whole(), &whole))
	require.Equal(t, e1.strings, whole.Strings)

	e2 := encodeView(1, view(2, "Job/a", "Job/c"), e1, true)
	d := decode(e2.delta(e1))
	require.Equal(t, []string{"Job/c"}, d.Strings, "only the new string")
	require.False(t, d.StringsReset)
	require.Len(t, d.Nodes, 1, "only the changed node")
	require.Equal(t, []int{3, 3}, d.Nodes[0].PodKeys, "Job/c, Running and ready")

	for i := range maxStrings {
		e2.strs.index(fmt.Sprintf("Job/old-%d", i))
	}
	e3 := encodeView(1, view(3, "Job/a", "Job/d"), e2, true)
	require.Equal(t, []string{"Job/a", "Running", "Job/d"}, e3.strings, "a fresh table")
	d = decode(e3.delta(e2))
	require.True(t, d.StringsReset)
	require.Equal(t, e3.strings, d.Strings)
	require.Len(t, d.Nodes, 2, "every node, pointing at the new table")
}
