package kubelet

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/kubelet/images"
)

// The node's root volume (nodefs; on EKS the images share it, so there
// is no separate imagefs) and what fills it: the OS, the images pulled,
// the pods' emptyDir volumes and their containers' writable layers.
// The kubelet keeps the sum up to date as files are written, so the
// eviction manager reads nodefs.available in O(1).
const (
	// osDiskBytes is what the AMI itself (OS, containerd, kubelet) uses
	// of the root volume: an estimate, not a measurement.
	osDiskBytes = 2560 << 20
	// imageDiskFactor: an image unpacked takes about twice its
	// compressed size (the EKS AMI's containerd discards the compressed
	// layers once unpacked).
	imageDiskFactor = 2
	// containerBaseBytes is a container's writable layer before it
	// writes anything (what the runtime's stats show for a fresh one);
	// counted in the eviction manager's per-pod figures, not on the node.
	containerBaseBytes = 32 << 10
	// Image garbage collection (the kubelet's defaults): every 5 min, at
	// 85% disk use, unused images at least 2 min old go, least recently
	// used first, until the use is at 80%.
	imageGCPeriod      = 5 * time.Minute
	imageGCHighPercent = 85
	imageGCLowPercent  = 80
	imageMinAge        = 2 * time.Minute
)

// nodefsPercent is evictionHard nodefs.available as the kubelet parses
// it (a float32 fraction), so the threshold quantity matches upstream's
// to the byte.
var nodefsPercent = float32(cloud.EvictionHardNodefsPercent) / 100

// nodefsThreshold is the nodefs.available threshold of a disk of capacity
// bytes.
func nodefsThreshold(capacity int64) int64 {
	return int64(float64(capacity) * float64(nodefsPercent))
}

// FillDisk replaces the host files on the root volume (not the pods',
// not images: nothing the kubelet can reclaim) with n bytes, or with as
// much as brings the disk's use to n hundredths of a percent. It
// reports false when the node has no disk model.
func (k *Kubelet) FillDisk(n int64, percent bool) bool {
	k.wake()
	if k.diskCapacity == 0 {
		return false
	}
	if percent {
		n = max(k.diskCapacity*n/10000-(k.diskUsed-k.hostFiles), 0)
	}
	n = min(n, k.diskCapacity-(k.diskUsed-k.hostFiles))
	k.diskUsed += n - k.hostFiles
	k.hostFiles = n
	return true
}

// podDisk is what a pod's containers wrote, by file, and where it is
// charged. Nil until the pod's first write.
type podDisk struct {
	files   map[string]int64 // fileKey -> bytes
	volumes map[string]int64 // emptyDir volume -> bytes
	rootfs  map[string]int64 // container -> bytes written to its writable layer
	nodefs  int64            // charged to the node's disk (disk emptyDirs + writable layers)
	tmpfs   int64            // in medium: Memory emptyDirs (memory, not disk)
}

// diskWrite applies one of a container's file writes: to the emptyDir
// the path lands on (disk or memory medium), else to the container's
// writable layer; other volumes (persistent, hostPath) are not ephemeral
// storage. A write stops short when the disk (or a memory emptyDir's
// size) is full.
func (c *container) diskWrite(w images.Write) {
	p, k := c.p, c.p.k
	abs := w.Path
	if !path.IsAbs(abs) {
		abs = path.Join(cmp.Or(c.spec.WorkingDir, "/"), abs)
	}
	abs = path.Clean(abs)
	key, bucket := "c\x00"+c.spec.Name+"\x00"+abs, c.spec.Name
	var vol *corev1.Volume
	best := -1
	for _, m := range c.spec.VolumeMounts {
		mp := path.Clean(m.MountPath)
		if (abs == mp || strings.HasPrefix(abs, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > best {
			best = len(mp)
			vol = nil
			for i := range p.pod.Spec.Volumes {
				if p.pod.Spec.Volumes[i].Name == m.Name {
					vol = &p.pod.Spec.Volumes[i]
				}
			}
			key = "v\x00" + m.Name + "\x00" + path.Join("/", m.SubPath, strings.TrimPrefix(abs, mp))
			bucket = m.Name
		}
	}
	if best >= 0 && (vol == nil || vol.EmptyDir == nil) {
		return // persistent or host storage: not the pod's ephemeral storage
	}
	memory := vol != nil && vol.EmptyDir.Medium == corev1.StorageMediumMemory
	d := p.disk
	if d == nil {
		d = &podDisk{files: map[string]int64{}, volumes: map[string]int64{}, rootfs: map[string]int64{}}
		p.disk = d
	}
	if w.Remove {
		for _, f := range slices.Sorted(maps.Keys(d.files)) {
			if f == key || strings.HasPrefix(f, key+"/") {
				p.chargeFile(f, bucket, memory, -d.files[f])
			}
		}
		return
	}
	delta := w.Bytes
	if !w.Append {
		delta -= d.files[key]
	}
	if delta > 0 {
		room := k.diskCapacity - k.diskUsed
		if memory {
			room = k.allocatable.Memory + evictionHardMemory - d.tmpfs
			if l := vol.EmptyDir.SizeLimit; l != nil && l.Sign() > 0 {
				room = l.Value() - d.volumes[bucket]
			}
		}
		delta = max(min(delta, room), 0)
	}
	p.chargeFile(key, bucket, memory, delta)
}

// chargeFile grows (or shrinks) a file and what it is charged to.
func (p *podState) chargeFile(key, bucket string, memory bool, delta int64) {
	d, k := p.disk, p.k
	if d.files[key] += delta; d.files[key] <= 0 {
		delete(d.files, key)
	}
	switch {
	case memory:
		d.volumes[bucket] += delta
		d.tmpfs += delta
		k.tmpfsUsed += delta
		return
	case strings.HasPrefix(key, "v"):
		d.volumes[bucket] += delta
	default:
		d.rootfs[bucket] += delta
	}
	d.nodefs += delta
	k.diskUsed += delta
	if delta > 0 && !p.diskChanged {
		p.diskChanged = true
		k.diskDirty = append(k.diskDirty, p)
	}
}

// dropWritableLayer removes a container's writable layer (it is being
// replaced by a new container).
func (c *container) dropWritableLayer() {
	d := c.p.disk
	if d == nil || d.rootfs[c.spec.Name] == 0 {
		return
	}
	prefix := "c\x00" + c.spec.Name + "\x00"
	for _, f := range slices.Sorted(maps.Keys(d.files)) {
		if strings.HasPrefix(f, prefix) {
			c.p.chargeFile(f, c.spec.Name, false, -d.files[f])
		}
	}
}

// releaseDisk frees what a terminated pod held: its emptyDirs are torn
// down and its containers removed.
func (p *podState) releaseDisk() {
	if p.disk == nil {
		return
	}
	p.k.diskUsed -= p.disk.nodefs
	p.k.tmpfsUsed -= p.disk.tmpfs
	p.disk = nil
}

// scheduleWrites queues the container's file writes from its start; a
// write lands only if the same container instance is still there.
func (c *container) scheduleWrites() {
	id := c.id
	for _, w := range c.beh.Writes {
		c.p.k.after(w.At, "kubelet/write", func() {
			if c.id == id && c.state == cRunning && !c.p.finished && !c.p.evicted {
				c.diskWrite(w)
			}
		})
	}
}

// containerDisk is the container's ephemeral-storage use as the eviction
// manager counts it: its writable layer and logs.
func (c *container) containerDisk() int64 {
	n := int64(containerBaseBytes)
	if c.p.disk != nil {
		n += c.p.disk.rootfs[c.spec.Name]
	}
	return n
}

// podDiskUsage is the pod's ephemeral-storage use (containers' writable
// layers and logs, emptyDir volumes on disk) and request.
func (p *podState) podDiskUsage() (usage, request int64) {
	for _, c := range p.all() {
		if c.state != cWaiting || c.id != "" {
			usage += c.containerDisk()
		}
	}
	if p.disk != nil {
		usage += p.disk.nodefs - sumValues(p.disk.rootfs)
	}
	return usage, podEphemeralRequest(&p.pod.Spec)
}

func sumValues(m map[string]int64) (n int64) {
	for _, v := range m { // a sum: order-independent
		n += v
	}
	return n
}

// podEphemeralRequest is the pod's ephemeral-storage request: its app
// containers' sum, or its largest init container's if larger.
func podEphemeralRequest(spec *corev1.PodSpec) int64 {
	return podEphemeral(spec, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Requests })
}

// podEphemeralLimit is the pod's ephemeral-storage limit, computed as
// upstream's PodLimits (the containers that set one; ok false: none does).
func podEphemeralLimit(spec *corev1.PodSpec) (int64, bool) {
	n := podEphemeral(spec, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Limits })
	has := func(c corev1.Container) bool {
		_, ok := c.Resources.Limits[corev1.ResourceEphemeralStorage]
		return ok
	}
	return n, slices.ContainsFunc(spec.Containers, has) || slices.ContainsFunc(spec.InitContainers, has)
}

func podEphemeral(spec *corev1.PodSpec, list func(corev1.ResourceRequirements) corev1.ResourceList) int64 {
	var sum, initMax int64
	for _, c := range spec.Containers {
		if q, ok := list(c.Resources)[corev1.ResourceEphemeralStorage]; ok {
			sum += q.Value()
		}
	}
	for _, c := range spec.InitContainers {
		if q, ok := list(c.Resources)[corev1.ResourceEphemeralStorage]; ok {
			if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				sum += q.Value() // a sidecar runs beside the app containers
			} else {
				initMax = max(initMax, q.Value())
			}
		}
	}
	return max(sum, initMax)
}

// Local storage limit messages of the upstream eviction manager.
const (
	emptyDirMessageFmt                  = "Usage of EmptyDir volume %q exceeds the limit %q. "
	podEphemeralStorageMessageFmt       = "Pod ephemeral local storage usage exceeds the total limit of containers %s. "
	containerEphemeralStorageMessageFmt = "Container %s exceeded its local ephemeral storage limit %q. "
)

// localStorageEviction evicts the pods over a local storage limit, as
// upstream checks each pass: an emptyDir over its sizeLimit, the pod over
// its containers' total limit, a container over its own. Only pods that
// wrote since the last pass are looked at (nothing else changed). It
// reports whether it evicted any.
func (k *Kubelet) localStorageEviction() bool {
	if len(k.diskDirty) == 0 {
		return false
	}
	dirty := k.diskDirty
	k.diskDirty = nil
	evicted := false
	for _, p := range dirty {
		p.diskChanged = false
		if p.disk == nil || !p.sandbox || p.finished || p.evicted || p.terminating || isCritical(p.pod) {
			continue
		}
		if msg := p.localStorageViolation(); msg != "" {
			p.evictWith(msg, false)
			evicted = true
		}
	}
	return evicted
}

// localStorageViolation is the message of the first local storage limit
// the pod exceeds ("": none).
func (p *podState) localStorageViolation() string {
	d := p.disk
	for _, v := range p.pod.Spec.Volumes {
		if v.EmptyDir == nil {
			continue
		}
		if l := v.EmptyDir.SizeLimit; l != nil && l.Sign() > 0 && d.volumes[v.Name] > l.Value() {
			return fmt.Sprintf(emptyDirMessageFmt, v.Name, l.String())
		}
	}
	if l, ok := podEphemeralLimit(&p.pod.Spec); ok {
		if u, _ := p.podDiskUsage(); u > l {
			return fmt.Sprintf(podEphemeralStorageMessageFmt, resource.NewQuantity(l, resource.BinarySI).String())
		}
	}
	for _, c := range p.ctrs {
		if l, ok := c.spec.Resources.Limits[corev1.ResourceEphemeralStorage]; ok && !l.IsZero() && c.containerDisk() > l.Value() {
			return fmt.Sprintf(containerEphemeralStorageMessageFmt, c.spec.Name, l.String())
		}
	}
	return ""
}

// imageDiskBytes is what an image takes on the disk.
func imageDiskBytes(res images.Resolved) int64 { return res.SizeBytes * imageDiskFactor }

// imagesInUse are the images the node's live containers use (never
// garbage collected).
func (k *Kubelet) imagesInUse() map[string]bool {
	used := map[string]bool{}
	for _, p := range k.pods { // a set: order-independent
		if p.finished {
			continue
		}
		for _, c := range p.all() {
			used[c.image] = true
		}
	}
	return used
}

// freeImages deletes unused images (least recently used first, none
// younger than imageMinAge) until want bytes are freed; it returns what
// it freed.
func (k *Kubelet) freeImages(want int64) int64 {
	now := k.now()
	used := k.imagesInUse()
	var refs []string
	for ref, im := range k.images { // sorted below
		if im.present && !im.pulling && !used[ref] && now-im.firstSeen >= imageMinAge {
			refs = append(refs, ref)
		}
	}
	slices.SortFunc(refs, func(a, b string) int {
		ia, ib := k.images[a], k.images[b]
		return cmp.Or(cmp.Compare(ia.lastUsed, ib.lastUsed), cmp.Compare(ia.firstSeen, ib.firstSeen), strings.Compare(a, b))
	})
	freed := int64(0)
	for _, ref := range refs {
		if freed >= want {
			break
		}
		n := imageDiskBytes(k.images[ref].res)
		if k.lastImage.im == k.images[ref] {
			k.lastImage = lastImage{}
		}
		delete(k.images, ref)
		k.imagesChanged()
		k.diskUsed -= n
		freed += n
		k.node.changed = true
	}
	return freed
}

// imageGC is the image manager's periodic garbage collection: above the
// high threshold it frees images down to the low one, and says so when
// it cannot.
func (k *Kubelet) imageGC() {
	e := &k.eviction
	if k.diskCapacity == 0 || k.now()-e.imageGCAt < imageGCPeriod {
		return
	}
	e.imageGCAt = k.now()
	available := k.diskCapacity - k.diskUsed
	if 100-int(available*100/k.diskCapacity) < imageGCHighPercent {
		e.imageGCFailed = false
		return
	}
	want := k.diskCapacity*(100-imageGCLowPercent)/100 - available
	if freed := k.freeImages(want); freed < want {
		msg := fmt.Sprintf("Failed to garbage collect required amount of images. Attempted to free %d bytes, but only found %d bytes eligible to free.", want, freed)
		k.event(k.node.tmpl, corev1.EventTypeWarning, "FreeDiskSpaceFailed", msg)
		if e.imageGCFailed {
			k.event(k.node.tmpl, corev1.EventTypeWarning, "ImageGCFailed", msg)
		}
		e.imageGCFailed = true
		return
	}
	e.imageGCFailed = false
}
