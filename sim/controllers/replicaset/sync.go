package replicaset

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// sync reconciles one ReplicaSet: claim its pods, create or delete the
// difference if the watch has caught up with earlier actions, then write
// status. Level triggered: everything is re-read from the store.
func (c *Controller) sync(key string) error {
	obj, ok := controllerutil.Get[store.Object](c.Store, c.kind.kind, key)
	if !ok {
		c.exp.Delete(key)
		return nil
	}
	rs := c.kind.view(obj)
	needsSync := c.exp.Satisfied(key)
	sel, err := c.sels.Selector(rs.UID, rs.Spec.Selector)
	if err != nil {
		return nil // invalid selector: nothing to do until it changes
	}
	var want []labelPair // the template's labels, listed for the first pod read
	claimed, err := c.claims.Claim(c.Client, "Pod", rs, c.kind.kind, sel, rs.Spec.Selector.MatchLabels,
		func(o store.Object) podFacts {
			if want == nil {
				want = labelPairs(rs.Spec.Template.Labels)
			}
			return factsOf(o.(*corev1.Pod), want)
		})
	if err != nil {
		return err
	}
	now := c.Engine.Now()
	mnow := metav1.NewTime(now)
	var n counts
	for _, cl := range claimed {
		n.add(cl.Object.(*corev1.Pod), cl.Value, rs.Spec.MinReadySeconds, mnow)
	}
	var manageErr error
	if needsSync && rs.DeletionTimestamp == nil {
		manageErr = c.manageReplicas(key, obj, rs, claimed, n.replicas)
	}
	status := statusOf(rs, n, manageErr, mnow)
	out, err := c.updateStatus(obj, rs, status)
	if err != nil {
		return err
	}
	if manageErr == nil && out.Spec.MinReadySeconds > 0 && out.Status.ReadyReplicas == *out.Spec.Replicas &&
		out.Status.AvailableReplicas != *out.Spec.Replicas {
		c.Queue.AddAfter(key, time.Duration(out.Spec.MinReadySeconds)*time.Second)
	}
	return manageErr
}

// activePods keeps the claimed pods that count as replicas: not finished
// and not being deleted (so a replacement is created as soon as deletion
// starts).
func activePods(claimed []controllerutil.Claimed[podFacts]) []*corev1.Pod {
	var out []*corev1.Pod
	for _, cl := range claimed {
		if cl.Value&factActive != 0 {
			out = append(out, cl.Object.(*corev1.Pod))
		}
	}
	return out
}

// manageReplicas creates or deletes the difference between the active
// claimed pods and spec.replicas; owner is the stored object (events name
// it), rs its ReplicaSet view.
func (c *Controller) manageReplicas(key string, owner store.Object, rs *appsv1.ReplicaSet, claimed []controllerutil.Claimed[podFacts], active int32) error {
	diff := int(active) - int(*rs.Spec.Replicas)
	switch {
	case diff < 0:
		return c.createPods(key, owner, rs, min(-diff, c.Config.BurstReplicas))
	case diff > 0:
		return c.deletePods(key, owner, rs, activePods(claimed), min(diff, c.Config.BurstReplicas))
	}
	return nil
}

func (c *Controller) createPods(key string, owner store.Object, rs *appsv1.ReplicaSet, n int) error {
	c.exp.ExpectCreations(key, n)
	refs := []metav1.OwnerReference{controllerutil.NewControllerRef(rs, c.kind.kind)}
	// The pods are alike: what they share is validated once.
	batch := c.Client.NewPodBatch(controllerutil.SharedPodFromTemplate(&rs.Spec.Template, rs, refs))
	ok, err := controllerutil.SlowStartBatch(n, controllerutil.SlowStartInitialBatchSize, func() error {
		_, err := c.CreateBatchPod(owner, batch)
		if err != nil && apierrors.IsForbidden(err) && c.namespaceTerminating(rs.Namespace) {
			return nil
		}
		return err
	})
	for i := ok; i < n; i++ {
		c.exp.CreationObserved(key)
	}
	return err
}

func (c *Controller) namespaceTerminating(ns string) bool {
	o, ok := c.Store.Get("Namespace", "", ns)
	return ok && o.GetDeletionTimestamp() != nil
}

func (c *Controller) deletePods(key string, owner store.Object, rs *appsv1.ReplicaSet, active []*corev1.Pod, n int) error {
	victims := controllerutil.PodsToDelete(active, c.relatedPods(rs), n, c.Engine.Now())
	keys := make([]string, len(victims))
	for i, p := range victims {
		keys[i] = store.KeyOf(p)
	}
	c.exp.ExpectDeletions(key, keys)
	return c.DeletePods(c.exp, key, owner, victims)
}

// relatedPods are the pods of every ReplicaSet controlled by the same
// owner as rs (the Deployment's old and new ReplicaSets), used to prefer
// deleting pods on nodes crowded with them. A ReplicaSet without a
// controller has none, as upstream.
func (c *Controller) relatedPods(rs *appsv1.ReplicaSet) []*corev1.Pod {
	ref := podutil.ControllerOf(rs)
	if ref == nil {
		return nil
	}
	var out []*corev1.Pod
	for _, o := range c.Store.ByIndex(c.kind.kind, store.OwnerIndex, string(ref.UID)) {
		if r := podutil.ControllerOf(o); r == nil || r.UID != ref.UID {
			continue
		}
		for _, p := range controllerutil.ControlledBy(c.Store, "Pod", o) {
			out = append(out, p.(*corev1.Pod))
		}
	}
	return out
}

func (c *Controller) updateStatus(owner store.Object, rs *appsv1.ReplicaSet, status appsv1.ReplicaSetStatus) (*appsv1.ReplicaSet, error) {
	status.ObservedGeneration = rs.Generation
	if statusEqual(rs.Status, status) {
		return rs, nil
	}
	out, err := c.Client.UpdateStatus(c.kind.withStatus(&c.carrier, owner, status))
	c.carrier = appsv1.ReplicaSet{} // it holds no status between writes
	if err != nil {
		return nil, err
	}
	return c.kind.view(out), nil
}
