package kubelet

import (
	"cmp"
	"maps"
	"slices"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// NodeLeaseNamespace holds the nodes' heartbeat leases.
const NodeLeaseNamespace = "kube-node-lease"

// Ready condition texts of the upstream kubelet.
const (
	msgReady          = "kubelet is posting ready status"
	msgNetworkNotUp   = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"
	msgRuntimeNotUp   = "container runtime status check may not have completed yet"
	maxImagesInStatus = 50 // nodeStatusMaxImages
)

// nodeState is what the kubelet reports about its node.
type nodeState struct {
	uid string

	tmpl       *corev1.Node // registration object: static status parts
	ready      bool
	notReady   string // message while not ready
	since      [4]metav1.Time
	lastPost   time.Duration
	posted     bool
	changed    bool
	registered bool
	// nodeRef is the Node's slot in the store: the status tick reads the
	// stored Node through it every 10 s without looking its name up.
	nodeRef store.Ref
	// stored is the version of the Node that storedReadyDiffers last
	// read, and storedReady its Ready status. Store objects are never
	// changed in place, so while the store holds that same version its
	// Ready status is still storedReady: a status tick compares one
	// pointer instead of walking the conditions of a Node that is cold in
	// memory (every node ticks every 10 s and posts every 5 min, so all
	// but one tick in 30 find the version they saw last).
	stored      *corev1.Node
	storedReady corev1.ConditionStatus
	// quietUntil is the end of the status ticks' last Quiet (rest).
	quietUntil time.Duration
}

// leaseState is the lease loop's (startHeartbeats).
type leaseState struct {
	timer *sim.Timer
	// renewEvery is the renewal period, a quarter of the lease duration
	// (cfg.LeaseDuration / 4), and jitterBound the bound of the jitter
	// added to it: JitterUntil's factor 0.04 of it, plus one.
	renewEvery  time.Duration
	jitterBound int64
	// held is the version of the Lease this kubelet's last write stored
	// (zero: none), which named the node's UID (nodeState.uid) as owner:
	// while the store holds that version, a renewal only moves renewTime
	// (apiserver.LeaseRenewer.Renew). A new UID (register) voids it.
	held    store.LeaseVersion
	ref     store.Ref              // the Lease's slot in the store (Renew)
	renewer apiserver.LeaseRenewer // of the node's Lease, by the kubelet's client
}

func (k *Kubelet) register(ready bool) {
	n := &k.node
	n.tmpl = cloud.NodeObject(k.spec)
	now := metav1.NewTime(k.engine.Now())
	for i := range n.since {
		n.since[i] = now
	}
	n.ready, n.notReady = ready, msgNetworkNotUp
	obj := n.tmpl.DeepCopy()
	obj.Status = k.nodeStatus()
	out, err := k.client.Create(obj)
	if apierrors.IsAlreadyExists(err) {
		out, err = k.client.UpdateStatus(obj)
	}
	if err == nil {
		if uid := string(out.GetUID()); uid != n.uid {
			n.uid, k.lease.held = uid, store.LeaseVersion{} // the Lease names the old owner
		}
		n.lastPost, n.posted = k.now(), true
	}
	n.registered = true
	k.renewLease()
	if !ready {
		k.nodeEvents("Starting", "Starting kubelet.")
		k.after(k.startupDelay(), "kubelet/ready", k.becomeReady)
	}
	k.startHeartbeats()
}

func (k *Kubelet) startupDelay() time.Duration {
	d := k.cfg.StartupDelay
	return d + time.Duration(k.rnd.Int64N(int64(d)+1))
}

// nodeEvents records the events of a kubelet (re)start on its node.
func (k *Kubelet) nodeEvents(reason, msg string) {
	k.event(k.node.tmpl, corev1.EventTypeNormal, reason, msg)
	for _, r := range []string{"NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID"} {
		k.event(k.node.tmpl, corev1.EventTypeNormal, r, "Node "+k.name+" status is now: "+r)
	}
	k.event(k.node.tmpl, corev1.EventTypeNormal, "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods")
}

func (k *Kubelet) becomeReady() {
	k.setReady(true, "")
	k.event(k.node.tmpl, corev1.EventTypeNormal, "NodeReady", "Node "+k.name+" status is now: NodeReady")
	k.postNodeStatus()
}

func (k *Kubelet) setReady(ready bool, msg string) {
	n := &k.node
	if n.ready != ready {
		n.since[3] = metav1.NewTime(k.engine.Now())
	}
	n.ready, n.notReady, n.changed = ready, msg, true
	k.wake()
}

// startHeartbeats runs the node status loop and the lease renewal loop,
// each at a per-node random phase so that thousands of nodes spread out.
// Each loop keeps its one timer and reschedules it on every tick, so a
// steady-state heartbeat allocates nothing; a failure voids the timers
// (their generation is gone) and the restart starts new ones.
//
// The timers call the ticks from closures of their own rather than
// through after with a method value: what the after closure calls is one
// more object, cold in memory on every tick of every node.
func (k *Kubelet) startHeartbeats() {
	gen := k.gen
	k.statusTimer = k.engine.After(time.Duration(k.rnd.Int64N(int64(k.cfg.StatusInterval))), "kubelet/status", func() {
		if k.gen == gen && k.alive {
			k.statusTick()
		}
	})
	k.lease.timer = k.engine.After(time.Duration(k.rnd.Int64N(int64(k.lease.renewEvery))), "kubelet/lease", func() {
		if k.gen == gen && k.alive {
			k.leaseTick()
		}
	})
}

func (k *Kubelet) statusTick() {
	k.quiet = false // (the engine runs the tick: a Quiet that ran out)
	k.synchronizeEviction()
	if k.connected {
		n := &k.node
		overwritten := k.storedReadyDiffers()
		if n.changed || k.now()-n.lastPost >= k.cfg.StatusReportInterval || overwritten {
			k.postNodeStatus()
		}
		if overwritten {
			// The node controller marked us NotReady (e.g. while etcd had
			// no quorum) and with us our pods: re-assert their status, as
			// the status manager's periodic sync does upstream.
			for _, p := range k.sortedPods() {
				k.markDirty(p)
			}
		}
	}
	k.engine.RescheduleIn(k.statusTimer, k.statusLane, k.now()+k.cfg.StatusInterval)
	k.rest()
}

// rest makes the coming status ticks the engine's no-ops (sim.Engine.Quiet)
// up to quietUntil's, unless something wakes the kubelet first (wake):
// any other event of the kubelet (its timers, the pod watch, the
// cluster's calls) and any write of its Node. Most ticks of a steady
// cluster are such (29 in 30 find nothing to post).
func (k *Kubelet) rest() {
	until, ok := k.quietUntil()
	if ok && until > k.now()+k.cfg.StatusInterval {
		k.quiet, k.node.quietUntil = true, until
		k.engine.Quiet(k.statusTimer, k.cfg.StatusInterval, until)
	}
}

// quietUntil is when a status tick first has something to do by the
// clock alone (the post due every StatusReportInterval, the image
// garbage collection every imageGCPeriod), and whether every tick before
// it does nothing while the kubelet stays as it is: it is up and
// connected, its status is posted and unchanged (the stored Node's Ready
// status is its own), and the eviction manager would observe no
// threshold crossed and no pressure: no working set waits to be
// computed, neither memory.available nor nodefs.available is below its
// threshold, no pressure condition is True (it stays True for a
// transition period after the threshold was last crossed) and no pod
// wrote to the disk.
func (k *Kubelet) quietUntil() (time.Duration, bool) {
	n, e := &k.node, &k.eviction
	if !k.alive || !k.connected || n.changed || len(k.usagePending) > 0 || len(k.diskDirty) > 0 ||
		e.memory.pressure || e.disk.pressure || k.memoryAvailable() < evictionHardMemory ||
		k.diskCapacity > 0 && k.diskCapacity-k.diskUsed < nodefsThreshold(k.diskCapacity) ||
		k.storedReadyDiffers() {
		return 0, false
	}
	until := n.lastPost + k.cfg.StatusReportInterval
	if k.diskCapacity > 0 {
		until = min(until, e.imageGCAt+imageGCPeriod)
	}
	return until, true
}

// wake makes the status timer's next tick run (see rest).
func (k *Kubelet) wake() {
	if k.quiet {
		k.quiet = false
		k.engine.Wake(k.statusTimer)
	}
}

// storedReadyDiffers reports whether someone else (the node lifecycle
// controller) changed our Ready condition, which forces a post.
func (k *Kubelet) storedReadyDiffers() bool {
	o, ok := k.store.Follow(&k.node.nodeRef, "Node", "", k.name)
	if !ok {
		return false
	}
	n := &k.node
	if cur := o.(*corev1.Node); cur != n.stored {
		n.stored, n.storedReady = cur, podutil.NodeReady(cur)
	}
	want := corev1.ConditionFalse
	if n.ready {
		want = corev1.ConditionTrue
	}
	return n.storedReady != want
}

func (k *Kubelet) leaseTick() {
	if k.connected {
		k.renewLease()
	}
	jitter := time.Duration(k.rnd.Int64N(k.lease.jitterBound)) // JitterUntil factor 0.04
	k.engine.Reschedule(k.lease.timer, k.now()+k.lease.renewEvery+jitter)
}

// renewLease writes the node's Lease (creating it the first time).
func (k *Kubelet) renewLease() {
	now := metav1.NewMicroTime(k.engine.Now())
	if held := k.lease.held; held != (store.LeaseVersion{}) {
		out, ok, err := k.lease.renewer.Renew(&k.lease.ref, held, now)
		if ok {
			if err == nil {
				k.lease.held = out
			}
			return
		}
	}
	k.lease.held = store.LeaseVersion{}
	secs := int32(k.cfg.LeaseDuration / time.Second)
	renew := now // on the heap only on this path: a renewal passes now by value
	l := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: k.name, Namespace: NodeLeaseNamespace},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity: &k.name, LeaseDurationSeconds: &secs, RenewTime: &renew,
		},
	}
	if k.node.uid != "" {
		l.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: k.name, UID: typesUID(k.node.uid)}}
	}
	out, err := k.client.Update(l)
	if err == nil {
		// Renewals of this object only move renewTime. (A Lease just
		// created still has its acquireTime, which the next Update clears,
		// so it is not remembered.)
		k.lease.held = store.VersionOf(out.(*coordinationv1.Lease))
	}
	if apierrors.IsNotFound(err) {
		l.Spec.AcquireTime = &renew
		_, _ = k.client.Create(l)
	}
}

// postNodeStatus writes the node's status (conditions, images, ...).
func (k *Kubelet) postNodeStatus() {
	if !k.online() {
		return
	}
	n := &k.node
	obj := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: k.name}, Status: k.nodeStatus()}
	if _, err := k.client.UpdateStatus(obj); err == nil || apierrors.IsNotFound(err) {
		n.lastPost, n.posted, n.changed = k.now(), true, false
	}
}

// nodeStatus builds a fresh status. Its conditions are new; the rest
// is shared: the image list (nodeImages), and the static parts the
// registration object holds (capacity, allocatable, addresses, node
// info), which nothing mutates — the kubelet never writes its template,
// and the objects of the store are not changed in place — so every post
// need not deep-copy their maps (TestNodeStatusPostsLeaveTheTemplateAlone).
func (k *Kubelet) nodeStatus() corev1.NodeStatus {
	n := &k.node
	st := n.tmpl.Status
	now := metav1.NewTime(k.engine.Now())
	st.Conditions = []corev1.NodeCondition{
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available"},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure"},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available"},
		{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: msgReady},
	}
	if k.eviction.memory.pressure {
		st.Conditions[0].Status, st.Conditions[0].Reason, st.Conditions[0].Message = corev1.ConditionTrue, "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"
	}
	if k.eviction.disk.pressure {
		st.Conditions[1].Status, st.Conditions[1].Reason, st.Conditions[1].Message = corev1.ConditionTrue, "KubeletHasDiskPressure", "kubelet has disk pressure"
	}
	if !n.ready {
		st.Conditions[3].Status, st.Conditions[3].Reason, st.Conditions[3].Message = corev1.ConditionFalse, "KubeletNotReady", n.notReady
	}
	for i := range st.Conditions {
		st.Conditions[i].LastHeartbeatTime = now
		st.Conditions[i].LastTransitionTime = n.since[i]
	}
	st.Images = k.nodeImages()
	return st
}

// nodeImages lists the images on the node, largest first, at most 50.
//
// The list is built again only after the node's images changed
// (imagesChanged: a pull done, an image deleted); every status post in
// between, the one every five minutes mostly, shares it. It is never
// mutated once built (the objects of the store are not), so sharing it
// with the stored Node is safe.
func (k *Kubelet) nodeImages() []corev1.ContainerImage {
	if !k.imageListValid {
		k.imageList, k.imageListValid = k.buildNodeImages(), true
	}
	return k.imageList
}

// imagesChanged invalidates the image list of the node status
// (nodeImages), which the next tick posts.
func (k *Kubelet) imagesChanged() {
	k.imageListValid = false
	k.wake()
}

// buildNodeImages is nodeImages' list, built from k.images.
func (k *Kubelet) buildNodeImages() []corev1.ContainerImage {
	var out []corev1.ContainerImage
	for _, ref := range slices.Sorted(maps.Keys(k.images)) {
		im := k.images[ref]
		if !im.present {
			continue
		}
		out = append(out, corev1.ContainerImage{
			Names:     []string{im.id, ref},
			SizeBytes: im.res.SizeBytes,
		})
	}
	slices.SortStableFunc(out, func(a, b corev1.ContainerImage) int { return cmp.Compare(b.SizeBytes, a.SizeBytes) }) // largest first
	if len(out) > maxImagesInStatus {
		out = out[:maxImagesInStatus]
	}
	return out
}

// reboot: the kubelet process starts again on a machine that was down.
func (k *Kubelet) reboot() {
	k.setReady(false, msgRuntimeNotUp)
	if k.connected {
		k.nodeEvents("Starting", "Starting kubelet.")
		k.postNodeStatus()
		k.renewLease()
	}
	k.after(k.startupDelay()/2, "kubelet/ready", k.becomeReady)
	k.startHeartbeats()
}

// heal: connection to the API server is back (or the kubelet restarted).
func (k *Kubelet) heal() {
	if !k.node.registered || k.node.lastPost == k.now() {
		return
	}
	k.renewLease()
	k.postNodeStatus()
}
