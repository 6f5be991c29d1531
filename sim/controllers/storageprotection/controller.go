// Package storageprotection models kube-controller-manager's PVC and PV
// protection controllers (pkg/controller/volume/pvcprotection and
// pvprotection). The API server's StorageObjectInUseProtection admission
// gives every claim the kubernetes.io/pvc-protection finalizer and every
// volume kubernetes.io/pv-protection; these controllers remove them once
// the object being deleted is no longer in use, so a claim a running pod
// mounts stays Terminating until the pod is gone, and a volume stays
// Terminating while it is bound.
package storageprotection

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/volumeutil"
)

// Names of the two controllers (their clients).
const (
	PVCName = "pvc-protection-controller"
	PVName  = "pv-protection-controller"
)

// The finalizers (upstream's names).
const (
	PVCFinalizer = volumeutil.PVCProtectionFinalizer
	PVFinalizer  = volumeutil.PVProtectionFinalizer
)

// Controller is both protection controllers: claims are queued by their
// namespace/name key, volumes by "/" and their name.
type Controller struct {
	controllerutil.Base
	pvClient *apiserver.Client
}

// New returns the controllers; pvcClient and pvClient are the clients
// each writes with.
func New(engine *sim.Engine, pvcClient, pvClient *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{pvClient: pvClient}
	c.Base = controllerutil.NewBase(engine, pvcClient, PVCName, cfg, c.sync)
	c.Handles("PersistentVolumeClaim", func(ev store.Event) {
		if ev.Type != store.Deleted && ev.Object.GetDeletionTimestamp() != nil {
			c.Queue.Add(store.KeyOf(ev.Object))
		}
	})
	c.Handles("PersistentVolume", func(ev store.Event) {
		if ev.Type != store.Deleted && ev.Object.GetDeletionTimestamp() != nil {
			c.Queue.Add("/" + ev.Object.GetName())
		}
	})
	c.Handles("Pod", func(ev store.Event) {
		pod := ev.Object.(*corev1.Pod)
		if ev.Type != store.Deleted && !terminal(pod) {
			return // a live pod only ever holds a claim in use
		}
		for _, name := range volumeutil.PodClaims(pod) {
			if o, ok := c.Store.Get("PersistentVolumeClaim", pod.Namespace, name); ok && o.GetDeletionTimestamp() != nil {
				c.Queue.Add(store.KeyOf(o))
			}
		}
	})
	c.OnStart(func() {
		for _, o := range c.Store.List("PersistentVolumeClaim", "") {
			if o.GetDeletionTimestamp() != nil {
				c.Queue.Add(store.KeyOf(o))
			}
		}
		for _, o := range c.Store.List("PersistentVolume", "") {
			if o.GetDeletionTimestamp() != nil {
				c.Queue.Add("/" + o.GetName())
			}
		}
	})
	return c
}

func terminal(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

func (c *Controller) sync(key string) error {
	ns, name := store.SplitKey(key)
	if ns == "" {
		return c.syncVolume(name)
	}
	o, ok := c.Store.Get("PersistentVolumeClaim", ns, name)
	if !ok || o.GetDeletionTimestamp() == nil || !slices.Contains(o.GetFinalizers(), PVCFinalizer) {
		return nil
	}
	if c.claimInUse(o.(*corev1.PersistentVolumeClaim)) {
		return nil // the pod's deletion queues the claim again
	}
	return removeFinalizer(c.Client, o, PVCFinalizer)
}

// claimInUse: a scheduled pod that has not finished mounts the claim (the
// kubelet refuses to start a pod whose claim is being deleted, so an
// unscheduled pod never will).
func (c *Controller) claimInUse(pvc *corev1.PersistentVolumeClaim) bool {
	for _, o := range c.Store.List("Pod", pvc.Namespace) {
		pod := o.(*corev1.Pod)
		if pod.Spec.NodeName == "" || terminal(pod) {
			continue
		}
		if slices.Contains(volumeutil.PodClaims(pod), pvc.Name) {
			return true
		}
	}
	return false
}

// syncVolume: a volume being deleted keeps its finalizer while it is
// bound to a claim.
func (c *Controller) syncVolume(name string) error {
	o, ok := c.Store.Get("PersistentVolume", "", name)
	if !ok || o.GetDeletionTimestamp() == nil || !slices.Contains(o.GetFinalizers(), PVFinalizer) {
		return nil
	}
	if o.(*corev1.PersistentVolume).Status.Phase == corev1.VolumeBound {
		return nil // the binder's phase change queues it again
	}
	return removeFinalizer(c.pvClient, o, PVFinalizer)
}

func removeFinalizer(client *apiserver.Client, o store.Object, fin string) error {
	n := o.DeepCopyObject().(store.Object)
	n.SetFinalizers(slices.DeleteFunc(slices.Clone(n.GetFinalizers()), func(f string) bool { return f == fin }))
	_, err := client.Update(n)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
