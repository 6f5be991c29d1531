// Package kubelet models the node agent: it registers its Node and Lease,
// heartbeats, admits the pods bound to its node, pulls images, starts,
// probes, restarts and stops containers, and reports all of it through pod
// status and events with the upstream kubelet's reasons and messages.
//
// Everything happens in virtual time. A kubelet can fail (the machine
// dies) and recover, or be partitioned from the control plane: while
// failed or partitioned it makes no API call at all; every timer it set
// checks a generation number so that nothing scheduled before a failure
// acts after it.
package kubelet

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/kubelet/images"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Config tunes a kubelet; zero fields take the upstream/EKS defaults.
type Config struct {
	// StatusInterval is nodeStatusUpdateFrequency (10s): how often the
	// kubelet computes its node status.
	StatusInterval time.Duration
	// StatusReportInterval is nodeStatusReportFrequency (5m): the status is
	// posted when it changed, and at least this often.
	StatusReportInterval time.Duration
	// LeaseDuration is the node lease duration (40s); the lease is renewed
	// every quarter of it.
	LeaseDuration time.Duration
	// StartupDelay is the time from registration to Ready for a new node
	// (Start(false)); a per-node jitter of up to the same amount is added.
	StartupDelay time.Duration
	// WatchLatency is the delay of the kubelet's pod watch (per node, a
	// little jitter is added).
	WatchLatency time.Duration
	// PullMiBps is the node's image pull bandwidth; 0 draws it per node
	// between 50 and 100 MiB/s.
	PullMiBps float64
	// Images is the image catalogue (nil: images.Default()).
	Images *images.Catalogue
	// SkipNormalEvents drops Normal events (Pulled, Created, Started, ...)
	// to keep very large runs light; Warnings are always recorded.
	SkipNormalEvents bool
}

// Defaults returns cfg with every zero field set to its default.
func (cfg Config) Defaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.StatusInterval, 10*time.Second)
	def(&cfg.StatusReportInterval, 5*time.Minute)
	def(&cfg.LeaseDuration, 40*time.Second)
	def(&cfg.StartupDelay, 10*time.Second)
	def(&cfg.WatchLatency, time.Millisecond)
	if cfg.Images == nil {
		cfg.Images = images.Default()
	}
	return cfg
}

// Kubelet is the agent of one node.
//
// The fields every pod step reads (the timers' generation check, the
// latency draws, the pod map, the status flush) come first, in the
// struct's first cache lines: a node's kubelet is cold in memory when
// one of its events runs (thousands of nodes, each visited every few
// seconds), and every further line a step touches is one more miss.
type Kubelet struct {
	engine *sim.Engine
	client *apiserver.Client
	store  *store.Store
	gen    uint64 // bumped on Fail/Recover: older timers are void

	alive     bool // the machine runs
	connected bool // reaches the API server
	flushDue  bool // flushTimer is queued
	// quiet: the status timer's ticks are the engine's no-ops until
	// something wakes the kubelet (rest).
	quiet      bool
	skipNormal bool // cfg.SkipNormalEvents (event)
	started    bool
	// writtenNext is the next entry of writtenPods to overwrite.
	writtenNext uint8

	rnd *sim.Rand // latencies
	// lease is what a lease tick reads besides the fields above, beside
	// them at the struct's start: all of it in the first two cache lines
	// but its renewer's name, passed on every renewal, in the third (the
	// commit that placed it said two). 5,000 kubelets renew
	// every 10 s, each cold in memory, and spread over the struct and
	// the client these fields were six lines a renewal.
	lease leaseState
	name  string

	idRnd *sim.Rand

	// pods are the pods the kubelet runs by namespace/name (their
	// podState's key). One map, not one by UID beside it: a pod's UID
	// names one pod, and the name names at most one live podState (a pod
	// of the name with another UID replaces the one before, addPod), so
	// a lookup by name then a comparison of UIDs finds what a lookup by
	// UID would, with one insert and one delete per pod, not two. Lookups
	// build the key in keyBuf (podOf).
	pods map[string]*podState

	flushTimer *sim.Timer // reused while the generation lasts (markDirty)
	// spareVersion is a pod version a status write built and did not
	// store (its status had not changed), emptied for the next (flushPod).
	spareVersion *podVersion
	dirty        []*podState
	spare        []*podState // the other dirty buffer (flush)

	// writtenPods are the pod versions the last status writes stored,
	// until the watch brings them back (takeWritten), and writtenStates
	// their podStates: the versions apart, so that the search of every
	// watch event reads two cache lines, not four.
	writtenPods   [16]*corev1.Pod
	writtenStates [16]*podState
	keyBuf        []byte

	spec   cloud.NodeSpec
	cfg    Config
	nodeIP string // cloud.NodeIP of the spec, once (every pod status carries it)
	// hostIPs is [nodeIP] as pod status hostIPs: one slice shared by the
	// statuses of the node's pods (stored objects are never written in
	// place), not one per status write.
	hostIPs []corev1.HostIP

	pullRnd *sim.Rand

	node        nodeState
	stopWatch   func()
	unhook      func() // removes the Node write hook (Release)
	watchDelay  time.Duration
	pullMiBps   float64
	allocatable podutil.Resources
	used        podutil.Resources

	statusTimer *sim.Timer // the status loop's (startHeartbeats)
	// statusLane holds the status ticks (after the first) of every
	// kubelet of this StatusInterval: each is due one interval after it
	// fired, so they come in order and each is appended to the lane, where
	// the engine's heap
	// would sift it in and out (900,000 ticks in 30 minutes of 5,000
	// nodes).
	statusLane *sim.Lane

	eviction evictionState

	diskCapacity int64 // the root volume's size (0: not modelled)
	diskUsed     int64 // of it: the OS, images, pods' emptyDirs and writable layers, host files
	hostFiles    int64 // the disk action's host files
	tmpfsUsed    int64 // the pods' medium: Memory emptyDirs (memory, summed apart from the working sets)
	// runningWS is the working set of the running app containers of the
	// pods with a sandbox, neither finished nor evicted: what
	// memoryAvailable subtracts, kept by podState.recountUsage.
	runningWS    int64
	usagePending []*podState // pods with running containers whose working set is not computed yet
	// slots are the pod IP slots in use, a bit each (podIPSlots of
	// them): beside what a sandbox start counts (runningWS), not an
	// array of their own to be fetched for each start.
	slots [(podIPSlots + 63) / 64]uint64
	// ephemeralAllocatable is the node's allocatable ephemeral-storage,
	// which admission checks requests against.
	ephemeralAllocatable int64
	diskDirty            []*podState // pods that wrote since the eviction manager's last pass

	images map[string]*imageState
	// imageList is the node status's image list while imageListValid
	// (nodeImages).
	imageList      []corev1.ContainerImage
	imageListValid bool
	inflight       int // image pulls under way
	// imageKeys maps an image as containers name it to its reference's
	// canonical form (images.Parse, then Ref.String), the key of images.
	// It is a pure function of the name, so an entry never goes stale;
	// a node sees few distinct images, and each container start would
	// otherwise parse its image again.
	imageKeys map[string]string
	// lastImage is the image a container last asked for and its entry
	// in images (ensureImage): a node's pods mostly run one image, whose
	// name they share. freeImages forgets it with the entry.
	lastImage lastImage

	messages map[msgKey]string        // event messages built once (message)
	lastMsg  [numMsgKinds]lastMessage // of each kind, the last asked for (message)

	// requests are the requests of the pod last admitted, answering for
	// the next pod of the same requests list (admit): a node's pods
	// mostly share their templates' requests.
	requests podutil.RequestsMemo
	// qos is the QoS class of the pod whose status was last built, for
	// the next pod of the same requests and limits (buildStatus).
	qos qosMemo
}

// New returns the kubelet of the node spec describes. client should be
// named "kubelet/<node>". Nothing happens until Start.
func New(engine *sim.Engine, client *apiserver.Client, spec cloud.NodeSpec, cfg Config) *Kubelet {
	spec, _ = cloud.SpecFor(spec)
	cfg = cfg.Defaults()
	k := &Kubelet{
		engine: engine, client: client, store: client.Server().Store(), spec: spec, cfg: cfg, name: spec.Name,
		nodeIP:  cloud.NodeIP(spec.Index),
		rnd:     engine.Rand("kubelet/" + spec.Name + "/latency"),
		pullRnd: engine.Rand("kubelet/" + spec.Name + "/pull"),
		idRnd:   engine.Rand("kubelet/" + spec.Name + "/ids"),
		pods:    map[string]*podState{},
		images:  map[string]*imageState{},
	}
	k.statusLane = engine.NamedLane("kubelet/status every " + cfg.StatusInterval.String())
	k.lease.renewEvery = cfg.LeaseDuration / 4
	k.lease.jitterBound = int64(k.lease.renewEvery)/25 + 1
	k.lease.renewer = client.LeaseRenewer(NodeLeaseNamespace, spec.Name)
	k.hostIPs = []corev1.HostIP{{IP: k.nodeIP}}
	k.skipNormal = cfg.SkipNormalEvents
	k.pullMiBps = cfg.PullMiBps
	if k.pullMiBps == 0 {
		k.pullMiBps = 50 + 50*k.pullRnd.Float64()
	}
	k.watchDelay = cfg.WatchLatency + time.Duration(k.rnd.Int64N(int64(time.Millisecond)))
	k.allocatable = podutil.Resources{
		MilliCPU: spec.Allocatable.Cpu().MilliValue(),
		Memory:   spec.Allocatable.Memory().Value(),
		Pods:     spec.Allocatable.Pods().Value(),
	}
	if q, ok := spec.Capacity[corev1.ResourceEphemeralStorage]; ok && q.Sign() > 0 {
		k.diskCapacity, k.diskUsed = q.Value(), osDiskBytes
		k.ephemeralAllocatable = spec.Allocatable.StorageEphemeral().Value()
	}
	return k
}

// Name is the node's name.
func (k *Kubelet) Name() string { return k.name }

// Alive reports whether the machine runs (not Failed).
func (k *Kubelet) Alive() bool { return k.alive }

// Connected reports whether the kubelet reaches the API server.
func (k *Kubelet) Connected() bool { return k.connected }

// online: the kubelet may talk to the API server.
func (k *Kubelet) online() bool { return k.alive && k.connected }

// after schedules fn in d, unless the kubelet fails (or restarts) first.
func (k *Kubelet) after(d time.Duration, name string, fn func()) *sim.Timer {
	gen := k.gen
	return k.engine.After(d, name, func() {
		if k.gen == gen && k.alive {
			k.wake()
			fn()
		}
	})
}

// now is the virtual time since the start of the run.
func (k *Kubelet) now() time.Duration { return k.engine.Elapsed() }

// Start boots the kubelet: it registers the Node (creating it) and its
// Lease, starts heartbeating and watching its pods. ready=true makes the
// node Ready at once (it existed before the run began); otherwise it turns
// Ready after the kubelet's start-up.
func (k *Kubelet) Start(ready bool) {
	if k.started {
		return
	}
	k.started, k.alive, k.connected = true, true, true
	k.unhook = k.store.OnWrite("Node", "", k.name, k.wake)
	k.register(ready)
	k.connect()
}

// Release lets go of what the kubelet registered with the store, once its
// machine is gone for good (the cluster forgets a terminated instance):
// the hook on its Node's writes would otherwise keep the whole kubelet,
// its pods and images alive for the rest of the run.
func (k *Kubelet) Release() {
	if k.unhook != nil {
		k.unhook()
		k.unhook = nil
	}
}

// Fail kills the machine: heartbeats and status updates stop, containers
// are gone, pending timers are void. The Node object stays.
func (k *Kubelet) Fail() {
	if !k.alive {
		return
	}
	k.wake() // the status timer's next tick ends its loop
	k.alive = false
	k.gen++
	k.disconnect()
	k.flushTimer, k.flushDue = nil, false
	k.dirty = k.dirty[:0]
	k.resetPulls()
	for _, p := range k.sortedPods() {
		p.dirty = false
		p.machineDied()
	}
}

// Recover brings the machine back: the kubelet restarts, re-posts its
// status (Ready after start-up), and resynchronises its pods: those
// deleted meanwhile are forgotten, the others restart their containers.
func (k *Kubelet) Recover() {
	if k.alive || !k.started {
		return
	}
	k.wake()
	k.alive = true
	k.gen++
	k.reboot()
	if k.connected {
		k.connect()
	}
}

// Partition cuts (on) or heals (off) the kubelet's connection to the
// control plane. Containers keep running; while cut no status or lease
// update is sent and no watch event is received; on heal the kubelet
// re-posts its status and resynchronises its pods.
func (k *Kubelet) Partition(on bool) {
	if on == !k.connected {
		return
	}
	k.wake()
	if on {
		k.connected = false
		k.disconnect()
		return
	}
	k.connected = true
	if k.alive {
		k.connect()
	}
}

func (k *Kubelet) connect() {
	k.stopWatch = k.store.WatchIndex("Pod", store.NodeNameIndex, k.name, k.watchDelay, k.onEvent)
	k.heal()
	k.resync()
}

func (k *Kubelet) disconnect() {
	// Their echoes will not come.
	k.writtenPods, k.writtenStates = [len(k.writtenPods)]*corev1.Pod{}, [len(k.writtenStates)]*podState{}
	if k.stopWatch != nil {
		k.stopWatch()
		k.stopWatch = nil
	}
}
