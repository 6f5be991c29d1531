package metrics

import (
	"cmp"
	"hash/fnv"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
	"unsafe"

	"gonum.org/v1/gonum/stat/distuv"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

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
// memory and declares none (images.WorkingSetBytes).
const DefaultMemoryBytes = images.DefaultWorkingSetBytes

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

	nodes    map[string]*NodeSample // the latest scrape, by node name
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

	// With loads every scrape computes new samples (the traffic and the
	// noise move), but only from what changed: list keeps, per pod, in
	// key order (the order the per-load sums are taken in), what a
	// scrape derives from the pod object alone, refreshed for the pods
	// the watch reported (changed) since the last scrape. A scrape then
	// costs a pass over the pods with no store reads, label matching or
	// map building. Readers (Pod, PodCPU, PodKeys) see list as the latest
	// scrape left it, and find a pod's entry in it by binary search
	// (entryOf): a map by key cost an insertion per pod created, and its
	// readers look up few pods (the HPA's keep PodRefs).
	list []*podEntry
	// The watch brings an entry to each new version of its pod as the
	// pod is written (podEntry.update), while the writer has just read
	// the version before and both are in the cache: a scrape 15 s later
	// found them long evicted. bySlot holds the entries by their pods'
	// store slots (store.Event.Slot), so that a write finds its pod's
	// entry without hashing the pod's name. touched holds the entries in
	// list written since the last scrape (each once: podEntry.touched),
	// fresh those of the pods created since, in the order they came
	// (the scrape sorts them into list). The eager server keeps none of
	// this: it reads every pod at every scrape.
	bySlot    []*podEntry
	touched   []*podEntry
	fresh     []*podEntry
	resync    bool           // re-read every pod (the first scrape; eager; a write the watch could not follow)
	idleStale bool           // a workload's annotations changed: every idle use is to recompute
	selectors []loadSelector // per load
	accs      map[string]*nodeAcc
	ready     []int     // per load, its Ready pods this scrape
	perPod    []float64 // per load, each Ready pod's share of the demand (millicores)
	demand    []float64 // per load, this scrape's demand and use over its pods
	served    []float64
	walkBuf   []byte
	noiseSrc  *sim.Keyer // the "metrics/noise" streams
	// walks memoises, for one scrape (walked: the scrape's number), the
	// top controller found from a pod's controller ("namespace/kind/name")
	// and the top's annotations: the store does not change during a
	// scrape, and the pods of one ReplicaSet each walked it up to its
	// Deployment (three lookups per pod) to compute their idle use.
	walks  map[string]*walk
	walked uint64
	// The room the entries and their samples are cut from (see
	// newPodEntry, cut).
	entrySlab []podEntry
	usageSlab []ContainerUsage
	// templates holds the statics made since the last scrape by the
	// first container they were made from (see statics).
	templates map[containerID]*statics

	// Without loads a scrape that has to recompute recomputes only what
	// changed (patch): the entries refresh brought to a new version or
	// added (changed) or dropped (removed) since the last computed
	// scrape, and those still waiting for the two-scrape rule (pending).
	// patchable: the last computed scrape throttled no node and found
	// every node it sampled pods on, so each pod's use is its sample,
	// unscaled, and a node's sums are its pods' samples added up.
	changed, removed      []*podEntry
	pending, pendingSpare []*podEntry
	patchable             bool
}

// podEntry is what a scrape derives from one version of a pod.
type podEntry struct {
	pod     *corev1.Pod
	key     string
	uidHash uint64
	passed  bool // the two-scrape rule held (it keeps holding: time only advances)
	sampled bool // Running on a node: it has a sample once it passed
	ready   bool // on a node, not being deleted and Ready: it shares its loads' traffic
	// running: every container has a status and runs; started is then
	// the latest of their starts (secondScrape).
	running bool
	started time.Time
	loads   []int // the loads whose workload selects it, ascending
	// st is shared with the entries of the pod's previous versions and of
	// other pods that hold the same containers (the same array: store
	// objects are immutable) and equal annotations (see Server.statics).
	st   *statics
	idle []int64 // per container, its steady use without a load (nil: to compute); never written once computed
	// sample is the latest scrape's (valid while hasSample): what
	// PodSample holds beyond the pod's own namespace, name and node and
	// the scrape's time and window, which Pod fills in.
	sample    podSample
	hasSample bool
	// replaced is set when the entry stops being the pod key's in
	// entries (a scrape read every pod again, or the pod went): a PodRef
	// to it is then stale.
	replaced bool
	// touched: the pod was written since the last scrape (in
	// Server.touched). fresh: the entry is in Server.fresh, not yet in
	// list. gone: the pod was deleted (the next scrape drops the entry).
	touched, fresh, gone bool
	// owner is the pod's top controller, "kind/name" in the pod's
	// namespace ("": none), once ownerKnown: walked up once per pod
	// (workloadAnnotations), kept across the pod's versions, and so
	// forgotten with the entry when the pod goes or another pod takes
	// its name (a pod created again under a name does not inherit the
	// workload of the one before it).
	owner      string
	ownerKnown bool
	// acc is the accumulator of the pod's node in the latest scrape
	// that sampled it, kept so that a scrape does not look it up by the
	// node's name for every pod; it is valid while !acc.gone (the entry's
	// pod, and so its node, never changes).
	acc *nodeAcc
	// in is the accumulator whose sums hold this entry's sample (nil:
	// none), and inCPU and inMem what the sample added to them: what a
	// patched scrape takes out again before it samples the pod anew. They
	// describe the sums, not the pod, so they stay with the entry across
	// its pod's versions (update).
	in           *nodeAcc
	inCPU, inMem int64
	mark         uint64 // the computed scrape that last patched the entry
}

// podSample is a PodSample without the fields Pod takes from the pod
// and the scrape. A sample is always of its entry's pod on that pod's
// node: sample makes it from the entry's pod, and entry carries one over
// to a new version of the pod only on the same node.
type podSample struct {
	containers            []ContainerUsage
	cpuMilli, memoryBytes int64
	demandMilli           float64
}

// statics is what a scrape reads of a pod's containers, derived from the
// containers and the pod's annotations (ann) and kept beside the entry
// so that the per-scrape pass over every pod does not walk the pod
// objects themselves. It is never written once made.
type statics struct {
	ann        map[string]string
	ids        []containerID // the containers they were derived from
	containers []containerStatic
	totalReq   int64 // millicores requested over the containers
	// podIdle is, per container, its steady use without a load by the
	// pod's annotations alone: its idle use unless the workload's
	// override it.
	podIdle []int64
}

// containerID is what statics read of one container: its name and its
// resource lists, by identity. The API server gives the containers of
// equal requests (limits) one list (apiserver.shareResources), and
// stored objects are never changed in place: containers with the same
// lists and name have the same statics.
type containerID struct {
	name     string
	req, lim unsafe.Pointer
}

func idOf(c *corev1.Container) containerID {
	return containerID{c.Name, reflect.ValueOf(c.Resources.Requests).UnsafePointer(), reflect.ValueOf(c.Resources.Limits).UnsafePointer()}
}

// containerStatic is what a scrape reads of one container of the pod.
type containerStatic struct {
	name                 string
	reqMilli, limitMilli int64 // limitMilli 0: no limit
	memBytes             int64
}

// loadSelector is a load's workload and the selector computed from it.
type loadSelector struct {
	obj   store.Object
	field *metav1.LabelSelector
	sel   labels.Selector // nil: the workload is missing or selects nothing
}

// nodeAcc gathers one node's pods in a scrape.
type nodeAcc struct {
	stamp    uint64 // the scrape that last touched it
	node     *corev1.Node
	ref      store.Ref // on the node's slot: its current version without a lookup by name
	capMilli int64
	exists   bool
	want     int64
	sample   *NodeSample
	listed   uint64 // the scrape that put sample in its nodes map
	gone     bool   // dropped from Server.accs (a podEntry's acc is stale)
	pods     int    // the entries whose samples sample's sums hold (podEntry.in)
}

// newPodEntry is the entry of pod version p. What it derives from the
// containers and the annotations, and the UID's hash, it takes from old
// (the entry of the pod key's previous version, or nil) when those are
// the same; from scratch when fresh. The owner it takes from old when
// old is of the same pod (the same UID).
func (s *Server) newPodEntry(p *corev1.Pod, key string, old *podEntry, fresh bool) *podEntry {
	if len(s.entrySlab) == 0 {
		s.entrySlab = make([]podEntry, entrySlab)
	}
	e := &s.entrySlab[0]
	s.entrySlab = s.entrySlab[1:]
	e.key = key
	e.derive(p)
	if old != nil && old.pod.UID == p.UID {
		e.owner, e.ownerKnown = old.owner, old.ownerKnown
		if !fresh {
			e.uidHash = old.uidHash
		}
	}
	if e.uidHash == 0 {
		e.uidHash = hashUID(p.UID)
	}
	if old != nil && !fresh && sameArray(old.pod.Spec.Containers, p.Spec.Containers) && podutil.EqualMaps(old.pod.Annotations, p.Annotations) {
		// The same containers and annotations: the same statics, and
		// the same idle use while the workload's annotations stand
		// (when they change, refresh clears every entry's idle first).
		e.st, e.idle = old.st, old.idle
		return e
	}
	e.st = s.statics(p, fresh)
	return e
}

// entrySlab is the number of entries cut from one allocation: an entry
// a pod was one more object per pod for the collector, and the pods of
// a rollout come and go together, and so do their entries.
const entrySlab = 64

// hashUID is the hash of a pod's UID that seeds its noise.
func hashUID(uid types.UID) uint64 {
	h := fnv.New64a()
	h.Write([]byte(uid))
	return h.Sum64()
}

// derive sets what e takes from p, its pod's version, alone, but for
// the statics: p is then e's version, not yet past the two-scrape rule.
func (e *podEntry) derive(p *corev1.Pod) {
	e.pod, e.passed = p, false
	e.sampled = p.Spec.NodeName != "" && p.Status.Phase == corev1.PodRunning
	e.ready = p.Spec.NodeName != "" && p.DeletionTimestamp == nil && podutil.IsReady(p)
	e.running, e.started = len(p.Status.ContainerStatuses) >= len(p.Spec.Containers), time.Time{}
	for i := range p.Status.ContainerStatuses {
		r := p.Status.ContainerStatuses[i].State.Running
		if r == nil {
			e.running = false
			break
		}
		if i == 0 || r.StartedAt.After(e.started) {
			e.started = r.StartedAt.Time
		}
	}
}

// statics are the statics of p's containers: those of another pod's
// entry whose containers have the same names and resource lists (see
// containerID: the pods of one template) and whose annotations are
// equal, unless fresh asks for new ones. Server.templates keeps them by
// the first container until the next scrape.
func (s *Server) statics(p *corev1.Pod, fresh bool) *statics {
	cs := p.Spec.Containers
	if !fresh && len(cs) > 0 {
		if st := s.templates[idOf(&cs[0])]; st != nil && st.of(p) {
			return st
		}
	}
	st := &statics{ann: p.Annotations, ids: make([]containerID, len(cs)), containers: make([]containerStatic, len(cs)), podIdle: make([]int64, len(cs))}
	for i := range cs {
		c := &cs[i]
		st.ids[i] = idOf(c)
		x := &st.containers[i]
		x.name = c.Name
		if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
			x.reqMilli = q.MilliValue()
		}
		st.totalReq += x.reqMilli
		if lim, ok := c.Resources.Limits[corev1.ResourceCPU]; ok && !lim.IsZero() {
			x.limitMilli = lim.MilliValue()
		}
		x.memBytes = images.WorkingSetBytes(c.Name, c.Resources.Requests[corev1.ResourceMemory], p.Annotations)
		st.podIdle[i] = images.CPUUsageMilli(c, p.Annotations)
	}
	if !fresh && len(cs) > 0 {
		s.templates[st.ids[0]] = st
	}
	return st
}

// of reports whether st are the statics of p's containers: the same
// containers (by containerID) and equal annotations.
func (st *statics) of(p *corev1.Pod) bool {
	cs := p.Spec.Containers
	if len(cs) != len(st.ids) || !podutil.EqualMaps(st.ann, p.Annotations) {
		return false
	}
	for i := range cs {
		if idOf(&cs[i]) != st.ids[i] {
			return false
		}
	}
	return true
}

// slabLen is the number of elements of a slab the entries' samples are
// cut from.
const slabLen = 256

// cut is n elements cut from *slab (a new slab when it has fewer left),
// capped at n: a sample's containers were one more small object per
// entry for the collector. An entry never writes its sample past its
// length.
func cut[T any](slab *[]T, n int) []T {
	if n > slabLen {
		return make([]T, n)
	}
	if len(*slab) < n {
		*slab = make([]T, slabLen)
	}
	out := (*slab)[:n:n]
	*slab = (*slab)[n:]
	return out
}

// sameArray reports whether a and b are the same elements of the same
// array (a new version of a pod that did not touch its containers holds
// the previous version's).
func sameArray[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// New returns a server over st; call Start.
func New(engine *sim.Engine, st *store.Store, cfg Config) *Server {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	s := &Server{engine: engine, st: st, interval: cfg.Interval, loads: cfg.Loads,
		nodes: map[string]*NodeSample{}, eager: cfg.Eager, dirty: true, watched: map[string]func(){},
		resync: true, accs: map[string]*nodeAcc{}, walks: map[string]*walk{}, templates: map[containerID]*statics{},
		selectors: make([]loadSelector, len(cfg.Loads)), ready: make([]int, len(cfg.Loads)), perPod: make([]float64, len(cfg.Loads)),
		demand: make([]float64, len(cfg.Loads)), served: make([]float64, len(cfg.Loads)),
		noiseSrc: engine.Keyer("metrics/noise")}
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
	s.watched["Pod"] = s.st.Watch("Pod", 0, s.onPod)
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
		if ev.Type != store.Modified || !podutil.EqualMaps(ev.Object.GetAnnotations(), ev.Old.GetAnnotations()) {
			s.dirty, s.idleStale = true, true
		}
	})
}

// onPod follows a pod's write: the pod's entry follows it to the new
// version (a new pod gets a fresh entry), and the next scrape samples
// it again (see Server.bySlot).
func (s *Server) onPod(ev store.Event) {
	s.dirty = true
	if s.eager {
		return
	}
	p := ev.Object.(*corev1.Pod)
	if ev.Type == store.Added {
		e := s.newPodEntry(p, store.KeyOf(p), nil, false)
		e.fresh = true
		s.fresh = append(s.fresh, e)
		s.setSlot(ev.Slot, e)
		return
	}
	e := s.slotEntry(ev.Slot)
	if e == nil || e.pod != ev.Old {
		// Not the entry of the version before: a pod that was there
		// before the server started, found by its name once (or a
		// store restored under the server: every pod is read again).
		if e = s.entryOf(p.Namespace, p.Name); e == nil || e.replaced || e.pod != ev.Old {
			s.resync = true
			return
		}
		if ev.Type == store.Modified {
			s.setSlot(ev.Slot, e)
		}
	}
	if ev.Type == store.Deleted {
		e.gone = true
		if s.slotEntry(ev.Slot) == e {
			s.bySlot[ev.Slot] = nil
		}
	} else {
		s.update(e, p)
	}
	if !e.fresh && !e.touched {
		e.touched = true
		s.touched = append(s.touched, e)
	}
}

// slotEntry is the entry in bySlot at slot (nil: none).
func (s *Server) slotEntry(slot int32) *podEntry {
	if int(slot) < len(s.bySlot) {
		return s.bySlot[slot]
	}
	return nil
}

// setSlot puts e in bySlot at slot.
func (s *Server) setSlot(slot int32, e *podEntry) {
	if int(slot) >= len(s.bySlot) {
		s.bySlot = slices.Grow(s.bySlot, int(slot)+1-len(s.bySlot))[:slot+1]
	}
	s.bySlot[slot] = e
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
	e := s.entryOf(namespace, name)
	if e == nil || !e.hasSample {
		return PodSample{}, false
	}
	p, ps := e.pod, &e.sample
	return PodSample{Namespace: p.Namespace, Name: p.Name, Node: p.Spec.NodeName,
		Timestamp: sim.Epoch.Add(s.at), Window: s.window,
		Containers: slices.Clone(ps.containers), // the server reuses its own
		CPUMilli:   ps.cpuMilli, MemoryBytes: ps.memoryBytes, DemandMilli: ps.demandMilli}, true
}

// PodCPU is the latest sample's CPU use of a pod and the window it ends
// (what the HPA reads), without copying the sample.
func (s *Server) PodCPU(namespace, name string) (milli int64, at time.Time, window time.Duration, ok bool) {
	return s.PodCPUByRef(s.PodRef(namespace, name))
}

// entryOf is the pod's entry in list (nil: none).
func (s *Server) entryOf(namespace, name string) *podEntry { return entryIn(s.list, namespace, name) }

// entryIn is the entry of the pod namespace/name in list, which is in
// key order (nil: none), found without building the key.
func entryIn(list []*podEntry, namespace, name string) *podEntry {
	i, found := slices.BinarySearchFunc(list, name, func(e *podEntry, name string) int { return compareKey(e.key, namespace, name) })
	if !found {
		return nil
	}
	return list[i]
}

// compareKey compares key with store.Key(namespace, name) as strings.
func compareKey(key, namespace, name string) int {
	if namespace == "" {
		return strings.Compare(key, name)
	}
	n := len(namespace)
	if len(key) <= n { // key ends before the other's '/'
		if c := strings.Compare(key, namespace[:len(key)]); c != 0 {
			return c
		}
		return -1 // a prefix of the other
	}
	if c := strings.Compare(key[:n], namespace); c != 0 {
		return c
	}
	if key[n] != '/' {
		return cmp.Compare(key[n], '/')
	}
	return strings.Compare(key[n+1:], name)
}

// PodRef refers to the server's entry for one pod, for a reader that
// asks for the same pods' samples scrape after scrape (the HPA): reading
// through it (PodCPUByRef) costs no lookup by name. It is valid while the
// entry is the pod key's: the server marks an entry replaced the moment it
// puts another in its place (a scrape that reads every pod again) or
// drops it (the pod went), and a new version of the pod updates the entry
// in place (update), so a valid ref reads exactly what PodCPU of the pod's
// name reads. The zero PodRef is never valid.
type PodRef struct{ e *podEntry }

// Valid reports whether r still refers to its pod's current entry.
func (r PodRef) Valid() bool { return r.e != nil && !r.e.replaced }

// PodRef is the reference to a pod's current entry (invalid when the
// server has none: such a pod has no sample).
func (s *Server) PodRef(namespace, name string) PodRef {
	return PodRef{s.entryOf(namespace, name)}
}

// PodCPUByRef is PodCPU of the pod r refers to, which must be valid.
func (s *Server) PodCPUByRef(r PodRef) (milli int64, at time.Time, window time.Duration, ok bool) {
	if r.e == nil || !r.e.hasSample {
		return 0, time.Time{}, 0, false
	}
	return r.e.sample.cpuMilli, sim.Epoch.Add(s.at), s.window, true
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

// PodKeys lists the pods with samples, sorted.
func (s *Server) PodKeys() []string {
	var out []string
	for _, e := range s.list {
		if e.hasSample {
			out = append(out, e.key)
		}
	}
	return out
}

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
	all := s.refresh()
	patched := !all && s.patch(wall, window)
	clear(s.changed)
	clear(s.removed)
	s.changed, s.removed = s.changed[:0], s.removed[:0]
	if patched {
		for _, fn := range s.onScrape {
			fn()
		}
		return
	}

	// Each load's per-pod demand: its traffic over its Ready pods.
	clear(s.ready)
	for _, e := range s.list {
		if e.ready {
			for _, i := range e.loads {
				s.ready[i]++
			}
		}
	}
	for i, l := range s.loads {
		if s.selectors[i].sel == nil {
			continue
		}
		n := s.ready[i]
		rps := math.Max(l.Curve.RPS(now), 0)
		st := &s.stats[i]
		st.PeakRPS = math.Max(st.PeakRPS, rps)
		st.PeakReadyPods = max(st.PeakReadyPods, n)
		if st.PeakReadyPods > 0 && (st.MinReadyPods < 0 || n < st.MinReadyPods) { // from the first Ready pod on
			st.MinReadyPods = n
		}
		s.perPod[i] = rps * l.CPUPerRequest / float64(n)
	}

	// Each pod's use as it would be unthrottled, added up per node.
	pending := s.pending[:0]
	for _, e := range s.list {
		if !s.sample(e) {
			if e.sampled && !e.passed {
				pending = append(pending, e)
			}
			continue
		}
		node := e.pod.Spec.NodeName
		acc := e.acc
		if acc == nil || acc.gone {
			acc = s.accs[node]
			if acc == nil {
				acc = &nodeAcc{}
				s.accs[node] = acc
			}
			e.acc = acc
		}
		if acc.stamp != s.computed {
			acc.stamp, acc.want = s.computed, 0
			s.nodeOf(node, acc)
		}
		for _, c := range e.sample.containers {
			acc.want += c.CPUMilli
		}
	}

	// A node whose pods want more than its cores shares them out in
	// proportion to what each wants; per load, what was asked for and
	// what was served over the window (summed in pod key order).
	nodes := make(map[string]*NodeSample, len(s.nodes))
	clear(s.demand)
	clear(s.served)
	var used int64
	patchable := len(s.loads) == 0 && !s.eager
	for _, e := range s.list {
		e.in = nil
		if !e.hasSample {
			continue
		}
		ps, acc := &e.sample, e.acc // (this scrape's: sample set it)
		if acc.exists {
			f := 1.0
			if acc.capMilli > 0 && acc.want > acc.capMilli {
				f = float64(acc.capMilli) / float64(acc.want)
				patchable = false
			}
			ns := acc.sample
			if acc.listed != s.computed {
				if ns == nil {
					ns = &NodeSample{Name: e.pod.Spec.NodeName}
					acc.sample = ns
				}
				ns.Timestamp, ns.Window, ns.CPUMilli, ns.MemoryBytes = wall, window, 0, 0
				nodes[ns.Name] = ns
				acc.listed, acc.pods = s.computed, 0
			}
			for i := range ps.containers {
				c := &ps.containers[i]
				c.CPUMilli = int64(math.Floor(float64(c.CPUMilli) * f))
				ps.cpuMilli += c.CPUMilli
				ps.memoryBytes += c.MemoryBytes
			}
			ns.CPUMilli += ps.cpuMilli
			ns.MemoryBytes += ps.memoryBytes
			used += ps.cpuMilli
			acc.pods++
			e.in, e.inCPU, e.inMem = acc, ps.cpuMilli, ps.memoryBytes
		} else {
			patchable = false
		}
		if i, ok := e.load(); ok {
			s.demand[i] += ps.demandMilli
			s.served[i] += float64(ps.cpuMilli)
		}
	}
	for i := range s.loads {
		st := &s.stats[i]
		st.DemandMilliSeconds += s.demand[i] * window.Seconds()
		st.ServedMilliSeconds += s.served[i] * window.Seconds()
		if s.demand[i] > 0 {
			un := math.Max(0, 1-s.served[i]/s.demand[i])
			if un > 0.01 {
				st.Saturated += window
			}
			st.PeakUnserved = math.Max(st.PeakUnserved, un)
		}
	}
	for name, acc := range s.accs {
		if acc.stamp != s.computed {
			acc.gone = true
			delete(s.accs, name) // no pod on it this time
		}
	}
	s.nodes, s.usedCPU = nodes, used
	clear(pending[len(pending):cap(pending)]) // (the tail of the array: entries of earlier scrapes)
	s.pending, s.patchable = pending, patchable
	for _, fn := range s.onScrape {
		fn()
	}
}

// patch is the computed scrape of a server without loads when the last
// computed scrape was patchable (see Server.patchable): only the entries
// that changed since, and those waiting for the two-scrape rule, are
// sampled again, and each one's part of its node's sums and of the
// total is taken out and put back in. Every other pod's sample is what
// the full scrape would compute again (the same entry, the same idle
// use, its node still unthrottled), and the sums are of integers, so the
// order they are added in does not matter. During a rollout of 150,000
// pods this is a pass over the pods that moved instead of three passes
// over all of them per scrape.
//
// It returns false, and the full scrape then recomputes everything
// (from the entries: what patch changed on the way is recomputed), when
// a node of a sampled pod is gone or would now be throttled.
func (s *Server) patch(wall time.Time, window time.Duration) bool {
	if !s.patchable || len(s.loads) > 0 || s.eager {
		return false
	}
	for _, e := range s.removed {
		s.uncount(e)
	}
	pending := s.pendingSpare[:0]
	for _, list := range [2][]*podEntry{s.changed, s.pending} {
		for _, e := range list {
			if e.replaced || e.mark == s.computed {
				continue
			}
			e.mark = s.computed
			s.uncount(e)
			if !s.sample(e) {
				if e.sampled && !e.passed {
					pending = append(pending, e)
				}
				continue
			}
			acc := s.accOf(e)
			if !acc.exists {
				return false
			}
			s.count(e, acc)
		}
	}
	for name, acc := range s.accs { // (only marks, deletes and checks: any order)
		if acc.pods == 0 {
			acc.gone = true
			delete(s.accs, name)
			delete(s.nodes, name)
			continue
		}
		s.nodeOf(name, acc)
		if !acc.exists || (acc.capMilli > 0 && acc.want > acc.capMilli) {
			return false
		}
		acc.sample.Timestamp, acc.sample.Window = wall, window
	}
	clear(s.pending)
	s.pending, s.pendingSpare = pending, s.pending[:0]
	return true
}

// accOf is the accumulator of the entry's node, made (and its node
// read) if the node has none.
func (s *Server) accOf(e *podEntry) *nodeAcc {
	acc := e.acc
	if acc == nil || acc.gone {
		node := e.pod.Spec.NodeName
		acc = s.accs[node]
		if acc == nil {
			acc = &nodeAcc{}
			s.accs[node] = acc
			s.nodeOf(node, acc)
		}
		e.acc = acc
	}
	return acc
}

// count adds the entry's fresh sample, unthrottled, to its node's sums
// and the total (see patch).
func (s *Server) count(e *podEntry, acc *nodeAcc) {
	ps := &e.sample
	for i := range ps.containers {
		ps.cpuMilli += ps.containers[i].CPUMilli
		ps.memoryBytes += ps.containers[i].MemoryBytes
	}
	ns := acc.sample
	if ns == nil {
		ns = &NodeSample{Name: e.pod.Spec.NodeName}
		acc.sample = ns
	}
	if acc.pods == 0 {
		s.nodes[ns.Name] = ns
	}
	acc.pods++
	acc.want += ps.cpuMilli
	ns.CPUMilli += ps.cpuMilli
	ns.MemoryBytes += ps.memoryBytes
	s.usedCPU += ps.cpuMilli
	e.in, e.inCPU, e.inMem = acc, ps.cpuMilli, ps.memoryBytes
}

// uncount takes what the entry's sample added out of its node's sums
// and the total (see patch).
func (s *Server) uncount(e *podEntry) {
	acc := e.in
	if acc == nil {
		return
	}
	e.in = nil
	acc.pods--
	acc.want -= e.inCPU
	acc.sample.CPUMilli -= e.inCPU
	acc.sample.MemoryBytes -= e.inMem
	s.usedCPU -= e.inCPU
}

// load is the load whose traffic the pod serves: the last of its loads'
// (as each load's Ready pods are handed their share in order), if it is
// Ready.
func (e *podEntry) load() (int, bool) {
	if !e.ready || len(e.loads) == 0 {
		return 0, false
	}
	return e.loads[len(e.loads)-1], true
}

// sample computes the pod's sample before its node's throttling (false
// when it has none this scrape).
func (s *Server) sample(e *podEntry) bool {
	if !e.sampled {
		e.hasSample = false
		return false
	}
	p := e.pod
	if !e.passed {
		due, ok := s.secondScrape(e)
		if !ok {
			if due > 0 && (s.eligibleAt == 0 || due < s.eligibleAt) {
				s.eligibleAt = due
			}
			e.hasSample = false
			return false
		}
		e.passed = true
	}
	ps := &e.sample
	if cap(ps.containers) < len(e.st.containers) {
		ps.containers = cut(&s.usageSlab, len(e.st.containers))
	}
	e.hasSample = true
	ps.containers = ps.containers[:0]
	ps.cpuMilli, ps.memoryBytes, ps.demandMilli = 0, 0, 0
	li, loaded := e.load()
	noise := 1.0
	if loaded {
		noise = s.noise(e.uidHash, s.loads[li].Noise)
	} else if e.idle == nil || s.eager {
		e.idle = e.st.podIdle // (the same when ann has no key of the CPU annotation)
		if ann, overrides := s.workloadAnnotations(e); overrides {
			e.idle = make([]int64, len(p.Spec.Containers))
			for i := range p.Spec.Containers {
				e.idle[i] = images.CPUUsageMilli(&p.Spec.Containers[i], ann, p.Annotations)
			}
		}
	}
	for i := range e.st.containers {
		cs := &e.st.containers[i]
		var demand float64
		if loaded {
			part := 1 / float64(len(e.st.containers))
			if e.st.totalReq > 0 {
				part = float64(cs.reqMilli) / float64(e.st.totalReq)
			}
			demand = images.DefaultIdleCPUMilli + s.perPod[li]*part*noise
		} else {
			demand = float64(e.idle[i])
		}
		used := demand
		if cs.limitMilli > 0 {
			used = math.Min(used, float64(cs.limitMilli)) // CFS quota throttles above the limit
		}
		ps.demandMilli += demand
		ps.containers = append(ps.containers, ContainerUsage{Name: cs.name, CPUMilli: int64(math.Round(used)), MemoryBytes: cs.memBytes})
	}
	return true
}

// nodeOf reads the node's allocatable CPU into acc (kept while the node
// object is the same).
func (s *Server) nodeOf(name string, acc *nodeAcc) {
	o, ok := s.st.Follow(&acc.ref, "Node", "", name)
	acc.exists = ok
	if !ok {
		acc.node, acc.sample = nil, nil
		return
	}
	if n := o.(*corev1.Node); n != acc.node {
		acc.node, acc.capMilli = n, podutil.NodeAllocatable(n).MilliCPU
	}
}

// refresh brings the entries up to date with the store: the loads'
// selectors, then the pods written since the last scrape (every pod on
// the first scrape, in eager mode, or when a selector changed). It
// reports whether every entry is to be sampled again: it read every pod,
// or a workload's annotations changed every pod's idle use. Else the
// entries the watch brought to a new version or added are in s.changed,
// those of the pods deleted in s.removed.
func (s *Server) refresh() bool {
	all := s.resync || s.eager
	s.resync = false
	clear(s.templates)
	for i, l := range s.loads {
		if s.refreshSelector(i, l) {
			all = true
		}
	}
	idleStale := s.idleStale
	if idleStale {
		s.idleStale = false
		for _, e := range s.list {
			e.idle = nil
		}
	}
	if all {
		s.untouch()
		prev := s.list
		pods := s.st.List("Pod", "")
		s.list = make([]*podEntry, 0, len(pods))
		for _, o := range pods {
			s.list = append(s.list, s.entry(prev, o.(*corev1.Pod)))
		}
		for _, e := range prev {
			e.replaced = true
		}
		for _, e := range s.list {
			e.replaced = false // (kept, or new)
		}
		return true
	}
	gone := false
	for _, e := range s.touched {
		e.touched = false
		if e.gone {
			e.replaced, gone = true, true
			s.removed = append(s.removed, e)
			continue
		}
		e.loads = s.matchLoads(e.pod, e.loads[:0])
		s.changed = append(s.changed, e)
	}
	clear(s.touched)
	s.touched = s.touched[:0]
	if gone {
		s.list = slices.DeleteFunc(s.list, func(e *podEntry) bool { return e.replaced })
	}
	if len(s.fresh) > 0 {
		s.list = mergeByKey(s.list, s.listFresh())
	}
	return idleStale
}

// listFresh puts the entries of the pods created since the last scrape
// (but those deleted since) in s.changed, and returns them in key order
// for the list. A rollout's new pods fall between the old
// ones: merged in one pass, rather than inserted one by one, they do
// not move the list's tail once per pod.
func (s *Server) listFresh() []*podEntry {
	added := s.fresh[:0]
	for _, e := range s.fresh {
		e.fresh = false
		if e.gone {
			e.replaced = true
			continue
		}
		added = append(added, e)
	}
	clear(s.fresh[len(added):])
	slices.SortFunc(added, func(a, b *podEntry) int { return strings.Compare(a.key, b.key) })
	for _, e := range added {
		e.loads = s.matchLoads(e.pod, nil)
	}
	s.changed = append(s.changed, added...)
	clear(added)
	s.fresh = added[:0]
	return s.changed[len(s.changed)-len(added):]
}

// update brings e, the entry of p's previous version, to p in place:
// what it derives from the pod is p's, the statics (and the idle use)
// stay while p holds the same containers and equal annotations. Readers
// do not see it before the next scrape samples the entry again: a
// sample is of the pod's node, which a pod never changes once it has
// one, and Pod reads the version only for its name and node. Updating
// the entry rather than putting a new one in its place costs no map
// write, no search of the list and no allocation, on every pod write.
func (s *Server) update(e *podEntry, p *corev1.Pod) {
	old := e.pod
	same := sameArray(old.Spec.Containers, p.Spec.Containers) && podutil.EqualMaps(old.Annotations, p.Annotations)
	if old.Spec.NodeName != p.Spec.NodeName {
		e.acc = nil
	}
	e.derive(p)
	if !same {
		e.st, e.idle = s.statics(p, false), nil
	}
}

// mergeByKey merges added into list, both in key order (no key in
// both), in place from the back.
func mergeByKey(list, added []*podEntry) []*podEntry {
	n := len(list)
	list = slices.Grow(list, len(added))[:n+len(added)]
	i, j := n-1, len(added)-1
	for k := len(list) - 1; j >= 0; k-- {
		if i >= 0 && list[i].key > added[j].key {
			list[k] = list[i]
			i--
		} else {
			list[k] = added[j]
			j--
		}
	}
	return list
}

// untouch forgets the pods written since the last scrape: every pod is
// read again, and found again by name at its next write.
func (s *Server) untouch() {
	for _, e := range s.touched {
		e.touched = false
	}
	clear(s.touched)
	s.touched = s.touched[:0]
	for _, e := range s.fresh {
		e.fresh, e.replaced = false, true
	}
	clear(s.fresh)
	s.fresh = s.fresh[:0]
	clear(s.bySlot)
}

// entry is the pod's entry when the server reads every pod: the current
// one in prev, the list so far, while the pod object is the same (its
// loads matched again), else a new one that keeps the sample to reuse
// its memory.
func (s *Server) entry(prev []*podEntry, p *corev1.Pod) *podEntry {
	old := entryIn(prev, p.Namespace, p.Name)
	if old != nil && old.pod == p {
		old.loads = s.matchLoads(p, old.loads[:0])
		if s.eager {
			old.idle = nil
		}
		return old
	}
	key := store.KeyOf(p)
	if old != nil {
		key = old.key
	}
	e := s.newPodEntry(p, key, old, s.eager)
	e.loads = s.matchLoads(p, nil)
	if old != nil && old.hasSample && old.pod.Spec.NodeName == p.Spec.NodeName {
		e.sample, e.hasSample, e.acc = old.sample, true, old.acc
	}
	return e
}

// matchLoads appends the loads whose workload selects the pod.
func (s *Server) matchLoads(p *corev1.Pod, out []int) []int {
	for i, l := range s.loads {
		if sel := s.selectors[i].sel; sel != nil && p.Namespace == l.Namespace && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, i)
		}
	}
	return out
}

// refreshSelector re-reads load i's workload; true when its selector
// changed (or it appeared or went).
func (s *Server) refreshSelector(i int, l Load) bool {
	ls := &s.selectors[i]
	o, ok := s.st.Get(l.Kind, l.Namespace, l.Name)
	if !ok {
		o = nil
	}
	if o == ls.obj && !s.eager {
		return false
	}
	var field *metav1.LabelSelector
	if o != nil {
		field = selectorField(o)
	}
	ls.obj = o
	if ls.sel != nil && field != nil && !s.eager && (field == ls.field || equality.Semantic.DeepEqual(field, ls.field)) {
		ls.field = field
		return false
	}
	was := ls.sel != nil
	ls.field, ls.sel = field, nil
	if field != nil {
		if sel, err := metav1.LabelSelectorAsSelector(field); err == nil && !sel.Empty() {
			ls.sel = sel
		}
	}
	return was || ls.sel != nil
}

// secondScrape: metrics-server reports a container's rate from two
// scrapes, so every container must have been running since the previous
// scrape. When they all run but one started too recently, due is the
// virtual time from which the pod passes (0 when only a change to the pod
// can make it pass).
func (s *Server) secondScrape(e *podEntry) (due time.Duration, ok bool) {
	if !e.running {
		return 0, false
	}
	if since := s.engine.Now().Add(-s.interval); !e.started.After(since) {
		return 0, true
	}
	return max(0, e.started.Sub(sim.Epoch)+s.interval), false
}

// noise is the pod's factor this scrape: a draw from a normal
// distribution around 1, seeded by the run's seed, the pod and the scrape
// (so reading the metrics never shifts anyone's random numbers).
func (s *Server) noise(uidHash uint64, sigma float64) float64 {
	switch {
	case sigma == 0:
		sigma = DefaultNoise
	case sigma < 0:
		return 1
	}
	src := s.noiseSrc.Rand(uidHash ^ s.scrapes) // s.engine.Keyed("metrics/noise", ·), not allocating
	return math.Max(0, distuv.Normal{Mu: 1, Sigma: sigma, Src: src}.Rand())
}

// workloadAnnotations are the annotations of the top controller of the
// entry's pod (a ReplicaSet's Deployment), whose sim.kubesim.io/cpu
// overrides the pod's own, and whether they hold a key of that
// annotation (else the pod's own decide: containerStatic.podIdle).
func (s *Server) workloadAnnotations(e *podEntry) (map[string]string, bool) {
	p := e.pod
	if !e.ownerKnown {
		w := s.walkFrom(p)
		e.owner, e.ownerKnown = w.ref, true
		return w.ann, w.cpu
	}
	if e.owner == "" {
		return nil, false
	}
	kind, name := splitRef(e.owner)
	if o, ok := s.st.Get(kind, p.Namespace, name); ok {
		ann := o.GetAnnotations()
		return ann, hasCPUAnnotation(ann)
	}
	return nil, false
}

// walk is where the owner chain from one controller leads in this
// scrape: the top controller, "kind/name" ("": none), its annotations,
// and whether they hold a key of the CPU annotation.
type walk struct {
	ref string
	ann map[string]string
	cpu bool
}

// walkFrom follows p's controller references up (at most three) to the
// top controller, memoised for this scrape by p's controller (see
// Server.walks).
func (s *Server) walkFrom(p *corev1.Pod) *walk {
	c := podutil.ControllerOf(p)
	if c == nil {
		return &walk{}
	}
	if s.walked != s.scrapes {
		clear(s.walks)
		s.walked = s.scrapes
	}
	s.walkBuf = append(append(append(append(append(s.walkBuf[:0], p.Namespace...), '/'), c.Kind...), '/'), c.Name...)
	if w := s.walks[string(s.walkBuf)]; w != nil {
		return w
	}
	w := &walk{}
	s.walks[string(s.walkBuf)] = w
	var obj store.Object = p
	for range 3 {
		c := podutil.ControllerOf(obj)
		if c == nil {
			break
		}
		w.ref = c.Kind + "/" + c.Name
		o, ok := s.st.Get(c.Kind, p.Namespace, c.Name)
		if !ok {
			break
		}
		obj = o
	}
	kind, name := splitRef(w.ref)
	s.watchOwnerKind(kind)
	if o, ok := s.st.Get(kind, p.Namespace, name); ok {
		w.ann = o.GetAnnotations()
		w.cpu = hasCPUAnnotation(w.ann)
	}
	return w
}

// hasCPUAnnotation reports whether ann holds sim.kubesim.io/cpu or a
// container's sim.kubesim.io/cpu.NAME: without either, the workload's
// annotations override no container's use.
func hasCPUAnnotation(ann map[string]string) bool {
	for k := range ann { // (any order: only whether one key matches)
		if k == images.AnnotationCPU || strings.HasPrefix(k, images.AnnotationCPU+".") {
			return true
		}
	}
	return false
}

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
