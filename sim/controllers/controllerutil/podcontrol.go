package controllerutil

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// Event reasons of upstream's pod control (pkg/controller's RealPodControl),
// shared by every controller that creates or deletes pods for an owner.
const (
	SuccessfulCreate = "SuccessfulCreate"
	FailedCreate     = "FailedCreate"
	SuccessfulDelete = "SuccessfulDelete"
	FailedDelete     = "FailedDelete"
)

// CreatePod creates pod for owner and records the event upstream's pod
// control records: "Created pod: NAME", or a warning "Error creating: ERR".
func (b *Base) CreatePod(owner store.Object, pod *corev1.Pod) (*corev1.Pod, error) {
	out, err := b.Client.Create(pod)
	if err != nil {
		return nil, b.createFailed(owner, err)
	}
	return b.created(owner, out.(*corev1.Pod)), nil
}

// CreateBatchPod is CreatePod for the next pod of batch: a controller that
// creates many pods from one template at once validates what they share
// once (apiserver.PodBatch).
func (b *Base) CreateBatchPod(owner store.Object, batch *apiserver.PodBatch) (*corev1.Pod, error) {
	out, err := batch.Create()
	if err != nil {
		return nil, b.createFailed(owner, err)
	}
	return b.created(owner, out), nil
}

func (b *Base) created(owner store.Object, pod *corev1.Pod) *corev1.Pod {
	b.Client.Event(owner, corev1.EventTypeNormal, SuccessfulCreate, "Created pod: "+pod.Name)
	return pod
}

func (b *Base) createFailed(owner store.Object, err error) error {
	b.Client.Event(owner, corev1.EventTypeWarning, FailedCreate, fmt.Sprintf("Error creating: %v", err))
	return err
}

// DeletePod deletes pod for owner and records "Deleted pod: NAME", or a
// warning "Error deleting: ERR". A pod already gone is returned as
// NotFound without an event, as upstream: it is what the owner wanted.
func (b *Base) DeletePod(owner store.Object, pod *corev1.Pod) error {
	err := b.Client.Delete("Pod", pod.Namespace, pod.Name, apiserver.DeleteOptions{})
	switch {
	case err == nil:
		b.Client.Event(owner, corev1.EventTypeNormal, SuccessfulDelete, "Deleted pod: "+pod.Name)
	case !apierrors.IsNotFound(err):
		b.Client.Event(owner, corev1.EventTypeWarning, FailedDelete, fmt.Sprintf("Error deleting: %v", err))
	}
	return err
}

// DeletePods deletes pods for owner, each one's deletion already expected
// under key in exp: a deletion that fails is observed at once, since no
// watch event will report it. It returns the first error other than
// NotFound (a pod already gone is what the owner wanted), as upstream's
// ReplicaSet and DaemonSet controllers do after their deletions.
func (b *Base) DeletePods(exp *Expectations, key string, owner store.Object, pods []*corev1.Pod) error {
	var first error
	for _, p := range pods {
		if err := b.DeletePod(owner, p); err != nil {
			exp.DeletionObserved(key, store.KeyOf(p))
			if first == nil && !apierrors.IsNotFound(err) {
				first = err
			}
		}
	}
	return first
}
