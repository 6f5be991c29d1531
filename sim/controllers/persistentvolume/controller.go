// Package persistentvolume models kube-controller-manager's
// PersistentVolume controller (the binder: claims to volumes, phases,
// reclaim) together with the Amazon EBS CSI driver's external provisioner
// and resizer, which on EKS create, delete and grow the EBS volumes behind
// dynamically provisioned claims.
//
// A claim of a WaitForFirstConsumer class waits until the scheduler picks
// a node for its first pod (the volume.kubernetes.io/selected-node
// annotation); the volume is then created in that node's zone and carries
// a node affinity to it, so a pod using it can only run in that zone.
package persistentvolume

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/volumeutil"
	"github.com/kubesim/kubesim/sim/workqueue"
)

// Name is the binder's client and event source name.
const Name = "persistentvolume-controller"

// ProvisionerName is the EBS CSI driver's client name (its provisioner,
// attacher and resizer sidecars report as the driver).
const ProvisionerName = "ebs.csi.aws.com"

// EBS API latencies: CreateVolume until the volume is available, a
// modification (resize) until it is optimizing, DeleteVolume.
const (
	createLatency = 3 * time.Second
	resizeLatency = 5 * time.Second
	deleteLatency = 2 * time.Second
)

// Controller is the binder plus the EBS CSI provisioner.
type Controller struct {
	controllerutil.Base
	csi    *apiserver.Client
	claims *workqueue.Queue
	vols   *workqueue.Queue
	rand   *sim.Rand

	provisioning map[string]bool // claim keys with a CreateVolume in flight
	resizing     map[string]bool
	deleting     map[string]bool
	waitNoted    map[string]bool // claims told WaitForFirstConsumer
	retries      map[string]retry
}

// retry is a claim's failed provisioning attempts.
type retry struct {
	failures int
	pending  bool
}

// New returns the controller; csi is the client the EBS CSI driver's
// sidecars write with.
func New(engine *sim.Engine, client, csi *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{Base: controllerutil.NewBase(engine, client, Name, cfg.WithDefaultQueue(), nil), csi: csi,
		rand: engine.Rand("ebs-csi"), provisioning: map[string]bool{}, resizing: map[string]bool{},
		deleting: map[string]bool{}, waitNoted: map[string]bool{}, retries: map[string]retry{}}
	c.claims = c.NewQueue("claims", c.syncClaim)
	c.vols = c.NewQueue("volumes", c.syncVolume)
	c.Handles("PersistentVolumeClaim", func(ev store.Event) {
		key := store.KeyOf(ev.Object)
		if ev.Type == store.Deleted {
			delete(c.waitNoted, key)
			delete(c.retries, key)
			if pv := ev.Object.(*corev1.PersistentVolumeClaim).Spec.VolumeName; pv != "" {
				c.vols.Add(pv)
			}
			return
		}
		c.claims.Add(key)
	})
	c.Handles("PersistentVolume", func(ev store.Event) {
		pv := ev.Object.(*corev1.PersistentVolume)
		if ev.Type != store.Deleted {
			c.vols.Add(pv.Name)
		}
		if r := pv.Spec.ClaimRef; r != nil {
			c.claims.Add(store.Key(r.Namespace, r.Name))
		} else if ev.Type != store.Deleted && pv.Status.Phase == corev1.VolumeAvailable {
			c.queuePending() // a new volume may match a waiting claim
		}
	})
	c.Handles("StorageClass", func(store.Event) { c.queuePending() })
	c.OnStart(func() {
		for _, o := range c.Store.List("PersistentVolume", "") {
			c.vols.Add(o.GetName())
		}
		for _, o := range c.Store.List("PersistentVolumeClaim", "") {
			c.claims.Add(store.KeyOf(o))
		}
	})
	return c
}

func (c *Controller) queuePending() {
	for _, o := range c.Store.List("PersistentVolumeClaim", "") {
		if o.(*corev1.PersistentVolumeClaim).Status.Phase == corev1.ClaimPending {
			c.claims.Add(store.KeyOf(o))
		}
	}
}

func (c *Controller) jitter(d time.Duration) time.Duration {
	return time.Duration(c.rand.Jitter(int64(d), 0.3))
}

func (c *Controller) syncClaim(key string) error {
	pvc, ok := controllerutil.Get[*corev1.PersistentVolumeClaim](c.Store, "PersistentVolumeClaim", key)
	if !ok {
		return nil
	}
	if pvc.DeletionTimestamp != nil {
		return nil
	}
	if pvc.Spec.VolumeName != "" {
		if pvc.Annotations[volumeutil.AnnBindCompleted] == "" {
			return c.syncPreBoundClaim(pvc)
		}
		return c.syncBoundClaim(pvc)
	}
	// A volume pre-bound to this claim (claimRef) binds first.
	if pv := c.preBoundVolume(pvc); pv != nil {
		return c.bind(pvc, pv)
	}
	cls := volumeutil.ClassOf(pvc)
	var sc *storagev1.StorageClass
	if cls != "" {
		if o, ok := c.Store.Get("StorageClass", "", cls); ok {
			sc = o.(*storagev1.StorageClass)
		}
	}
	wffc := sc != nil && sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer
	selected := pvc.Annotations[volumeutil.AnnSelectedNode]
	if wffc && selected == "" {
		if !c.waitNoted[key] {
			c.waitNoted[key] = true
			c.Client.Event(pvc, corev1.EventTypeNormal, "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
		}
		return nil
	}
	var node *corev1.Node
	if selected != "" {
		if o, ok := c.Store.Get("Node", "", selected); ok {
			node = o.(*corev1.Node)
		}
	}
	if pv := c.findVolume(pvc, node); pv != nil {
		return c.bind(pvc, pv)
	}
	switch {
	case cls == "":
		c.Client.Event(pvc, corev1.EventTypeNormal, "FailedBinding", "no persistent volumes available for this claim and no storage class is set")
		return nil
	case sc == nil:
		c.Client.Event(pvc, corev1.EventTypeWarning, "ProvisioningFailed", fmt.Sprintf("storageclass.storage.k8s.io %q not found", cls))
		return nil
	case sc.Provisioner == volumeutil.NoProvisioner:
		c.Client.Event(pvc, corev1.EventTypeNormal, "WaitForPodScheduled", "waiting for pod to be scheduled")
		if !wffc {
			c.Client.Event(pvc, corev1.EventTypeNormal, "FailedBinding", "no persistent volumes available for this claim and no storage class is set")
		}
		return nil
	}
	return c.provision(pvc, sc, node)
}

// syncPreBoundClaim binds a claim its author pre-bound to a volume
// (spec.volumeName, the bind not yet completed), as upstream's
// syncUnboundClaim does: a missing volume or one bound to another claim
// leaves the claim Pending; an unbound volume that satisfies the claim
// gets the claim's reference and both become Bound.
func (c *Controller) syncPreBoundClaim(pvc *corev1.PersistentVolumeClaim) error {
	o, ok := c.Store.Get("PersistentVolume", "", pvc.Spec.VolumeName)
	if !ok {
		return c.pending(pvc)
	}
	pv := o.(*corev1.PersistentVolume)
	if r := pv.Spec.ClaimRef; r != nil {
		if r.Namespace != pvc.Namespace || r.Name != pvc.Name || (r.UID != "" && r.UID != pvc.UID) {
			c.Client.Event(pvc, corev1.EventTypeWarning, "FailedBinding", "volume \""+pv.Name+"\" already bound to a different claim.")
			return c.pending(pvc)
		}
		return c.bind(pvc, pv)
	}
	if msg := unsatisfied(pvc, pv); msg != "" {
		c.Client.Event(pvc, corev1.EventTypeWarning, "VolumeMismatch", "Cannot bind to requested volume \""+pv.Name+"\": "+msg)
		return c.pending(pvc)
	}
	return c.bind(pvc, pv)
}

// unsatisfied says why a volume cannot serve a claim pre-bound to it
// (upstream's checkVolumeSatisfyClaim: size, class, volume mode, access
// modes), or "".
func unsatisfied(pvc *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume) string {
	want := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if have := capacity(pv); have.Cmp(want) < 0 {
		return "requested PV is too small"
	}
	if pv.Spec.StorageClassName != volumeutil.ClassOf(pvc) {
		return "storageClassName does not match"
	}
	if pvc.Spec.VolumeMode != nil && pv.Spec.VolumeMode != nil && *pvc.Spec.VolumeMode != *pv.Spec.VolumeMode {
		return "incompatible volumeMode"
	}
	for _, m := range pvc.Spec.AccessModes {
		if !slices.Contains(pv.Spec.AccessModes, m) {
			return "incompatible accessMode"
		}
	}
	return ""
}

// pending keeps a claim that cannot bind in phase Pending.
func (c *Controller) pending(pvc *corev1.PersistentVolumeClaim) error {
	if pvc.Status.Phase == corev1.ClaimPending {
		return nil
	}
	n := pvc.DeepCopy()
	n.Status.Phase = corev1.ClaimPending
	_, err := c.Client.UpdateStatus(n)
	return err
}

// preBoundVolume is a volume whose claimRef names this claim.
func (c *Controller) preBoundVolume(pvc *corev1.PersistentVolumeClaim) *corev1.PersistentVolume {
	for _, o := range c.Store.List("PersistentVolume", "") {
		pv := o.(*corev1.PersistentVolume)
		if r := pv.Spec.ClaimRef; r != nil && r.Namespace == pvc.Namespace && r.Name == pvc.Name &&
			(r.UID == "" || r.UID == pvc.UID) && pv.Status.Phase != corev1.VolumeReleased && pv.DeletionTimestamp == nil {
			return pv
		}
	}
	return nil
}

// findVolume is the smallest available volume that satisfies the claim:
// class, access modes, size, selector, volume mode, and (when a node was
// selected) a node affinity that node matches.
func (c *Controller) findVolume(pvc *corev1.PersistentVolumeClaim, node *corev1.Node) *corev1.PersistentVolume {
	var best *corev1.PersistentVolume
	for _, o := range c.Store.List("PersistentVolume", "") {
		pv := o.(*corev1.PersistentVolume)
		if !volumeutil.VolumeMatches(pvc, pv) {
			continue
		}
		if node != nil && !volumeutil.NodeMatchesVolume(node, pv) {
			continue
		}
		if pc, bc := capacity(pv), capacity(best); best == nil || pc.Cmp(bc) < 0 {
			best = pv
		}
	}
	return best
}

func capacity(pv *corev1.PersistentVolume) resource.Quantity {
	if pv == nil {
		return resource.Quantity{}
	}
	return pv.Spec.Capacity[corev1.ResourceStorage]
}

// provision asks the class's provisioner for a volume. The EBS CSI driver
// creates it in the selected node's zone (or the class's allowed
// topology, or the first zone with nodes), announcing its progress on the
// claim as the external-provisioner sidecar does.
func (c *Controller) provision(pvc *corev1.PersistentVolumeClaim, sc *storagev1.StorageClass, node *corev1.Node) error {
	key := store.KeyOf(pvc)
	if pvc.Annotations[volumeutil.AnnStorageProvisioner] != sc.Provisioner {
		n := pvc.DeepCopy()
		if n.Annotations == nil {
			n.Annotations = map[string]string{}
		}
		n.Annotations[volumeutil.AnnStorageProvisioner] = sc.Provisioner
		n.Annotations[volumeutil.AnnBetaStorageProvisoner] = sc.Provisioner
		out, err := c.Client.Update(n)
		if err != nil {
			return err
		}
		pvc = out.(*corev1.PersistentVolumeClaim)
		c.Client.Event(pvc, corev1.EventTypeNormal, "ExternalProvisioning",
			fmt.Sprintf("Waiting for a volume to be created either by the external provisioner '%s' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.", sc.Provisioner))
	}
	if sc.Provisioner != ProvisionerName || c.provisioning[key] {
		return nil // no such provisioner runs in the cluster: the claim waits
	}
	zone := ""
	if node != nil {
		zone = node.Labels[volumeutil.ZoneKey]
	} else if z := allowedZone(sc); z != "" {
		zone = z
	} else {
		zone = c.firstZone()
	}
	if c.retries[key].pending {
		return nil // a failed CreateVolume is retried after its backoff
	}
	c.csi.Event(pvc, corev1.EventTypeNormal, "Provisioning", fmt.Sprintf("External provisioner is provisioning volume for claim %q", key))
	if msg := ebsCapabilities(pvc, sc); msg != "" {
		c.csi.Event(pvc, corev1.EventTypeWarning, "ProvisioningFailed", "failed to provision volume with StorageClass \""+sc.Name+"\": "+msg)
		c.retryProvision(key)
		return nil
	}
	delete(c.retries, key)
	c.provisioning[key] = true
	uid := pvc.UID
	c.Engine.After(c.jitter(createLatency), "ebs-csi/create-volume", func() {
		delete(c.provisioning, key)
		o, ok := c.Store.Get("PersistentVolumeClaim", pvc.Namespace, pvc.Name)
		if !ok || o.GetUID() != uid || o.(*corev1.PersistentVolumeClaim).Spec.VolumeName != "" {
			return
		}
		cur := o.(*corev1.PersistentVolumeClaim)
		pv := c.ebsVolume(cur, sc, zone)
		if _, err := c.csi.Create(pv); err != nil {
			c.csi.Event(cur, corev1.EventTypeWarning, "ProvisioningFailed", "failed to provision volume with StorageClass \""+sc.Name+"\": "+err.Error())
			c.claims.AddRateLimited(key)
			return
		}
		c.csi.Event(cur, corev1.EventTypeNormal, "ProvisioningSucceeded", "Successfully provisioned volume "+pv.Name)
	})
	return nil
}

// retryProvision queues the claim again after the external provisioner's
// backoff (--retry-interval-start 1s doubling to --retry-interval-max 5m).
func (c *Controller) retryProvision(key string) {
	r := c.retries[key]
	delay := min(time.Second<<min(r.failures, 9), 5*time.Minute)
	c.retries[key] = retry{failures: r.failures + 1, pending: true}
	c.Engine.After(delay, "ebs-csi/retry-provision", func() {
		if r, ok := c.retries[key]; ok {
			r.pending = false
			c.retries[key] = r
			c.claims.Add(key)
		}
	})
}

// ebsCapabilities is the EBS CSI driver's CreateVolume check of the
// access modes (its error, or ""): an EBS volume attaches to one node, except io2 block
// volumes with Multi-Attach (ReadWriteMany, volumeMode Block).
func ebsCapabilities(pvc *corev1.PersistentVolumeClaim, sc *storagev1.StorageClass) string {
	block := pvc.Spec.VolumeMode != nil && *pvc.Spec.VolumeMode == corev1.PersistentVolumeBlock
	for _, m := range pvc.Spec.AccessModes {
		var mode string
		switch m {
		case corev1.ReadWriteMany:
			if block && sc.Parameters["type"] == "io2" {
				continue
			}
			mode = "MULTI_NODE_MULTI_WRITER"
		case corev1.ReadOnlyMany:
			mode = "MULTI_NODE_READER_ONLY"
		default:
			continue
		}
		return "rpc error: code = InvalidArgument desc = Volume capabilities " + mode + " not supported. Only AccessModes[ReadWriteOnce] supported."
	}
	return ""
}

func allowedZone(sc *storagev1.StorageClass) string {
	for _, t := range sc.AllowedTopologies {
		for _, e := range t.MatchLabelExpressions {
			if (e.Key == volumeutil.ZoneKey || e.Key == "topology.ebs.csi.aws.com/zone") && len(e.Values) > 0 {
				return e.Values[0]
			}
		}
	}
	return ""
}

func (c *Controller) firstZone() string {
	var zones []string
	for _, o := range c.Store.List("Node", "") {
		if z := o.GetLabels()[volumeutil.ZoneKey]; z != "" {
			zones = append(zones, z)
		}
	}
	slices.Sort(zones)
	if len(zones) == 0 {
		return ""
	}
	return zones[0]
}

// ebsVolume is the PersistentVolume the EBS CSI driver creates for a
// claim: named pvc-<claim uid>, the class's reclaim policy, a CSI source
// with the EBS volume id, and a node affinity to the volume's zone.
func (c *Controller) ebsVolume(pvc *corev1.PersistentVolumeClaim, sc *storagev1.StorageClass, zone string) *corev1.PersistentVolume {
	reclaim := corev1.PersistentVolumeReclaimDelete
	if sc.ReclaimPolicy != nil {
		reclaim = *sc.ReclaimPolicy
	}
	fs := sc.Parameters["csi.storage.k8s.io/fstype"]
	if fs == "" {
		fs = "ext4"
	}
	size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	// EBS sizes volumes in whole GiB.
	gib := (size.Value() + (1<<30 - 1)) >> 30
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pvc-" + string(pvc.UID),
			Annotations: map[string]string{volumeutil.AnnProvisionedBy: sc.Provisioner, "volume.kubernetes.io/provisioner-deletion-secret-name": "", "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""},
			Finalizers:  []string{"external-provisioner.volume.kubernetes.io/finalizer", "kubernetes.io/pv-protection"}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: *resource.NewQuantity(gib<<30, resource.BinarySI)},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              sc.Name,
			VolumeMode:                    pvc.Spec.VolumeMode,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name,
				UID: pvc.UID, ResourceVersion: pvc.ResourceVersion},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: sc.Provisioner, FSType: fs, VolumeHandle: c.volumeID(),
				VolumeAttributes: map[string]string{"storage.kubernetes.io/csiProvisionerIdentity": "1700000000000-0000-ebs.csi.aws.com"},
			}},
		},
	}
	if zone != "" {
		pv.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: volumeutil.ZoneKey, Operator: corev1.NodeSelectorOpIn, Values: []string{zone}}},
		}}}}
	}
	return pv
}

// volumeID is an EBS volume id (vol- and 17 hex digits).
func (c *Controller) volumeID() string {
	const hex = "0123456789abcdef"
	b := []byte("vol-0")
	for i := 0; i < 16; i++ {
		b = append(b, hex[c.rand.IntN(16)])
	}
	return string(b)
}

// bind binds claim and volume: the volume's claimRef and phase first,
// then the claim's volumeName and annotations, then its status.
func (c *Controller) bind(pvc *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume) error {
	if pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID != pvc.UID {
		n := pv.DeepCopy()
		n.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name,
			UID: pvc.UID, ResourceVersion: pvc.ResourceVersion}
		if n.Annotations == nil {
			n.Annotations = map[string]string{}
		}
		n.Annotations[volumeutil.AnnBoundByController] = "yes"
		out, err := c.Client.Update(n)
		if err != nil {
			return err
		}
		pv = out.(*corev1.PersistentVolume)
	}
	if pv.Status.Phase != corev1.VolumeBound {
		n := pv.DeepCopy()
		n.Status.Phase = corev1.VolumeBound
		n.Status.LastPhaseTransitionTime = ptr.To(metav1.NewTime(c.Engine.Now()))
		if _, err := c.Client.UpdateStatus(n); err != nil {
			return err
		}
	}
	n := pvc.DeepCopy()
	preBound := n.Spec.VolumeName == pv.Name // by its author: not bound by the controller
	n.Spec.VolumeName = pv.Name
	if n.Annotations == nil {
		n.Annotations = map[string]string{}
	}
	n.Annotations[volumeutil.AnnBindCompleted] = "yes"
	if pv.Annotations[volumeutil.AnnProvisionedBy] == "" && !preBound {
		n.Annotations[volumeutil.AnnBoundByController] = "yes"
	}
	out, err := c.Client.Update(n)
	if err != nil {
		return err
	}
	return c.syncBoundClaim(out.(*corev1.PersistentVolumeClaim))
}

// syncBoundClaim keeps a bound claim's status (phase, capacity, access
// modes) and runs the EBS resizer when the request grew.
func (c *Controller) syncBoundClaim(pvc *corev1.PersistentVolumeClaim) error {
	o, ok := c.Store.Get("PersistentVolume", "", pvc.Spec.VolumeName)
	if !ok {
		if pvc.Status.Phase != corev1.ClaimLost {
			n := pvc.DeepCopy()
			n.Status.Phase = corev1.ClaimLost
			_, err := c.Client.UpdateStatus(n)
			c.Client.Event(pvc, corev1.EventTypeWarning, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
			return err
		}
		return nil
	}
	pv := o.(*corev1.PersistentVolume)
	if pvc.Status.Phase != corev1.ClaimBound {
		n := pvc.DeepCopy()
		n.Status.Phase = corev1.ClaimBound
		n.Status.AccessModes = pv.Spec.AccessModes
		n.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: capacity(pv)}
		if _, err := c.Client.UpdateStatus(n); err != nil {
			return err
		}
		return nil
	}
	want := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	have := capacity(pv)
	key := store.KeyOf(pvc)
	if want.Cmp(have) <= 0 || c.resizing[key] || pv.Spec.CSI == nil || pv.Spec.CSI.Driver != ProvisionerName {
		if want.Cmp(have) <= 0 {
			if cur := pvc.Status.Capacity[corev1.ResourceStorage]; cur.Cmp(have) != 0 {
				n := pvc.DeepCopy()
				n.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: have}
				n.Status.Conditions = nil
				_, err := c.Client.UpdateStatus(n)
				if err == nil {
					c.csi.Event(pvc, corev1.EventTypeNormal, "FileSystemResizeSuccessful", "MountVolume.NodeExpandVolume succeeded for volume \""+pv.Name+"\"")
				}
				return err
			}
		}
		return nil
	}
	c.resizing[key] = true
	c.csi.Event(pvc, corev1.EventTypeNormal, "Resizing", "External resizer is resizing volume "+pv.Name)
	c.Engine.After(c.jitter(resizeLatency), "ebs-csi/modify-volume", func() {
		delete(c.resizing, key)
		o, ok := c.Store.Get("PersistentVolume", "", pv.Name)
		if !ok {
			return
		}
		n := o.(*corev1.PersistentVolume).DeepCopy()
		gib := (want.Value() + (1<<30 - 1)) >> 30
		n.Spec.Capacity = corev1.ResourceList{corev1.ResourceStorage: *resource.NewQuantity(gib<<30, resource.BinarySI)}
		if _, err := c.csi.Update(n); err != nil {
			c.claims.AddRateLimited(key)
			return
		}
		if o, ok := c.Store.Get("PersistentVolumeClaim", pvc.Namespace, pvc.Name); ok {
			c.csi.Event(o, corev1.EventTypeNormal, "VolumeResizeSuccessful", "Resize volume succeeded")
		}
	})
	return nil
}

// syncVolume: an Available/Released volume's phase, and the reclaim of a
// volume whose claim is gone (Delete: the EBS volume and the object go;
// Retain: Released, kept for an administrator).
func (c *Controller) syncVolume(name string) error {
	o, ok := c.Store.Get("PersistentVolume", "", name)
	if !ok {
		return nil
	}
	pv := o.(*corev1.PersistentVolume)
	ref := pv.Spec.ClaimRef
	if ref == nil {
		// Unclaimed: Available, also a Released volume whose claimRef an
		// administrator removed to make it reusable.
		return c.setPhase(pv, corev1.VolumeAvailable, "")
	}
	claim, ok := c.Store.Get("PersistentVolumeClaim", ref.Namespace, ref.Name)
	if ok && (ref.UID == "" || claim.GetUID() == ref.UID) {
		if claim.(*corev1.PersistentVolumeClaim).Spec.VolumeName == pv.Name && pv.Status.Phase != corev1.VolumeBound {
			return c.setPhase(pv, corev1.VolumeBound, "")
		}
		if pv.Status.Phase == corev1.VolumePending || pv.Status.Phase == "" {
			return c.setPhase(pv, corev1.VolumeAvailable, "")
		}
		return nil
	}
	if ref.UID == "" {
		return nil // pre-bound to a claim not yet created
	}
	// The claim is gone: reclaim.
	if pv.Status.Phase != corev1.VolumeReleased && pv.Status.Phase != corev1.VolumeFailed {
		if err := c.setPhase(pv, corev1.VolumeReleased, ""); err != nil {
			return err
		}
	}
	switch pv.Spec.PersistentVolumeReclaimPolicy {
	case corev1.PersistentVolumeReclaimDelete:
		if pv.Spec.CSI == nil || pv.Spec.CSI.Driver != ProvisionerName {
			c.Client.Event(pv, corev1.EventTypeWarning, "VolumeFailedDelete", "error getting deleter volume plugin for volume \""+pv.Name+"\": no deletable volume plugin matched")
			return c.setPhase(pv, corev1.VolumeFailed, "error getting deleter volume plugin for volume \""+pv.Name+"\": no deletable volume plugin matched")
		}
		if c.deleting[pv.Name] {
			return nil
		}
		c.deleting[pv.Name] = true
		c.Engine.After(c.jitter(deleteLatency), "ebs-csi/delete-volume", func() {
			delete(c.deleting, name)
			o, ok := c.Store.Get("PersistentVolume", "", name)
			if !ok {
				return
			}
			n := o.(*corev1.PersistentVolume).DeepCopy()
			n.Finalizers = nil
			if _, err := c.csi.Update(n); err != nil {
				c.vols.AddRateLimited(name)
				return
			}
			if _, ok := c.Store.Get("PersistentVolume", "", name); ok {
				_ = c.csi.Delete("PersistentVolume", "", name, apiserver.DeleteOptions{})
			}
		})
	case corev1.PersistentVolumeReclaimRecycle:
		c.Client.Event(pv, corev1.EventTypeWarning, "VolumeFailedRecycle", "No recycler plugin found for the volume!")
	}
	return nil
}

func (c *Controller) setPhase(pv *corev1.PersistentVolume, phase corev1.PersistentVolumePhase, msg string) error {
	if pv.Status.Phase == phase {
		return nil
	}
	n := pv.DeepCopy()
	n.Status.Phase = phase
	n.Status.Message = msg
	if msg != "" {
		n.Status.Reason = strings.SplitN(msg, ":", 2)[0]
	}
	n.Status.LastPhaseTransitionTime = ptr.To(metav1.NewTime(c.Engine.Now()))
	_, err := c.Client.UpdateStatus(n)
	return err
}
