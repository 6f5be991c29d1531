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
	Session   uint64         `json:"session"`
	Version   uint64         `json:"version"`
	Scenario  string         `json:"scenario"`
	Time      float64        `json:"time"`
	Speed     float64        `json:"speed"` // 0: as fast as possible
	Speeds    []float64      `json:"speeds"`
	Paused    bool           `json:"paused"`
	Until     float64        `json:"until"`
	Nodes     []nodeJSON     `json:"nodes,omitempty"` // encoded apart: see encodeView
	Pending   []podJSON      `json:"pending"`
	Workloads []workloadJSON `json:"workloads"`
	Events    []eventJSON    `json:"events"`
	Etcd      etcdJSON       `json:"etcd"`
	Counts    countsJSON     `json:"counts"`
	TraceHash string         `json:"traceHash"`
	// Stopped is why the simulation stopped itself (a livelock), if it did.
	Stopped string `json:"stopped,omitempty"`
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
	Pods          []podJSON `json:"pods"`
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
		Pending: podsJSON(v.Pending), TraceHash: v.TraceHash, Stopped: v.Stopped,
		Counts: countsJSON{v.Counts.Nodes, v.Counts.NodesReady, v.Counts.Pods, v.Counts.Running,
			v.Counts.Pending, v.Counts.Failed, v.Counts.Succeeded, v.Counts.Machines, v.Counts.CostPerHour, v.Counts.CostTotal},
		Etcd: etcdJSON{Leader: v.Etcd.Leader, Quorum: v.Etcd.Quorum}}
	for _, n := range v.Nodes {
		out.Nodes = append(out.Nodes, nodeJSON{n.Name, n.Zone, n.Group, n.InstanceType, n.Ready, n.Unschedulable,
			n.Taints, res(n.Allocatable), res(n.Requested), nodePodsJSON(n.Pods)})
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
// tabs are open: the whole view, and apart from it the view without its
// nodes (head) and each node on its own, from which the streams make
// deltas. cost is how long the encoding took: streams space their
// snapshots by a multiple of it, so a huge cluster is sent less often
// rather than keeping a core busy encoding.
type viewCache struct {
	mu   sync.Mutex
	sess *live.Session
	enc  *encodedView
	cost time.Duration
}

// encodedView is one snapshot as JSON pieces (immutable once built).
type encodedView struct {
	version uint64
	body    []byte   // the whole view (/api/view, the first stream message)
	head    []byte   // the view without "nodes"
	names   []string // the nodes in order
	nodes   [][]byte // each node's JSON, like names
}

// viewBody returns the current snapshot's JSON and its version.
func (s *Server) viewBody(sess *live.Session, gen uint64) ([]byte, uint64, time.Duration) {
	e, cost := s.encoded(sess, gen)
	return e.body, e.version, cost
}

// encoded returns the current snapshot encoded, from the cache when it
// is the same version.
func (s *Server) encoded(sess *live.Session, gen uint64) (*encodedView, time.Duration) {
	v := sess.Snapshot()
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == sess && c.enc != nil && c.enc.version == v.Version {
		return c.enc, c.cost
	}
	start := time.Now()
	e := encodeView(gen, v)
	c.sess, c.enc, c.cost = sess, e, time.Since(start)
	return e, c.cost
}

func encodeView(gen uint64, v *live.View) *encodedView {
	j := toViewJSON(gen, v)
	nodes := j.Nodes
	j.Nodes = nil
	e := &encodedView{version: v.Version, names: make([]string, len(nodes)), nodes: make([][]byte, len(nodes))}
	e.head = mustJSON(j)
	var b bytes.Buffer
	b.Grow(len(e.head) + 200*len(nodes))
	b.WriteString(`{"nodes":[`)
	for i := range nodes {
		e.names[i] = nodes[i].Name
		e.nodes[i] = mustJSON(&nodes[i])
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e.nodes[i])
	}
	b.WriteString("],")
	b.Write(e.head[1:]) // the head without its opening brace
	e.body = b.Bytes()
	return e
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen: plain data
		return []byte(`{"error":` + strconv.Quote(err.Error()) + `}`)
	}
	return b
}

// delta is what a stream sends after its first snapshot: the view without
// its nodes, the nodes that changed since the last message, and the
// node names in order when the set or the order changed (else null).
func (e *encodedView) delta(prev *encodedView) []byte {
	var b bytes.Buffer
	b.WriteString(`{"head":`)
	b.Write(e.head)
	b.WriteString(`,"nodes":[`)
	old := make(map[string][]byte, len(prev.names))
	for i, n := range prev.names {
		old[n] = prev.nodes[i]
	}
	first := true
	for i, n := range e.names {
		if o, ok := old[n]; ok && bytes.Equal(o, e.nodes[i]) {
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
