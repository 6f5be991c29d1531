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
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

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

	pods    map[podKey]*podCharge
	reqCPU  int64                // millicores requested by the pods in pods
	reqMem  int64                // bytes
	byLoad  map[Workload]float64 // USD charged so far, finished charges
	samples []Sample
	// loads holds every workload a charge named, once: a charge keeps
	// its index (150,000 pods of 1,500 Deployments name 1,500).
	loads   []Workload
	loadIdx map[Workload]int32
	// allocs memoises each node's allocatable by node name, for the
	// version of the Node it was read from: store objects are never
	// changed in place, so while the store holds that version the
	// figures stand (Now reads every node at every sample, and a pod
	// arriving on a node reads that node; parsing the quantities was
	// nearly all of a sample's cost). stamp marks the entries the latest
	// sample read, so that a deleted node's goes at the next.
	allocs map[string]*nodeAlloc
	stamp  uint64
}

// nodeAlloc is the allocatable CPU and memory of one version of a node.
type nodeAlloc struct {
	node     *corev1.Node
	cpu, mem int64
	stamp    uint64
}

// podKey is a pod's namespace and name: the meter looks its charge up on
// every pod event, and a "namespace/name" string would be made for each.
type podKey struct{ namespace, name string }

type podCharge struct {
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
	return &Meter{engine: engine, st: st, ec2: ec2, pods: map[podKey]*podCharge{}, byLoad: map[Workload]float64{},
		loadIdx: map[Workload]int32{}, allocs: map[string]*nodeAlloc{}}
}

// Start watches pods (for the per-workload charges).
func (m *Meter) Start() { m.st.Watch("Pod", 0, m.onPod) }

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
	key := podKey{pod.Namespace, pod.Name}
	c := m.pods[key]
	if c != nil && (!occupies || c.node != pod.Spec.NodeName) {
		m.close(c)
		delete(m.pods, key)
		c = nil
	}
	if !occupies {
		return
	}
	req := podutil.PodRequests(pod)
	if c != nil { // still on its node: its requests may have been resized
		m.reqCPU += req.MilliCPU - c.cpu
		m.reqMem += req.Memory - c.mem
		c.cpu, c.mem = req.MilliCPU, req.Memory
		return
	}
	share, price := m.shareOf(pod, req)
	m.pods[key] = &podCharge{node: pod.Spec.NodeName, since: m.now(), share: share, price: price, load: m.index(m.workloadOf(pod)), active: true,
		cpu: req.MilliCPU, mem: req.Memory}
	m.reqCPU += req.MilliCPU
	m.reqMem += req.Memory
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
	in, ok := m.ec2.Instance(pod.Spec.NodeName)
	if !ok {
		return 0, 0
	}
	o, ok := m.st.Get("Node", "", pod.Spec.NodeName)
	if !ok {
		return 0, in.PricePerHour
	}
	alloc := m.allocatable(o.(*corev1.Node))
	var s float64
	if alloc.cpu > 0 {
		s += float64(req.MilliCPU) / float64(alloc.cpu) / 2
	}
	if alloc.mem > 0 {
		s += float64(req.Memory) / float64(alloc.mem) / 2
	}
	return math.Min(s, 1), in.PricePerHour
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
// Deployment, Pod -> Job -> CronJob, etc.
func (m *Meter) workloadOf(pod *corev1.Pod) Workload {
	var obj store.Object = pod
	w := Workload{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name}
	for range 4 {
		ref := podutil.ControllerOf(obj)
		if ref == nil {
			break
		}
		w = Workload{Kind: ref.Kind, Namespace: pod.Namespace, Name: ref.Name}
		o, ok := m.st.Get(ref.Kind, pod.Namespace, ref.Name)
		if !ok {
			break
		}
		obj = o
	}
	return w
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
	m.stamp++
	nodes := m.st.List("Node", "")
	for _, o := range nodes {
		a := m.allocatable(o.(*corev1.Node))
		s.CPUAllocatable += a.cpu
		s.MemAllocatable += a.mem
	}
	if len(m.allocs) > len(nodes) {
		for name, a := range m.allocs { // (only deletes: any order)
			if a.stamp != m.stamp {
				delete(m.allocs, name)
			}
		}
	}
	s.CPURequested, s.MemRequested = m.reqCPU, m.reqMem
	if m.UsedCPU != nil {
		s.CPUUsed = m.UsedCPU()
	}
	return s
}

// allocatable is n's allocatable CPU and memory, from the memo while it
// holds this version of the node (see Meter.allocs).
func (m *Meter) allocatable(n *corev1.Node) *nodeAlloc {
	a := m.allocs[n.Name]
	if a == nil {
		a = &nodeAlloc{}
		m.allocs[n.Name] = a
	}
	if a.node != n {
		r := podutil.NodeAllocatable(n)
		a.node, a.cpu, a.mem = n, r.MilliCPU, r.Memory
	}
	a.stamp = m.stamp
	return a
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
	type keyed struct {
		key podKey
		c   *podCharge
	}
	charges := make([]keyed, 0, len(m.pods))
	for k, c := range m.pods {
		charges = append(charges, keyed{k, c})
	}
	slices.SortFunc(charges, func(a, b keyed) int { return compareKeys(a.key, b.key) })
	for _, ch := range charges {
		if c := ch.c; c.active {
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
