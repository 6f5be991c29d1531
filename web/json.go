package web

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/sim/podutil"
)

// The page's JSON: short lower-case names, times in seconds of virtual
// time, CPU in millicores and memory in bytes. Every string is escaped by
// encoding/json (including <, > and &), and the page only ever puts them
// in the DOM as text.

type viewJSON struct {
	Session  uint64     `json:"session"`
	Version  uint64     `json:"version"`
	Scenario string     `json:"scenario"`
	Time     float64    `json:"time"`
	Speed    float64    `json:"speed"` // 0: as fast as possible
	Speeds   []float64  `json:"speeds"`
	Paused   bool       `json:"paused"`
	Until    float64    `json:"until"`
	Nodes    []nodeJSON `json:"nodes,omitempty"` // encoded apart: see encodeView
	Pending  []podJSON  `json:"pending"`         // the oldest maxPendingSent
	// PendingTotal is how many pods are pending (more than listed when
	// there are more than maxPendingSent).
	PendingTotal int `json:"pendingTotal"`
	// Compact says the nodes carry their pods compactly (a big cluster):
	// the page draws the map and asks /api/pods for names.
	Compact bool `json:"compact,omitempty"`
	// Strings are the owners and states compact nodes' pods point at
	// (see compactPods; encoded apart: see encodeView).
	Strings   []string       `json:"strings,omitempty"`
	Workloads []workloadJSON `json:"workloads"`
	// Events are the newest maxStreamEvents events (encoded apart: see
	// encodeView); EventsTotal is how many the run has had, the last
	// listed being number EventsTotal.
	Events      []eventJSON `json:"events,omitempty"`
	EventsTotal int         `json:"eventsTotal"`
	Etcd        etcdJSON    `json:"etcd"`
	Counts      countsJSON  `json:"counts"`
	TraceHash   string      `json:"traceHash"`
	// Stopped is why the simulation stopped itself (a livelock), if it did.
	Stopped string `json:"stopped,omitempty"`
	// CatchingUp: the simulation runs behind its speed (live.View).
	CatchingUp bool `json:"catchingUp,omitempty"`
}

type resJSON struct {
	CPU  int64 `json:"cpu"`
	Mem  int64 `json:"mem"`
	Pods int64 `json:"pods"`
}

type nodeJSON struct {
	Name          string    `json:"name"`
	Zone          string    `json:"zone"`
	Group         string    `json:"group"`
	InstanceType  string    `json:"instanceType"`
	Ready         string    `json:"ready"`
	Unschedulable bool      `json:"unschedulable"`
	Taints        []string  `json:"taints"`
	Allocatable   resJSON   `json:"allocatable"`
	Requested     resJSON   `json:"requested"`
	Pods          []podJSON `json:"pods,omitempty"`
	// A compact node (viewJSON.Compact) has no pods but these: see
	// compactPods.
	PodKeys []int `json:"pk,omitempty"`
}

// podJSON is one pod. A node's pods leave out their node (it is the
// node they are listed in) and their creation time (only the pending list
// shows an age): at 30,000 pods that is a fifth of the first view.
type podJSON struct {
	Namespace string  `json:"ns"`
	Name      string  `json:"name"`
	Node      string  `json:"node,omitempty"`
	Owner     string  `json:"owner,omitempty"`
	State     string  `json:"state"`
	Ready     bool    `json:"ready"`
	Restarts  int32   `json:"restarts,omitempty"`
	CPU       int64   `json:"cpu"`
	Mem       int64   `json:"mem"`
	Reason    string  `json:"reason,omitempty"`
	Created   float64 `json:"created,omitempty"`
}

type workloadJSON struct {
	Kind      string `json:"kind"`
	Namespace string `json:"ns"`
	Name      string `json:"name"`
	Desired   int32  `json:"desired"`
	Ready     int32  `json:"ready"`
	Available int32  `json:"available"`
	UpToDate  int32  `json:"upToDate"`
}

type eventJSON struct {
	Time    float64 `json:"t"`
	Type    string  `json:"type"`
	Reason  string  `json:"reason"`
	Object  string  `json:"object"`
	Message string  `json:"message"`
	Count   int32   `json:"count"`
}

type etcdJSON struct {
	Leader  string           `json:"leader"`
	Quorum  bool             `json:"quorum"`
	Members []etcdMemberJSON `json:"members"`
}

type etcdMemberJSON struct {
	Name         string `json:"name"`
	Zone         string `json:"zone"`
	State        string `json:"state"`
	AppliedIndex uint64 `json:"appliedIndex,omitempty"`
	Revision     int64  `json:"revision,omitempty"`
}

type countsJSON struct {
	Nodes      int `json:"nodes"`
	NodesReady int `json:"nodesReady"`
	Pods       int `json:"pods"`
	Running    int `json:"running"`
	Pending    int `json:"pending"`
	Failed     int `json:"failed"`
	Succeeded  int `json:"succeeded"`
	// Machines are the billed machines; CostPerHour their USD per hour
	// and CostTotal the run's cost so far.
	Machines    int     `json:"machines"`
	CostPerHour float64 `json:"costPerHour"`
	CostTotal   float64 `json:"costTotal"`
}

// maxStreamEvents bounds the events each snapshot carries.
const maxStreamEvents = 200

func secs(d time.Duration) float64 { return d.Seconds() }

func res(r podutil.Resources) resJSON { return resJSON{r.MilliCPU, r.Memory, r.Pods} }

func speedJSON(x float64) float64 {
	if math.IsInf(x, 1) {
		return 0
	}
	return x
}

func podsJSON(in []live.PodView) []podJSON {
	out := make([]podJSON, len(in))
	for i, p := range in {
		out[i] = podJSON{p.Namespace, p.Name, p.Node, p.Owner, p.State, p.Ready, p.Restarts,
			p.Requests.MilliCPU, p.Requests.Memory, p.Reason, secs(p.Created)}
	}
	return out
}

// nodeToJSON is one node with its pods, in full or, given the table of
// strings they point at, compactly.
func nodeToJSON(n *live.NodeView, strs *stringTable) *nodeJSON {
	out := &nodeJSON{Name: n.Name, Zone: n.Zone, Group: n.Group, InstanceType: n.InstanceType, Ready: n.Ready,
		Unschedulable: n.Unschedulable, Taints: n.Taints, Allocatable: res(n.Allocatable), Requested: res(n.Requested)}
	if strs != nil {
		out.PodKeys = compactPods(n.Pods, strs)
	} else {
		out.Pods = nodePodsJSON(n.Pods)
	}
	return out
}

// compactPods is a node's pods as the map draws them, without names:
// per pod two numbers, the index of its owner in the view's strings and
// twice the index of its state plus one when it is ready. About 5 bytes
// a pod instead of 140, and the owners are listed once for the whole
// view, not once per node (at 1,000 nodes each running pods of 30
// Deployments, per-node lists were two thirds of the first view). The
// page asks for a node's pods by name (/api/pods) only when one is
// pointed at.
func compactPods(pods []live.PodView, strs *stringTable) []int {
	keys := make([]int, 0, 2*len(pods))
	for _, p := range pods {
		r := 0
		if p.Ready {
			r = 1
		}
		keys = append(keys, strs.index(p.Owner), 2*strs.index(p.State)+r)
	}
	return keys
}

// stringTable numbers the owners and states of compact nodes' pods. It
// only grows, so a node's JSON stays valid in every later snapshot that
// shares the table; the streams send each string once. A table that
// grew past maxStrings (a long run of Jobs, each its own owner) is
// replaced by a fresh one, at the cost of re-encoding every node once.
type stringTable struct {
	ids  map[string]int
	list []string
}

const maxStrings = 4096

func (t *stringTable) index(s string) int {
	i, ok := t.ids[s]
	if !ok {
		i = len(t.list)
		t.ids[s] = i
		t.list = append(t.list, s)
	}
	return i
}

// nodePodsJSON is podsJSON for the pods listed under their node.
func nodePodsJSON(in []live.PodView) []podJSON {
	out := podsJSON(in)
	for i := range out {
		out[i].Node, out[i].Created = "", 0
	}
	return out
}

func toViewJSON(gen uint64, v *live.View) *viewJSON {
	out := &viewJSON{Session: gen, Version: v.Version, Scenario: v.Scenario, Time: secs(v.Time),
		Speed: speedJSON(v.Speed), Speeds: live.Speeds, Paused: v.Paused, Until: secs(v.Until),
		Pending: podsJSON(v.Pending), EventsTotal: v.EventsTotal, TraceHash: v.TraceHash, Stopped: v.Stopped, CatchingUp: v.CatchingUp,
		Counts: countsJSON{v.Counts.Nodes, v.Counts.NodesReady, v.Counts.Pods, v.Counts.Running,
			v.Counts.Pending, v.Counts.Failed, v.Counts.Succeeded, v.Counts.Machines, v.Counts.CostPerHour, v.Counts.CostTotal},
		Etcd: etcdJSON{Leader: v.Etcd.Leader, Quorum: v.Etcd.Quorum}}
	for i := range v.Nodes {
		out.Nodes = append(out.Nodes, *nodeToJSON(&v.Nodes[i], nil))
	}
	for _, w := range v.Workloads {
		out.Workloads = append(out.Workloads, workloadJSON{w.Kind, w.Namespace, w.Name, w.Desired, w.Ready, w.Available, w.UpToDate})
	}
	evs := v.Events
	if len(evs) > maxStreamEvents {
		evs = evs[len(evs)-maxStreamEvents:]
	}
	for _, e := range evs {
		out.Events = append(out.Events, eventJSON{secs(e.Time), e.Type, e.Reason, e.Object, e.Message, e.Count})
	}
	for _, m := range v.Etcd.Members {
		out.Etcd.Members = append(out.Etcd.Members, etcdMemberJSON{Name: m.Name, Zone: m.Zone, State: m.State})
	}
	return out
}

// viewCache holds the latest snapshot's JSON, encoded once however many
// tabs are open: apart from each other, the view without its nodes and
// events (head), each node on its own and each event on its own, from
// which the streams make deltas. A node
// whose view did not change since the last snapshot (the same
// live.NodeView.Stamp) keeps its JSON, so at 1,000 nodes a snapshot costs
// what changed, not 30,000 pods. cost is how long the encoding took:
// streams space their snapshots by a multiple of it.
type viewCache struct {
	mu   sync.Mutex
	sess *live.Session
	enc  *encodedView
	cost time.Duration
}

// encodedView is one snapshot as JSON pieces (immutable once built; the
// whole body is put together on first use).
type encodedView struct {
	version uint64
	compact bool // nodes carry their pods compactly (see compactPods)
	// strs is the table compact nodes point at, shared with the
	// snapshots before and after that reuse their nodes; strings is
	// its first strings, the ones this snapshot's nodes may use.
	strs    *stringTable
	strings []string
	head    []byte   // the view without "nodes", "events" and "strings"
	names   []string // the nodes in order
	stamps  []uint64 // each node's live.NodeView.Stamp, like names
	nodes   [][]byte // each node's JSON, like names
	index   map[string]int
	// events are the newest events' JSON, oldest first; the last is
	// event number eventsTotal of the run.
	events      [][]byte
	eventsTotal int

	bodyOnce sync.Once
	body     []byte // the whole view (/api/view, the first stream message)
}

// viewBody returns the current snapshot's JSON, its version and what
// encoding it cost.
func (s *Server) viewBody(sess *live.Session, gen uint64) ([]byte, uint64, time.Duration) {
	e, cost := s.encoded(sess, gen)
	return e.whole(), e.version, cost
}

// encoded returns the current snapshot encoded, from the cache when it
// is the same version, else reusing the last one's unchanged nodes.
func (s *Server) encoded(sess *live.Session, gen uint64) (*encodedView, time.Duration) {
	v := sess.Snapshot()
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == sess && c.enc != nil && c.enc.version == v.Version {
		return c.enc, c.cost
	}
	prev := c.enc
	if c.sess != sess {
		prev = nil // stamps are per session
	}
	start := time.Now()
	e := encodeView(gen, v, prev, s.compactFor(v))
	c.sess, c.enc, c.cost = sess, e, time.Since(start)
	return e, c.cost
}

// Beyond these many nodes or pods on nodes, nodes carry their pods
// compactly: the page draws them as a map and fetches names on demand.
const (
	defaultCompactNodes = 60
	defaultCompactPods  = 3000
)

func (s *Server) compactFor(v *live.View) bool {
	nodes, pods := s.opts.CompactNodes, s.opts.CompactPods
	if nodes <= 0 {
		nodes = defaultCompactNodes
	}
	if pods <= 0 {
		pods = defaultCompactPods
	}
	if len(v.Nodes) > nodes {
		return true
	}
	n := 0
	for i := range v.Nodes {
		n += len(v.Nodes[i].Pods)
	}
	return n > pods
}

// maxPendingSent bounds the pending pods a view lists (the page shows
// 200 and says how many more): thousands of pending pods would otherwise
// be re-sent whole with every snapshot.
const maxPendingSent = 200

func encodeView(gen uint64, v *live.View, prev *encodedView, compact bool) *encodedView {
	j := toViewJSON(gen, v)
	j.Compact = compact
	j.PendingTotal = len(j.Pending)
	if len(j.Pending) > maxPendingSent {
		j.Pending = j.Pending[:maxPendingSent]
	}
	events := make([][]byte, len(j.Events))
	for i, ev := range j.Events {
		events[i] = mustJSON(ev)
	}
	j.Nodes, j.Events = nil, nil
	e := &encodedView{version: v.Version, compact: compact, head: mustJSON(j), events: events, eventsTotal: j.EventsTotal,
		names: make([]string, len(v.Nodes)), stamps: make([]uint64, len(v.Nodes)),
		nodes: make([][]byte, len(v.Nodes)), index: make(map[string]int, len(v.Nodes))}
	if prev != nil && (prev.compact != compact || compact && len(prev.strs.list) > maxStrings) {
		prev = nil
	}
	if compact {
		e.strs = &stringTable{ids: map[string]int{}}
		if prev != nil {
			e.strs = prev.strs
		}
	}
	for i := range v.Nodes {
		n := &v.Nodes[i]
		e.names[i], e.stamps[i], e.index[n.Name] = n.Name, n.Stamp, i
		if prev != nil {
			if k, ok := prev.index[n.Name]; ok && prev.stamps[k] == n.Stamp {
				e.nodes[i] = prev.nodes[k]
				continue
			}
		}
		e.nodes[i] = mustJSON(nodeToJSON(n, e.strs))
	}
	if e.strs != nil {
		e.strings = e.strs.list
	}
	return e
}

// whole is the view with its nodes, as /api/view and a stream's first
// message send it.
func (e *encodedView) whole() []byte {
	e.bodyOnce.Do(func() {
		size := len(e.head) + 32
		for _, n := range e.nodes {
			size += len(n) + 1
		}
		for _, ev := range e.events {
			size += len(ev) + 1
		}
		strs := mustJSON(e.strings)
		b := make([]byte, 0, size+len(strs))
		b = append(b, `{"nodes":`...)
		b = appendList(b, e.nodes)
		b = append(b, `,"events":`...)
		b = appendList(b, e.events)
		if e.strings != nil {
			b = append(b, `,"strings":`...)
			b = append(b, strs...)
		}
		b = append(b, ',')
		e.body = append(b, e.head[1:]...) // the head without its opening brace
	})
	return e.body
}

// appendList appends the JSON array of items (each a JSON value).
func appendList(b []byte, items [][]byte) []byte {
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

// newEvents are the events of e that prev (the last message) did not
// have, and whether they replace the page's list rather than follow it:
// when the run's events are not prev's followed by new ones (a rewind
// replaced the timeline) or more came than e lists.
func (e *encodedView) newEvents(prev *encodedView) (events [][]byte, reset bool) {
	k := e.eventsTotal - prev.eventsTotal
	if k < 0 || k > len(e.events) {
		return e.events, true
	}
	if n := len(prev.events); n > 0 {
		// prev's newest event must be where it was: just before the new ones.
		at := len(e.events) - k - 1
		if at < 0 || !bytes.Equal(e.events[at], prev.events[n-1]) {
			return e.events, true
		}
	}
	return e.events[len(e.events)-k:], false
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen: plain data
		return []byte(`{"error":` + strconv.Quote(err.Error()) + `}`)
	}
	return b
}

// delta is what a stream sends after its first snapshot: the view without
// its nodes and events, the events that came since the last message
// (the page keeps the newest; "eventsReset" says they replace its list),
// the strings added to the table compact nodes point at ("stringsReset":
// a new table), the nodes that changed, and the node names in order when
// the set or the order changed (else null).
func (e *encodedView) delta(prev *encodedView) []byte {
	var b bytes.Buffer
	b.WriteString(`{"head":`)
	b.Write(e.head)
	evs, reset := e.newEvents(prev)
	b.WriteString(`,"events":`)
	b.Write(appendList(nil, evs))
	if reset {
		b.WriteString(`,"eventsReset":true`)
	}
	switch e.strs {
	case nil:
	case prev.strs:
		if len(e.strings) > len(prev.strings) {
			b.WriteString(`,"strings":`)
			b.Write(mustJSON(e.strings[len(prev.strings):]))
		}
	default:
		b.WriteString(`,"strings":`)
		b.Write(mustJSON(e.strings))
		b.WriteString(`,"stringsReset":true`)
	}
	b.WriteString(`,"nodes":[`)
	first := true
	for i, n := range e.names {
		if k, ok := prev.index[n]; ok && prev.compact == e.compact && prev.strs == e.strs && prev.stamps[k] == e.stamps[i] {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.Write(e.nodes[i])
	}
	b.WriteString(`],"names":`)
	if slices.Equal(e.names, prev.names) {
		b.WriteString("null")
	} else {
		b.Write(mustJSON(e.names))
	}
	b.WriteByte('}')
	return b.Bytes()
}

type errorJSON struct {
	Error  string          `json:"error"`
	Errors []positionError `json:"errors,omitempty"`
	// Recorded says the cluster refused a well-formed command: it is
	// part of the session's story (and of a saved scenario).
	Recorded bool   `json:"recorded,omitempty"`
	Output   string `json:"output,omitempty"`
}

// positionError is one scenario or manifest problem with its position.
type positionError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorJSON{Error: msg})
}

func quote(s string) string { return strconv.Quote(s) }
