package statefulset

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
)

// sync reconciles one StatefulSet: claim its pods, record the template
// revision, create, delete and roll pods as the policy allows, write
// status and trim history. Level triggered: everything is re-read from
// the store.
func (c *Controller) sync(key string) error {
	set, ok := controllerutil.Get[*appsv1.StatefulSet](c.Store, "StatefulSet", key)
	if !ok {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil || sel.Empty() || set.DeletionTimestamp != nil {
		return nil
	}
	objs, err := controllerutil.Claim(c.Client, "Pod", set, "StatefulSet", sel, set.Spec.Selector.MatchLabels)
	if err != nil {
		return err
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p := o.(*corev1.Pod); parentName(p) == set.Name {
			pods = append(pods, p)
		}
	}
	h, err := c.getRevisions(set)
	if err != nil {
		return err
	}
	r, err := newRun(c, set, h, pods)
	if err != nil {
		return err
	}
	actErr := r.update()
	r.completeRollingUpdate()
	if err := c.writeStatus(set, r.status); err != nil {
		return err
	}
	live := map[string]bool{}
	for _, p := range pods {
		live[p.Labels[RevisionLabel]] = true
	}
	if err := c.truncateHistory(set, h, live); err != nil {
		return err
	}
	if mrs := set.Spec.MinReadySeconds; mrs > 0 && r.status.AvailableReplicas != r.status.ReadyReplicas {
		c.Queue.AddAfter(key, time.Duration(mrs)*time.Second)
	}
	return actErr
}

// parentName is the set name a pod name "<set>-<ordinal>" belongs to.
func parentName(p *corev1.Pod) string {
	i := strings.LastIndexByte(p.Name, '-')
	if i < 0 || ordinalOf(p) < 0 {
		return ""
	}
	return p.Name[:i]
}

// ordinalOf is the pod's ordinal from its name, or -1.
func ordinalOf(p *corev1.Pod) int {
	i := strings.LastIndexByte(p.Name, '-')
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(p.Name[i+1:])
	if err != nil || n < 0 || strconv.Itoa(n) != p.Name[i+1:] {
		return -1
	}
	return n
}

// PodName is the name of a StatefulSet's pod with the given ordinal.
func PodName(set string, ordinal int) string { return set + "-" + strconv.Itoa(ordinal) }

func (c *Controller) writeStatus(set *appsv1.StatefulSet, st appsv1.StatefulSetStatus) error {
	st.Conditions = set.Status.Conditions
	if equality.Semantic.DeepEqual(set.Status, st) {
		return nil
	}
	cp := *set
	cp.Status = st
	_, err := c.Client.UpdateStatus(&cp)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// recordEvent emits upstream's pod-control event: reason Successful<Verb>
// or Failed<Verb>, "create Pod web-0 in StatefulSet web successful".
func (c *Controller) recordEvent(verb string, set *appsv1.StatefulSet, pod string, err error) {
	if err == nil {
		c.Client.Event(set, corev1.EventTypeNormal, "Successful"+verb,
			fmt.Sprintf("%s Pod %s in StatefulSet %s successful", strings.ToLower(verb), pod, set.Name))
		return
	}
	c.Client.Event(set, corev1.EventTypeWarning, "Failed"+verb,
		fmt.Sprintf("%s Pod %s in StatefulSet %s failed error: %s", strings.ToLower(verb), pod, set.Name, err))
}

func (c *Controller) createPod(set *appsv1.StatefulSet, pod *corev1.Pod) error {
	if err := c.createClaims(set, pod); err != nil {
		return err
	}
	_, err := c.Client.Create(pod)
	c.recordEvent("Create", set, pod.Name, err)
	return err
}

func (c *Controller) deletePod(set *appsv1.StatefulSet, pod *corev1.Pod) error {
	err := c.Client.Delete("Pod", pod.Namespace, pod.Name, apiserver.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	c.recordEvent("Delete", set, pod.Name, err)
	return err
}

// sortDesc sorts pods by decreasing ordinal (the scale-down order).
func sortDesc(pods []*corev1.Pod) {
	slices.SortFunc(pods, func(a, b *corev1.Pod) int { return ordinalOf(b) - ordinalOf(a) })
}

func itoa(n int) string { return strconv.Itoa(n) }
