// Package cost meters what a simulated cluster costs: every EC2 instance
// is billed per second from running to terminated at its type's price in
// the cluster's region and capacity type; each pod is charged its share
// of its node's price while it occupies the node (the mean of its cpu and
// memory requests over the node's allocatable, the way Kubecost and
// OpenCost allocate), the rest of a node's price is idle; and a sampler
// records nodes, cost per hour and requested versus allocatable over time.
package cost

import (
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
	"unsafe"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Workload names what a pod belongs to: its top controller (a
// ReplicaSet's Deployment) or, for a bare pod, the pod.
type Workload struct {
	Kind, Namespace, Name string
}

// Sample is the cluster at one moment.
type Sample struct {
	T              time.Duration
	Nodes          int     // billed machines
	PerHour        float64 // USD per hour of the billed machines
	CPURequested   int64   // millicores requested by pods on nodes
	CPUUsed        int64   // millicores used by pods (metrics-server's latest scrape)
	CPUAllocatable int64
	MemRequested   int64 // bytes
	MemAllocatable int64
}

// Meter accumulates the costs of one run.
type Meter struct {
	// UsedCPU, if set, is the pods' CPU use now (millicores).
	UsedCPU func() int64

	engine *sim.Engine
	st     *store.Store
	ec2    *cloud.EC2
	every  time.Duration

	// charges holds the open charges by their pods' store slots
	// (store.Event.Slot): the meter finds a pod's charge on every write
	// that could change it without hashing the pod's name into a map of
	// 150,000 (a cold bucket each time). A charge names its pod, so one
	// left in a slot the store gave to another pod is told apart (see
	// charge).
	charges []*podCharge
	open    int                  // the charges in charges
	slab    []podCharge          // room for the next charges (see newCharge)
	reqCPU  int64                // millicores requested by the pods charged
	reqMem  int64                // bytes
	byLoad  map[Workload]float64 // USD charged so far, finished charges
	samples []Sample
	// loads holds every workload a charge named, once: a charge keeps
	// its index (150,000 pods of 1,500 Deployments name 1,500).
	loads   []Workload
	loadIdx map[Workload]int32
	// nodes holds, by node name, every Node the store holds with its
	// allocatable CPU and memory, kept by a watch on Nodes (onNode): a
	// pod arriving on a node reads its node's figures without reading
	// the Node, and a sample reads their sums (allocCPU, allocMem), kept
	// as they change, without listing the Nodes.
	// Parsing the quantities again was nearly all of a sample's cost;
	// the kubelet's status writes keep the node's allocatable list, so
	// most writes need no parsing either.
	nodes map[string]*nodeAlloc
	// reqs memoises the requests of pods of one container that take
	// them from its requests alone (specOnly), by the identity of that
	// list: the API server gives the containers of equal requests one
	// list (apiserver.shareResources), never changed once stored.
	// Emptied when it holds maxReqs.
	reqs map[unsafe.Pointer]podutil.Resources
	// chains memoises workloadOf's walks by controller reference
	// (chainOf).
	chains map[*metav1.OwnerReference]*chain
	// allocCPU and allocMem are the nodes' figures added up.
	allocCPU, allocMem int64
}

// nodeAlloc is the allocatable CPU and memory of the current version of
// a node, and the price of its instance.
type nodeAlloc struct {
	node     *corev1.Node
	cpu, mem int64
	// price is the node's instance's USD per hour once priced: EC2 never
	// gives a node's name to another instance, nor changes an
	// instance's price.
	price  float64
	priced bool
}

// podKey is a pod's namespace and name.
type podKey struct{ namespace, name string }

type podCharge struct {
	podKey
	node   string
	since  time.Duration
	share  float64 // of the node's price
	price  float64 // node's USD per hour
	cpu    int64   // the pod's requests, kept in the meter's running totals
	mem    int64
	load   int32 // in Meter.loads
	active bool
}

// New returns a meter over the cluster's store and EC2. Call Start.
func New(engine *sim.Engine, st *store.Store, ec2 *cloud.EC2) *Meter {
	return &Meter{engine: engine, st: st, ec2: ec2, byLoad: map[Workload]float64{},
		loadIdx: map[Workload]int32{}, nodes: map[string]*nodeAlloc{}}
}

// Start watches pods (for the per-workload charges) and nodes (for
// their allocatable).
func (m *Meter) Start() {
	for _, o := range m.st.List("Node", "") {
		m.setNode(o.(*corev1.Node))
	}
	m.st.Watch("Node", 0, m.onNode)
	m.st.Watch("Pod", 0, m.onPod)
}

// onNode keeps Meter.nodes.
func (m *Meter) onNode(ev store.Event) {
	n := ev.Object.(*corev1.Node)
	if ev.Type == store.Deleted {
		if a := m.nodes[n.Name]; a != nil {
			m.allocCPU -= a.cpu
			m.allocMem -= a.mem
			delete(m.nodes, n.Name)
		}
		return
	}
	m.setNode(n)
}

// setNode makes n the current version of its node in Meter.nodes.
func (m *Meter) setNode(n *corev1.Node) {
	a := m.nodes[n.Name]
	if a == nil {
		a = &nodeAlloc{}
		m.nodes[n.Name] = a
	}
	if a.node == nil || !sameList(a.node.Status.Allocatable, n.Status.Allocatable) {
		r := podutil.NodeAllocatable(n)
		m.allocCPU += r.MilliCPU - a.cpu
		m.allocMem += r.Memory - a.mem
		a.cpu, a.mem = r.MilliCPU, r.Memory
	}
	a.node = n
}

// Sample records a Sample now and every interval from now on (a run with
// an end calls it; the timer would keep an open-ended engine busy).
func (m *Meter) Sample(every time.Duration) {
	if every <= 0 || m.every > 0 {
		return
	}
	m.every = every
	m.sample()
}

func (m *Meter) now() time.Duration { return m.engine.Elapsed() }

func (m *Meter) onPod(ev store.Event) {
	pod := ev.Object.(*corev1.Pod)
	occupies := ev.Type != store.Deleted && occupying(pod)
	// The meter sees every write of every pod, so a pod has a charge
	// exactly when the version before this one occupied a node; most
	// writes (a new pod, the kubelet's status writes) then need neither
	// the charge nor the requests.
	switch ev.Type {
	case store.Added:
		if !occupies {
			return // no charge before or after
		}
	case store.Modified:
		if old, ok := ev.Old.(*corev1.Pod); ok {
			was := occupying(old)
			if !was && !occupies {
				return
			}
			if was && occupies && old.Spec.NodeName == pod.Spec.NodeName && sameRequests(old, pod) {
				return // the charge stands as it is
			}
		}
	}
	c := m.charge(ev, pod)
	if c != nil && (!occupies || c.node != pod.Spec.NodeName) {
		m.close(c)
		m.charges[ev.Slot] = nil
		m.open--
		c = nil
	}
	if !occupies {
		return
	}
	req := m.requests(pod)
	if c != nil { // still on its node: its requests may have been resized
		m.reqCPU += req.MilliCPU - c.cpu
		m.reqMem += req.Memory - c.mem
		c.cpu, c.mem = req.MilliCPU, req.Memory
		return
	}
	share, price := m.shareOf(pod, req)
	c = m.newCharge()
	*c = podCharge{podKey: podKey{pod.Namespace, pod.Name}, node: pod.Spec.NodeName, since: m.now(), share: share, price: price,
		load: m.index(m.workloadOf(pod)), active: true, cpu: req.MilliCPU, mem: req.Memory}
	m.charges[ev.Slot] = c
	m.open++
	m.reqCPU += req.MilliCPU
	m.reqMem += req.Memory
}

// chargeSlab is the number of charges cut from one allocation.
const chargeSlab = 128

// newCharge is room for a charge, cut from a slab: a pod's charge was
// one more object per pod for the collector, and the pods of a rollout
// come and go together, and so do their charges.
func (m *Meter) newCharge() *podCharge {
	if len(m.slab) == 0 {
		m.slab = make([]podCharge, chargeSlab)
	}
	c := &m.slab[0]
	m.slab = m.slab[1:]
	return c
}

// charge is the open charge of the pod the event is of (nil: none), in
// the pod's store slot, with room for one in charges. The store gives a
// pod's slot to a later pod only once the pod is deleted, and a watch
// that writes while handling the deletion can make the later pod's
// events reach the meter before the deletion does. So a charge of
// another pod found under a write is that deleted pod's, closed now (at
// the instant it went); under a deletion, the deleted pod is the one
// whose slot went to another, and its charge was closed so.
func (m *Meter) charge(ev store.Event, pod *corev1.Pod) *podCharge {
	if int(ev.Slot) >= len(m.charges) {
		m.charges = slices.Grow(m.charges, int(ev.Slot)+1-len(m.charges))[:ev.Slot+1]
		return nil
	}
	c := m.charges[ev.Slot]
	if c == nil || (c.name == pod.Name && c.namespace == pod.Namespace) {
		return c
	}
	if ev.Type != store.Deleted {
		m.close(c)
		m.charges[ev.Slot] = nil
		m.open--
	}
	return nil
}

// maxReqs bounds Meter.reqs.
const maxReqs = 4096

// requests is podutil.PodRequests(p), from the memo when p has one
// container (and no init container), whose requests alone then make
// the pod's (see Meter.reqs).
func (m *Meter) requests(p *corev1.Pod) podutil.Resources {
	if len(p.Spec.Containers) != 1 || len(p.Spec.InitContainers) > 0 || !specOnly(p) {
		return podutil.PodRequests(p)
	}
	id := reflect.ValueOf(p.Spec.Containers[0].Resources.Requests).UnsafePointer()
	if r, ok := m.reqs[id]; ok {
		return r
	}
	req := podutil.PodRequests(p)
	if m.reqs == nil || len(m.reqs) >= maxReqs {
		m.reqs = map[unsafe.Pointer]podutil.Resources{}
	}
	m.reqs[id] = req
	return req
}

// occupying reports whether p holds a share of its node: bound to it and
// not finished.
func occupying(p *corev1.Pod) bool { return p.Spec.NodeName != "" && !podutil.IsTerminal(p) }

// sameRequests reports whether b's requests (podutil.PodRequests) are
// certainly a's, without computing them: both take them from their
// containers' spec alone (no pod-level resources or overhead, no
// container status carrying resources, no resize pending: then nothing
// else enters the sum) and hold the same containers, the same arrays (a
// new version of a pod that did not touch its containers shares the
// previous version's, and store objects are never changed in place). It
// may answer false for equal requests; they are then computed.
func sameRequests(a, b *corev1.Pod) bool {
	return sameArray(a.Spec.Containers, b.Spec.Containers) && sameArray(a.Spec.InitContainers, b.Spec.InitContainers) &&
		specOnly(a) && specOnly(b)
}

// specOnly reports whether p's requests come from its containers' spec
// requests alone (see sameRequests).
func specOnly(p *corev1.Pod) bool {
	if p.Spec.Resources != nil || len(p.Spec.Overhead) > 0 || p.Status.Resources != nil || p.Status.AllocatedResources != nil {
		return false
	}
	for _, st := range [2][]corev1.ContainerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for i := range st {
			if st[i].AllocatedResources != nil || st[i].Resources != nil {
				return false
			}
		}
	}
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodResizePending || p.Status.Conditions[i].Type == corev1.PodResizeInProgress {
			return false
		}
	}
	return true
}

// sameList reports whether a and b are the same map (not merely equal):
// store objects are never changed in place, so its quantities are too.
func sameList(a, b corev1.ResourceList) bool {
	return len(a) == len(b) && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// sameArray reports whether a and b are the same elements of the same
// array.
func sameArray[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// index is w's index in m.loads, adding it when new.
func (m *Meter) index(w Workload) int32 {
	i, ok := m.loadIdx[w]
	if !ok {
		i = int32(len(m.loads))
		m.loads = append(m.loads, w)
		m.loadIdx[w] = i
	}
	return i
}

// shareOf is a pod's share of its node and the node's price per hour;
// req is the pod's requests.
func (m *Meter) shareOf(pod *corev1.Pod, req podutil.Resources) (float64, float64) {
	name := pod.Spec.NodeName
	a := m.nodes[name]
	if a == nil { // no Node
		if in, ok := m.ec2.Instance(name); ok {
			return 0, in.PricePerHour
		}
		return 0, 0
	}
	if !a.priced {
		in, ok := m.ec2.Instance(name)
		if !ok {
			return 0, 0
		}
		a.price, a.priced = in.PricePerHour, true
	}
	var s float64
	if a.cpu > 0 {
		s += float64(req.MilliCPU) / float64(a.cpu) / 2
	}
	if a.mem > 0 {
		s += float64(req.Memory) / float64(a.mem) / 2
	}
	return math.Min(s, 1), a.price
}

func (m *Meter) close(c *podCharge) {
	if !c.active {
		return
	}
	c.active = false
	m.reqCPU -= c.cpu
	m.reqMem -= c.mem
	m.byLoad[m.loads[c.load]] += (m.now() - c.since).Hours() * c.share * c.price
}

// workloadOf follows controller references up: Pod -> ReplicaSet ->
// Deployment, Pod -> Job -> CronJob, etc. Each owner is read through
// the pod's chain (see chains).
func (m *Meter) workloadOf(pod *corev1.Pod) Workload {
	var obj store.Object = pod
	w := Workload{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name}
	var ch *chain
	for i := range maxDepth {
		ref := podutil.ControllerOf(obj)
		if ref == nil {
			break
		}
		if ch == nil {
			ch = m.chainOf(ref)
		}
		w = Workload{Kind: ref.Kind, Namespace: pod.Namespace, Name: ref.Name}
		o, ok := ch[i].follow(m.st, w)
		if !ok {
			break
		}
		obj = o
	}
	return w
}

// chain is where workloadOf went from one controller reference: each
// owner it read, with a handle on its store slot.
type chain [maxDepth]owner

// maxDepth is the most owners workloadOf reads above a pod.
const maxDepth = 4

// owner is an object a chain read, named, and its slot.
type owner struct {
	Workload
	ref store.Ref
}

// follow is the object w names, read through o's slot when o is w
// (store.Follow: the same answer as a Get).
func (o *owner) follow(st *store.Store, w Workload) (store.Object, bool) {
	if o.Workload != w {
		*o = owner{Workload: w}
	}
	return st.Follow(&o.ref, w.Kind, w.Namespace, w.Name)
}

// maxChains bounds Meter.chains.
const maxChains = 4096

// chainOf is the chain of a pod's controller reference ref, by its
// identity: the pods a controller creates at once share one references
// array (controllerutil.SharedPodFromTemplate), so the pods of a
// ReplicaSet read their ReplicaSet and Deployment through the slots the
// first one found instead of looking both up by name at every bind.
// Emptied when it holds maxChains.
func (m *Meter) chainOf(ref *metav1.OwnerReference) *chain {
	if ch := m.chains[ref]; ch != nil {
		return ch
	}
	if m.chains == nil || len(m.chains) >= maxChains {
		m.chains = map[*metav1.OwnerReference]*chain{}
	}
	ch := &chain{}
	m.chains[ref] = ch
	return ch
}

func (m *Meter) sample() {
	m.samples = append(m.samples, m.Now())
	m.engine.After(m.every, "cost/sample", m.sample)
}

// Now is the cluster at this moment.
func (m *Meter) Now() Sample {
	s := Sample{T: m.now()}
	for _, in := range m.ec2.Instances() {
		if in.Billed() {
			s.Nodes++
			s.PerHour += in.PricePerHour
		}
	}
	s.CPUAllocatable, s.MemAllocatable = m.allocCPU, m.allocMem
	s.CPURequested, s.MemRequested = m.reqCPU, m.reqMem
	if m.UsedCPU != nil {
		s.CPUUsed = m.UsedCPU()
	}
	return s
}

// Samples are the samples so far, in time order.
func (m *Meter) Samples() []Sample { return m.samples }

// Summary is the cost of the run so far.
type Summary struct {
	Region         string
	Total          float64 // USD
	PerHour        float64 // USD per hour now
	AveragePerHour float64 // Total over the elapsed time
	NodeHours      float64
	ByInstanceType map[string]float64
	ByCapacityType map[string]float64
	ByWorkload     map[Workload]float64
	Idle           float64 // node cost no pod request accounts for
}

// Summary totals the costs up to now.
func (m *Meter) Summary() Summary {
	now := m.now()
	s := Summary{Region: m.ec2.Region(), ByInstanceType: map[string]float64{}, ByCapacityType: map[string]float64{}, ByWorkload: map[Workload]float64{}}
	for _, in := range m.ec2.Instances() {
		c := in.Cost(now)
		s.Total += c
		s.NodeHours += in.Hours(now)
		if c > 0 {
			s.ByInstanceType[in.Type] += c
			s.ByCapacityType[in.CapacityType] += c
		}
		if in.Billed() {
			s.PerHour += in.PricePerHour
		}
	}
	if h := now.Hours(); h > 0 {
		s.AveragePerHour = s.Total / h
	}
	for _, w := range slices.SortedFunc(maps.Keys(m.byLoad), cmpWorkload) {
		s.ByWorkload[w] += m.byLoad[w]
	}
	// In the order of the pods' "namespace/name" keys, as the sum always
	// went (a float sum's last bits depend on its order).
	charges := make([]*podCharge, 0, m.open)
	for _, c := range m.charges {
		if c != nil {
			charges = append(charges, c)
		}
	}
	slices.SortFunc(charges, func(a, b *podCharge) int { return compareKeys(a.podKey, b.podKey) })
	for _, c := range charges {
		if c.active {
			s.ByWorkload[m.loads[c.load]] += (now - c.since).Hours() * c.share * c.price
		}
	}
	allocated := 0.0
	for _, w := range slices.SortedFunc(maps.Keys(s.ByWorkload), cmpWorkload) {
		allocated += s.ByWorkload[w]
	}
	s.Idle = math.Max(s.Total-allocated, 0)
	return s
}

// compareKeys orders pods as their "namespace/name" keys (store.Key) do,
// without building the keys: within a namespace the names decide.
func compareKeys(a, b podKey) int {
	if a.namespace == b.namespace {
		return strings.Compare(a.name, b.name)
	}
	return strings.Compare(store.Key(a.namespace, a.name), store.Key(b.namespace, b.name))
}

func cmpWorkload(a, b Workload) int {
	for _, d := range [][2]string{{a.Namespace, b.Namespace}, {a.Kind, b.Kind}, {a.Name, b.Name}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}
