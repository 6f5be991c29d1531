package metrics

import (
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/kubelet/images"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// DefaultInterval is metrics-server's --metric-resolution in its
// released manifest (components.yaml and the EKS add-on): 15 s. A
// sample's window is the time between the two scrapes its rate comes
// from, so a container has a metric from its second scrape on.
const DefaultInterval = 15 * time.Second

// DefaultNoise is the relative standard deviation of a pod's CPU use
// around its share of the load (per pod, per scrape).
const DefaultNoise = 0.05

// DefaultMemoryBytes is a container's working set when it requests no
// memory; with a request, its working set is the request (the simulator
// does not model memory growth).
const DefaultMemoryBytes = 64 << 20

// Load is the traffic one workload receives.
type Load struct {
	// Kind, Namespace and Name name the workload (Deployment,
	// StatefulSet or ReplicaSet) whose Ready pods share the traffic.
	Kind, Namespace, Name string
	Curve                 Curve
	// CPUPerRequest is the CPU one request per second costs, in
	// millicores (a pod serving 10 requests/s at 2m uses 20m).
	CPUPerRequest float64
	// Noise is the relative standard deviation of each pod's use
	// (0 = DefaultNoise; negative = none).
	Noise float64
}

// Key is the workload's "kind/namespace/name".
func (l Load) Key() string { return l.Kind + "/" + l.Namespace + "/" + l.Name }

// Config tunes the server.
type Config struct {
	Interval time.Duration // 0 = DefaultInterval
	Loads    []Load
	// Eager recomputes every scrape even when nothing it depends on
	// changed (tests compare it with the default, incremental server).
	Eager bool
}

// ContainerUsage is one container's use over a sample's window.
type ContainerUsage struct {
	Name        string
	CPUMilli    int64
	MemoryBytes int64
}

// PodSample is metrics-server's PodMetrics for one pod.
type PodSample struct {
	Namespace, Name, Node string
	Timestamp             time.Time
	Window                time.Duration
	Containers            []ContainerUsage
	// CPUMilli is the pod's use (the containers' sum); DemandMilli what
	// it would have used unthrottled.
	CPUMilli, MemoryBytes int64
	DemandMilli           float64
}

// NodeSample is metrics-server's NodeMetrics for one node: the sum of
// its pods' use.
type NodeSample struct {
	Name                  string
	Timestamp             time.Time
	Window                time.Duration
	CPUMilli, MemoryBytes int64
}

// LoadStats are what one load did over the run: the CPU its pods asked
// for and got (millicore-seconds), the time some of it went unserved
// and the worst unserved share of one scrape.
type LoadStats struct {
	Load
	DemandMilliSeconds, ServedMilliSeconds float64
	Saturated                              time.Duration
	PeakUnserved                           float64 // 0..1
	PeakRPS                                float64
	PeakReadyPods, MinReadyPods            int
}

// Server is the metrics-server model.
type Server struct {
	engine   *sim.Engine
	st       *store.Store
	interval time.Duration
	loads    []Load
	stats    []LoadStats
	scrapes  uint64
	computed uint64 // scrapes that recomputed the samples

	pods     map[string]*PodSample  // the latest scrape, by pod key
	nodes    map[string]*NodeSample // by node name
	owner    map[string]string      // pod key -> its workload's "kind/name" (the pod's namespace)
	at       time.Duration          // the latest scrape
	window   time.Duration          // its window (samples carry at and window from here)
	usedCPU  int64                  // millicores over every pod at the latest scrape
	timer    *sim.Timer
	stopped  bool
	onScrape []func()

	// Without loads a scrape is a function of the pods, their nodes'
	// allocatable CPU and their workloads' annotations, and of time only
	// through the two-scrape rule: while none of those changed (dirty
	// unset, no pod's second scrape due before eligibleAt) the previous
	// samples stand and a scrape costs nothing. An idle cluster's hour
	// then costs 240 empty timer events instead of 240 passes over every
	// pod.
	eager      bool
	dirty      bool
	eligibleAt time.Duration     // the earliest a Running pod passes the two-scrape rule (0 = none waiting)
	watched    map[string]func() // the owner kinds watched for annotation changes

	// static caches, per pod key, what a scrape derives from the pod
	// object alone (its key, requests, limits, and whether it passed the
	// two-scrape rule): store objects are replaced, never modified, so an
	// entry holds while the pod pointer is the same.
	static map[string]*podStatic
}

// podStatic is what a scrape derives from one version of a pod.
type podStatic struct {
	pod        *corev1.Pod
	key        string
	passed     bool  // the two-scrape rule held (it keeps holding: time only advances)
	totalReq   int64 // millicores requested over the containers
	containers []containerStatic
}

type containerStatic struct {
	reqMilli, limitMilli int64 // limitMilli 0: no limit
	memBytes             int64
}

func newPodStatic(p *corev1.Pod, key string) *podStatic {
	ps := &podStatic{pod: p, key: key, containers: make([]containerStatic, len(p.Spec.Containers))}
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		cs := &ps.containers[i]
		if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
			cs.reqMilli = q.MilliValue()
		}
		ps.totalReq += cs.reqMilli
		if lim, ok := c.Resources.Limits[corev1.ResourceCPU]; ok && !lim.IsZero() {
			cs.limitMilli = lim.MilliValue()
		}
		cs.memBytes = DefaultMemoryBytes
		if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok && !q.IsZero() {
			cs.memBytes = q.Value()
		}
	}
	return ps
}

// New returns a server over st; call Start.
func New(engine *sim.Engine, st *store.Store, cfg Config) *Server {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	s := &Server{engine: engine, st: st, interval: cfg.Interval, loads: cfg.Loads, pods: map[string]*PodSample{},
		nodes: map[string]*NodeSample{}, owner: map[string]string{}, eager: cfg.Eager, dirty: true, watched: map[string]func(){},
		static: map[string]*podStatic{}}
	for _, l := range cfg.Loads {
		s.stats = append(s.stats, LoadStats{Load: l, MinReadyPods: -1})
	}
	return s
}

// Interval is the scrape interval.
func (s *Server) Interval() time.Duration { return s.interval }

// Loads are the configured loads.
func (s *Server) Loads() []Load { return s.loads }

// Start scrapes now and every interval.
func (s *Server) Start() {
	// Synchronous watches (no delivery latency, so no engine events and
	// no change to anyone's event order) tell the server when a scrape
	// could come out differently.
	s.watched["Pod"] = s.st.Watch("Pod", 0, func(store.Event) { s.dirty = true })
	s.watched["Node"] = s.st.Watch("Node", 0, func(ev store.Event) {
		if ev.Type != store.Modified || allocatableCPU(ev.Object) != allocatableCPU(ev.Old) {
			s.dirty = true
		}
	})
	s.timer = s.engine.After(0, "metrics-server/scrape", s.scrape)
}

// Stop ends the scrapes.
func (s *Server) Stop() {
	s.stopped = true
	s.engine.Cancel(s.timer)
	for _, k := range slices.Sorted(maps.Keys(s.watched)) {
		s.watched[k]()
	}
	s.watched = map[string]func(){}
}

// watchOwnerKind watches a kind that tops some pod's owner chain: a
// change to its annotations (sim.kubesim.io/cpu) changes its pods' use.
func (s *Server) watchOwnerKind(kind string) {
	if _, ok := s.watched[kind]; ok || s.stopped {
		return
	}
	if _, ok := store.LookupKind(kind); !ok {
		return
	}
	s.watched[kind] = s.st.Watch(kind, 0, func(ev store.Event) {
		if ev.Type != store.Modified || !maps.Equal(ev.Object.GetAnnotations(), ev.Old.GetAnnotations()) {
			s.dirty = true
		}
	})
}

func allocatableCPU(o store.Object) int64 {
	if n, ok := o.(*corev1.Node); ok {
		return podutil.NodeAllocatable(n).MilliCPU
	}
	return 0
}

// OnScrape calls fn after every scrape.
func (s *Server) OnScrape(fn func()) { s.onScrape = append(s.onScrape, fn) }

// Pod is the latest sample of a pod, if metrics-server has one.
func (s *Server) Pod(namespace, name string) (PodSample, bool) {
	p, ok := s.pods[store.Key(namespace, name)]
	if !ok {
		return PodSample{}, false
	}
	out := *p
	out.Timestamp, out.Window = sim.Epoch.Add(s.at), s.window
	return out, true
}

// Node is the latest sample of a node.
func (s *Server) Node(name string) (NodeSample, bool) {
	n, ok := s.nodes[name]
	if !ok {
		return NodeSample{}, false
	}
	out := *n
	out.Timestamp, out.Window = sim.Epoch.Add(s.at), s.window
	return out, true
}

// PodKeys and NodeNames list what has samples, sorted.
func (s *Server) PodKeys() []string { return sortedKeys(s.pods) }

// NodeNames lists the nodes with samples, sorted.
func (s *Server) NodeNames() []string { return sortedKeys(s.nodes) }

// Scrapes counts the scrapes so far and those that had to recompute the
// samples (the rest found nothing changed).
func (s *Server) Scrapes() (all, computed uint64) { return s.scrapes, s.computed }

// UsedCPUMilli is every pod's CPU use at the latest scrape.
func (s *Server) UsedCPUMilli() int64 { return s.usedCPU }

// Stats are the loads' statistics so far, in configuration order.
func (s *Server) Stats() []LoadStats { return append([]LoadStats(nil), s.stats...) }

// RPS is a load's traffic now.
func (s *Server) RPS(i int) float64 { return s.loads[i].Curve.RPS(s.engine.Elapsed()) }

func (s *Server) scrape() {
	if s.stopped {
		return
	}
	s.timer = s.engine.After(s.interval, "metrics-server/scrape", s.scrape)
	now := s.engine.Elapsed()
	wall := s.engine.Now()
	window := s.interval
	if s.scrapes > 0 {
		window = now - s.at
	}
	s.at, s.window = now, window
	s.scrapes++
	if !s.eager && len(s.loads) == 0 && !s.dirty && (s.eligibleAt == 0 || now < s.eligibleAt) {
		for _, fn := range s.onScrape {
			fn()
		}
		return
	}
	s.dirty, s.eligibleAt = false, 0
	s.computed++

	// Each load's per-pod demand: its traffic over its Ready pods.
	type share struct {
		load   int
		demand float64 // millicores per pod
	}
	shares := map[string]share{}
	readyOf := make([]int, len(s.loads))
	for i, l := range s.loads {
		sel, ok := s.selectorOf(l)
		if !ok {
			continue
		}
		var ready []string
		for _, o := range s.st.Select("Pod", l.Namespace, sel) {
			p := o.(*corev1.Pod)
			if p.Spec.NodeName != "" && p.DeletionTimestamp == nil && podutil.IsReady(p) {
				ready = append(ready, store.KeyOf(p))
			}
		}
		readyOf[i] = len(ready)
		rps := math.Max(l.Curve.RPS(now), 0)
		st := &s.stats[i]
		st.PeakRPS = math.Max(st.PeakRPS, rps)
		st.PeakReadyPods = max(st.PeakReadyPods, len(ready))
		if st.PeakReadyPods > 0 && (st.MinReadyPods < 0 || len(ready) < st.MinReadyPods) { // from the first Ready pod on
			st.MinReadyPods = len(ready)
		}
		for _, k := range ready {
			shares[k] = share{load: i, demand: rps * l.CPUPerRequest / float64(len(ready))}
		}
	}

	pods := map[string]*PodSample{}
	byNode := map[string][]*PodSample{}
	loadOf := map[*PodSample]int{}
	static := make(map[string]*podStatic, len(s.static))
	for _, o := range s.st.List("Pod", "") {
		p := o.(*corev1.Pod)
		if p.Spec.NodeName == "" || p.Status.Phase != corev1.PodRunning {
			continue
		}
		key := store.KeyOf(p)
		pst := s.static[key]
		if pst == nil || pst.pod != p {
			pst = newPodStatic(p, key)
		}
		static[key] = pst
		if !pst.passed {
			due, ok := s.secondScrape(p)
			if !ok {
				if due > 0 && (s.eligibleAt == 0 || due < s.eligibleAt) {
					s.eligibleAt = due
				}
				continue
			}
			pst.passed = true
		}
		ps := &PodSample{Namespace: p.Namespace, Name: p.Name, Node: p.Spec.NodeName, Timestamp: wall, Window: window,
			Containers: make([]ContainerUsage, 0, len(p.Spec.Containers))}
		sh, loaded := shares[key]
		noise := 1.0
		if loaded {
			noise = s.noise(p, s.loads[sh.load].Noise)
			loadOf[ps] = sh.load
		}
		var ann map[string]string
		if !loaded {
			ann = s.workloadAnnotations(p)
		}
		for i := range p.Spec.Containers {
			c := &p.Spec.Containers[i]
			cs := &pst.containers[i]
			var demand float64
			if loaded {
				part := 1 / float64(len(p.Spec.Containers))
				if pst.totalReq > 0 {
					part = float64(cs.reqMilli) / float64(pst.totalReq)
				}
				demand = images.DefaultIdleCPUMilli + sh.demand*part*noise
			} else {
				demand = float64(images.CPUUsageMilli(c, ann, p.Annotations))
			}
			used := demand
			if cs.limitMilli > 0 {
				used = math.Min(used, float64(cs.limitMilli)) // CFS quota throttles above the limit
			}
			ps.DemandMilli += demand
			ps.Containers = append(ps.Containers, ContainerUsage{Name: c.Name, CPUMilli: int64(math.Round(used)), MemoryBytes: cs.memBytes})
		}
		pods[key] = ps
		byNode[ps.Node] = append(byNode[ps.Node], ps)
	}
	s.static = static

	// A node whose pods want more than its cores shares them out in
	// proportion to what each wants.
	nodes := map[string]*NodeSample{}
	var used int64
	for _, name := range sortedKeys(byNode) {
		o, ok := s.st.Get("Node", "", name)
		if !ok {
			continue
		}
		capMilli := podutil.NodeAllocatable(o.(*corev1.Node)).MilliCPU
		var want int64
		for _, ps := range byNode[name] {
			for _, c := range ps.Containers {
				want += c.CPUMilli
			}
		}
		f := 1.0
		if capMilli > 0 && want > capMilli {
			f = float64(capMilli) / float64(want)
		}
		ns := &NodeSample{Name: name, Timestamp: wall, Window: window}
		for _, ps := range byNode[name] {
			for i := range ps.Containers {
				c := &ps.Containers[i]
				c.CPUMilli = int64(math.Floor(float64(c.CPUMilli) * f))
				ps.CPUMilli += c.CPUMilli
				ps.MemoryBytes += c.MemoryBytes
			}
			ns.CPUMilli += ps.CPUMilli
			ns.MemoryBytes += ps.MemoryBytes
		}
		used += ns.CPUMilli
		nodes[name] = ns
	}

	// Per load: what was asked for and what was served over the window.
	demand := make([]float64, len(s.loads))
	served := make([]float64, len(s.loads))
	for _, key := range sortedKeys(pods) {
		ps := pods[key]
		if i, ok := loadOf[ps]; ok {
			demand[i] += ps.DemandMilli
			served[i] += float64(ps.CPUMilli)
		}
	}
	for i := range s.loads {
		st := &s.stats[i]
		st.DemandMilliSeconds += demand[i] * window.Seconds()
		st.ServedMilliSeconds += served[i] * window.Seconds()
		if demand[i] > 0 {
			un := math.Max(0, 1-served[i]/demand[i])
			if un > 0.01 {
				st.Saturated += window
			}
			st.PeakUnserved = math.Max(st.PeakUnserved, un)
		}
	}
	s.pods, s.nodes, s.usedCPU = pods, nodes, used
	for _, fn := range s.onScrape {
		fn()
	}
}

// secondScrape: metrics-server reports a container's rate from two
// scrapes, so every container must have been running since the previous
// scrape. When they all run but one started too recently, due is the
// virtual time from which the pod passes (0 when only a change to the pod
// can make it pass).
func (s *Server) secondScrape(p *corev1.Pod) (due time.Duration, ok bool) {
	if len(p.Status.ContainerStatuses) < len(p.Spec.Containers) {
		return 0, false
	}
	since := s.engine.Now().Add(-s.interval)
	ok = true
	for i := range p.Status.ContainerStatuses {
		r := p.Status.ContainerStatuses[i].State.Running
		if r == nil {
			return 0, false
		}
		if r.StartedAt.After(since) {
			ok = false
			due = max(due, r.StartedAt.Sub(sim.Epoch)+s.interval)
		}
	}
	return due, ok
}

// noise is the pod's factor this scrape: a draw from a normal
// distribution around 1, seeded by the run's seed, the pod and the scrape
// (so reading the metrics never shifts anyone's random numbers).
func (s *Server) noise(p *corev1.Pod, sigma float64) float64 {
	switch {
	case sigma == 0:
		sigma = DefaultNoise
	case sigma < 0:
		return 1
	}
	h := fnv.New64a()
	h.Write([]byte(p.UID))
	src := s.engine.Keyed("metrics/noise", h.Sum64()^s.scrapes)
	return math.Max(0, distuv.Normal{Mu: 1, Sigma: sigma, Src: src}.Rand())
}

// workloadAnnotations are the annotations of the pod's top controller
// (a ReplicaSet's Deployment), whose sim.kubesim.io/cpu overrides the
// pod's own.
func (s *Server) workloadAnnotations(p *corev1.Pod) map[string]string {
	key := store.KeyOf(p)
	ref, ok := s.owner[key]
	if !ok {
		var obj store.Object = p
		for range 3 {
			c := podutil.ControllerOf(obj)
			if c == nil {
				break
			}
			ref = c.Kind + "/" + c.Name
			o, ok := s.st.Get(c.Kind, p.Namespace, c.Name)
			if !ok {
				break
			}
			obj = o
		}
		s.owner[key] = ref
		if ref != "" {
			kind, _ := splitRef(ref)
			s.watchOwnerKind(kind)
		}
	}
	if ref == "" {
		return nil
	}
	kind, name := splitRef(ref)
	if o, ok := s.st.Get(kind, p.Namespace, name); ok {
		return o.GetAnnotations()
	}
	return nil
}

func (s *Server) selectorOf(l Load) (labelsSelector, bool) {
	o, ok := s.st.Get(l.Kind, l.Namespace, l.Name)
	if !ok {
		return nil, false
	}
	sel := selectorField(o)
	if sel == nil {
		return nil, false
	}
	ls, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || ls.Empty() {
		return nil, false
	}
	return ls, true
}

type labelsSelector = labels.Selector

func selectorField(o store.Object) *metav1.LabelSelector {
	switch w := o.(type) {
	case *appsv1.Deployment:
		return w.Spec.Selector
	case *appsv1.StatefulSet:
		return w.Spec.Selector
	case *appsv1.ReplicaSet:
		return w.Spec.Selector
	}
	return nil
}

func splitRef(ref string) (kind, name string) {
	kind, name, _ = strings.Cut(ref, "/")
	return kind, name
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
