package kubelet

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Volume timing: the EBS attach of a new volume (AttachVolume until the
// device shows up), how often the volume manager retries a mount that
// failed, and how long a pod waits before the kubelet reports it gave up
// waiting (upstream's 2m3s WaitForAttachAndMount timeout).
const (
	attachLatency = 2 * time.Second
	mountRetry    = 2 * time.Second
	mountTimeout  = 2*time.Minute + 3*time.Second
	configRetry   = 10 * time.Second
)

// mountVolumes resolves the pod's volumes before its sandbox starts, as
// the kubelet's volume manager does: configMap, secret and projected
// volumes need their objects (unless optional), persistentVolumeClaim
// volumes need a bound claim whose volume is then attached. A missing
// object gives FailedMount events and the pod stays ContainerCreating
// until it appears. Then the sandbox starts (createSandbox, called
// directly rather than passed: a method value is one more allocation per
// pod).
func (p *podState) mountVolumes() {
	p.mountStart = p.k.now()
	p.tryMount()
}

func (p *podState) tryMount() {
	k := p.k
	if p.deleted || p.terminating {
		return
	}
	errs, waiting, attach := p.checkVolumes()
	for _, e := range errs {
		k.event(p.pod, corev1.EventTypeWarning, "FailedMount", e)
	}
	if len(errs) == 0 && len(waiting) == 0 {
		if len(attach) == 0 {
			p.createSandbox()
			return
		}
		p.timer = k.after(k.jitter(attachLatency, 0.3), "kubelet/attach", func() {
			p.timer = nil
			for _, pv := range attach {
				k.event(p.pod, corev1.EventTypeNormal, "SuccessfulAttachVolume", fmt.Sprintf("AttachVolume.Attach succeeded for volume %q", pv))
				p.attached = append(p.attached, pv)
			}
			p.createSandbox()
		})
		return
	}
	if len(waiting) > 0 && k.now()-p.mountStart >= mountTimeout && !p.mountTimedOut {
		p.mountTimedOut = true
		names := strings.Join(waiting, " ")
		k.event(p.pod, corev1.EventTypeWarning, "FailedMount",
			fmt.Sprintf("Unable to attach or mount volumes: unmounted volumes=[%s], unattached volumes=[%s]: timed out waiting for the condition", names, names))
	}
	retry := mountRetry
	if len(errs) > 0 {
		retry = configRetry
	}
	p.timer = k.after(retry, "kubelet/mount", func() {
		p.timer = nil
		p.tryMount()
	})
}

// checkVolumes: mount errors (FailedMount messages), volumes still
// waiting for their claim to bind, and bound volumes not yet attached.
func (p *podState) checkVolumes() (errs, waiting, attach []string) {
	k := p.k
	ns := p.pod.Namespace
	for i := range p.pod.Spec.Volumes {
		v := &p.pod.Spec.Volumes[i]
		// The message is built only for a volume that fails, not for
		// every volume of every pod.
		failed := func(err string) string {
			return fmt.Sprintf("MountVolume.SetUp failed for volume %q : ", v.Name) + err
		}
		switch {
		case v.ConfigMap != nil:
			if err := k.payloadError("ConfigMap", ns, v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional); err != "" {
				errs = append(errs, failed(err))
			}
		case v.Secret != nil:
			if err := k.payloadError("Secret", ns, v.Secret.SecretName, v.Secret.Items, v.Secret.Optional); err != "" {
				errs = append(errs, failed(err))
			}
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					if err := k.payloadError("ConfigMap", ns, s.ConfigMap.Name, s.ConfigMap.Items, s.ConfigMap.Optional); err != "" {
						errs = append(errs, failed(err))
					}
				}
				if s.Secret != nil {
					if err := k.payloadError("Secret", ns, s.Secret.Name, s.Secret.Items, s.Secret.Optional); err != "" {
						errs = append(errs, failed(err))
					}
				}
			}
		case v.PersistentVolumeClaim != nil:
			o, ok := k.store.Get("PersistentVolumeClaim", ns, v.PersistentVolumeClaim.ClaimName)
			if !ok {
				errs = append(errs, fmt.Sprintf("Unable to attach or mount volumes: unmounted volumes=[%s]: error processing PVC %s/%s: PVC %s/%s not found",
					v.Name, ns, v.PersistentVolumeClaim.ClaimName, ns, v.PersistentVolumeClaim.ClaimName))
				continue
			}
			pvc := o.(*corev1.PersistentVolumeClaim)
			if pvc.Spec.VolumeName == "" || pvc.Status.Phase != corev1.ClaimBound {
				waiting = append(waiting, v.Name)
				continue
			}
			if !slices.Contains(p.attached, pvc.Spec.VolumeName) {
				attach = append(attach, pvc.Spec.VolumeName)
			}
		}
	}
	return errs, waiting, attach
}

// configKeys reports which keys the ConfigMap or Secret (kind) ns/name
// holds, or false when it does not exist.
func (k *Kubelet) configKeys(kind, ns, name string) (keys payloadKeys, ok bool) {
	o, ok := k.store.Get(kind, ns, name)
	if !ok {
		return payloadKeys{}, false
	}
	switch o := o.(type) {
	case *corev1.ConfigMap:
		return payloadKeys{o.Data, o.BinaryData}, true
	case *corev1.Secret:
		return payloadKeys{o.StringData, o.Data}, true
	}
	return payloadKeys{}, false
}

// payloadKeys are the keys of a ConfigMap's or Secret's payload
// (volumeutil.Payload's), looked up in the object's own maps: every pod's
// service account volume checks its ConfigMap, which must not copy it.
type payloadKeys struct {
	text   map[string]string
	binary map[string][]byte
}

func (p payloadKeys) has(key string) bool {
	_, text := p.text[key]
	_, binary := p.binary[key]
	return text || binary
}

// notFound is the kubelet's message for a missing ConfigMap or Secret.
func notFound(kind, name string) string {
	return fmt.Sprintf("%s %q not found", strings.ToLower(kind), name)
}

// payloadError is why a configMap or secret volume (or projection) cannot
// be set up, as the kubelet's configmap and secret plugins word it, or
// "": the object (kind) is missing, or an item names a key it lacks
// (unless optional).
func (k *Kubelet) payloadError(kind, ns, name string, items []corev1.KeyToPath, optional *bool) string {
	if ptr.Deref(optional, false) {
		return ""
	}
	keys, ok := k.configKeys(kind, ns, name)
	if !ok {
		return notFound(kind, name)
	}
	for _, it := range items {
		switch {
		case keys.has(it.Key):
		case kind == "Secret":
			return "references non-existent secret key: " + it.Key
		default:
			return "configmap references non-existent config key: " + it.Key
		}
	}
	return ""
}

// containerConfigError is why a container's environment cannot be built
// (upstream's makeEnvironmentVariables): a ConfigMap or Secret it names
// is missing, or lacks a key, and is not optional. "" when it can start.
func (k *Kubelet) containerConfigError(pod *corev1.Pod, c *corev1.Container) string {
	ns := pod.Namespace
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			if _, ok := k.store.Get("ConfigMap", ns, ef.ConfigMapRef.Name); !ok && !ptr.Deref(ef.ConfigMapRef.Optional, false) {
				return notFound("ConfigMap", ef.ConfigMapRef.Name)
			}
		case ef.SecretRef != nil:
			if _, ok := k.store.Get("Secret", ns, ef.SecretRef.Name); !ok && !ptr.Deref(ef.SecretRef.Optional, false) {
				return notFound("Secret", ef.SecretRef.Name)
			}
		}
	}
	for _, e := range c.Env {
		var kind, name, key string
		var optional *bool
		switch r := e.ValueFrom; {
		case r == nil:
			continue
		case r.ConfigMapKeyRef != nil:
			kind, name, key, optional = "ConfigMap", r.ConfigMapKeyRef.Name, r.ConfigMapKeyRef.Key, r.ConfigMapKeyRef.Optional
		case r.SecretKeyRef != nil:
			kind, name, key, optional = "Secret", r.SecretKeyRef.Name, r.SecretKeyRef.Key, r.SecretKeyRef.Optional
		default:
			continue
		}
		if ptr.Deref(optional, false) {
			continue
		}
		keys, ok := k.configKeys(kind, ns, name)
		if !ok {
			return notFound(kind, name)
		}
		if !keys.has(key) {
			return fmt.Sprintf("couldn't find key %s in %s %s/%s", key, kind, ns, name)
		}
	}
	return ""
}
