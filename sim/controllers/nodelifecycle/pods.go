package nodelifecycle

import (
	"errors"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
)

// Pod event the controller records when it marks a pod not ready.
const (
	ReasonNodeNotReady  = "NodeNotReady"
	MessageNodeNotReady = "Node is not ready"
)

// markPodsNotReady is upstream's MarkPodsNotReady: each pod's Ready
// condition goes False (its reason and message are left as they were, the
// transition time moves to now) and the pod gets a NodeNotReady warning.
func (c *Controller) markPodsNotReady(pods []*corev1.Pod, node string) error {
	var errs []error
	for _, p := range pods {
		if p.Spec.NodeName != node {
			continue
		}
		i := readyIndex(p)
		if i < 0 || p.Status.Conditions[i].Status == corev1.ConditionFalse {
			continue
		}
		cp := p.DeepCopy()
		cond := &cp.Status.Conditions[i]
		cond.Status = corev1.ConditionFalse
		cond.LastTransitionTime = metav1.NewTime(c.Engine.Now())
		if _, err := c.Client.UpdateStatus(cp); err != nil {
			if !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
			continue
		}
		c.events.Event(p, corev1.EventTypeWarning, ReasonNodeNotReady, MessageNodeNotReady)
	}
	return errors.Join(errs...)
}

func readyIndex(p *corev1.Pod) int {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			return i
		}
	}
	return -1
}

// processPod marks a pod that was bound to an unhealthy node not ready.
func (c *Controller) processPod(key string) error {
	pod, ok := controllerutil.Get[*corev1.Pod](c.Store, "Pod", key)
	if !ok {
		return nil
	}
	h := c.healthOf(pod.Spec.NodeName)
	if h == nil || !h.hasCond {
		return nil
	}
	if _, ok := c.Store.Get("Node", "", pod.Spec.NodeName); !ok {
		return errors.New("nodelifecycle: node " + pod.Spec.NodeName + " not found")
	}
	if h.cond.Status == corev1.ConditionTrue {
		return nil
	}
	return c.markPodsNotReady([]*corev1.Pod{pod}, pod.Spec.NodeName)
}
