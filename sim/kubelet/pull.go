package kubelet

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
)

// imageState is one image reference on the node: present, or being pulled.
type imageState struct {
	// ref is the reference (its key in k.images) and id the image ID
	// (set once pulled): every container of the image, and its status,
	// shares these two strings.
	ref, id string
	res     images.Resolved
	present bool
	pulling bool
	// firstSeen and lastUsed order the image garbage collection.
	firstSeen, lastUsed time.Duration
	waiters             []func(images.Resolved, error)
}

// Pull timing: a registry round trip (token, manifest, config) before
// the layers stream at the node's bandwidth, shared by concurrent pulls.
const (
	pullLatency     = 500 * time.Millisecond
	pullFailLatency = 800 * time.Millisecond
	pullUIPause     = time.Second // ErrImagePull -> ImagePullBackOff
)

// ensureImage follows the kubelet's image manager: pull policy, the
// node's image cache, events, pull back-off.
func (k *Kubelet) ensureImage(c *container) {
	image := c.spec.Image
	var im *imageState
	key, ok := "", false
	if last := k.lastImage; last.im != nil && last.name == image {
		im, key, ok = last.im, last.im.ref, true
	} else {
		key, ok = k.imageKeys[image]
	}
	if !ok {
		ref, err := images.Parse(image)
		if err != nil {
			msg := fmt.Sprintf("Failed to apply default image tag %q: couldn't parse image name %q: %v", image, image, err)
			k.event(c.p.pod, corev1.EventTypeWarning, "InspectFailed", msg)
			c.toWaiting("InvalidImageName", msg)
			return
		}
		key = ref.String()
		if k.imageKeys == nil {
			k.imageKeys = map[string]string{}
		}
		k.imageKeys[image] = key
	}
	if im == nil {
		if im = k.images[key]; im != nil {
			k.lastImage = lastImage{image, im}
		}
	}
	present := im != nil && im.present
	switch policy := c.spec.ImagePullPolicy; {
	case policy == corev1.PullNever && !present:
		msg := fmt.Sprintf("Container image %q is not present with pull policy of Never", image)
		k.event(c.p.pod, corev1.EventTypeWarning, "ErrImageNeverPull", msg)
		c.toWaiting("ErrImageNeverPull", msg)
		return
	case present && policy != corev1.PullAlways:
		k.event(c.p.pod, corev1.EventTypeNormal, "Pulled", k.message(msgPresent, image))
		c.create(im)
		return
	}
	k.event(c.p.pod, corev1.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", image))
	start := k.now()
	c.pulling = true
	restarts := c.restarts
	ref, _ := images.Parse(image) // parsed before: it is in imageKeys
	k.pull(ref, func(res images.Resolved, err error) {
		if !c.pulling || c.restarts != restarts || c.p.deleted || c.p.terminating {
			return
		}
		c.pulling = false
		if err != nil {
			c.pullFailed(err)
			return
		}
		d := roundDuration(k.now() - start)
		k.event(c.p.pod, corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Successfully pulled image %q in %s (%s including waiting). Image size: %d bytes.", image, d, d, res.SizeBytes))
		c.create(k.images[key]) // there (and present) while its pull's waiters run
	})
}

// lastImage is an image name as containers give it and its entry in
// Kubelet.images (imageKeys, then images, would find the same).
type lastImage struct {
	name string
	im   *imageState
}

// pullFailed: ErrImagePull now, ImagePullBackOff shortly after, a new
// attempt when the back-off (10 s doubling to 300 s) expires.
func (c *container) pullFailed(err error) {
	k := c.p.k
	image := c.spec.Image
	pod := c.p.pod
	k.event(pod, corev1.EventTypeWarning, "Failed", fmt.Sprintf("Failed to pull image %q: %v", image, err))
	k.event(pod, corev1.EventTypeWarning, "Failed", "Error: ErrImagePull")
	c.toWaiting("ErrImagePull", err.Error())
	now := k.now()
	b := c.backoffs()
	if b.pull == 0 || now-b.pullUpdated > backoffReset {
		b.pull = backoffInitial
	} else {
		b.pull = min(2*b.pull, backoffMax)
	}
	b.pullUpdated = now
	delay := b.pull
	c.after(pullUIPause, "kubelet/pullbackoff", func(*container) {
		k.event(pod, corev1.EventTypeNormal, "BackOff", fmt.Sprintf("Back-off pulling image %q", image))
		k.event(pod, corev1.EventTypeWarning, "Failed", "Error: ImagePullBackOff")
		c.toWaiting("ImagePullBackOff", fmt.Sprintf("Back-off pulling image %q: ErrImagePull: %v", image, err))
		c.after(delay-pullUIPause, "kubelet/pullretry", (*container).begin)
	})
}

// pull fetches an image, joining a pull of the same reference already
// under way (containerd deduplicates them).
func (k *Kubelet) pull(ref images.Ref, done func(images.Resolved, error)) {
	key := ref.String()
	im := k.images[key]
	if im == nil {
		im = &imageState{ref: key}
		k.images[key] = im
	}
	im.waiters = append(im.waiters, done)
	if im.pulling {
		return
	}
	im.pulling = true
	k.inflight++
	res, err := k.cfg.Images.Resolve(ref)
	d := pullFailLatency
	if err == nil {
		d = pullLatency
		if !im.present {
			d += time.Duration(float64(res.SizeBytes) / (k.pullMiBps * (1 << 20)) * float64(time.Second) * float64(k.inflight))
		}
	}
	d = time.Duration(k.pullRnd.Jitter(int64(d), 0.2))
	k.after(d, "kubelet/pull", func() {
		im.pulling = false
		k.inflight--
		if err == nil {
			if !im.present {
				k.node.changed = true
				im.firstSeen = k.now()
				k.diskUsed += imageDiskBytes(res)
			}
			im.res, im.id, im.present = res, res.ImageID(), true
			k.imagesChanged()
		}
		waiters := im.waiters
		im.waiters = nil
		for _, w := range waiters {
			w(res, err)
		}
	})
}

// resetPulls forgets pulls interrupted by a machine failure.
func (k *Kubelet) resetPulls() {
	for _, im := range k.images { // order-independent
		im.pulling, im.waiters = false, nil
	}
	k.inflight = 0
}
