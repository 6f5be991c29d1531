// Package disruption models kube-controller-manager's disruption
// controller: it keeps each PodDisruptionBudget's status (expected pods,
// current and desired healthy, disruptions allowed, the DisruptionAllowed
// condition) up to date, so `kubectl get pdb` shows ALLOWED DISRUPTIONS.
// Evictions themselves are decided by the API server from the same counts.
package disruption

import (
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the controller's client and event source name.
const Name = "disruption-controller"

// Controller keeps PodDisruptionBudget status.
type Controller struct {
	controllerutil.Base
}

// New returns a disruption controller.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg.WithDefaultQueue(), c.sync)
	c.Reconciles("PodDisruptionBudget", func(ev store.Event) {
		if ev.Type == store.Modified && statusOnly(ev.Old, ev.Object) {
			return // our own write
		}
		c.Queue.Add(store.KeyOf(ev.Object))
	})
	c.Handles("Pod", c.onPod)
	return c
}

func statusOnly(a, b store.Object) bool {
	return a.GetGeneration() == b.GetGeneration() && equality.Semantic.DeepEqual(a.GetLabels(), b.GetLabels())
}

// onPod queues the budgets selecting the pod (before or after the change).
// Most clusters have no budget: the pod's namespace is then not listed.
func (c *Controller) onPod(ev store.Event) {
	if c.Store.Len("PodDisruptionBudget") == 0 {
		return
	}
	for _, o := range c.Store.List("PodDisruptionBudget", ev.Object.GetNamespace()) {
		sel, err := metav1.LabelSelectorAsSelector(o.(*policyv1.PodDisruptionBudget).Spec.Selector)
		if err != nil {
			continue
		}
		// The pod as it is, then as it was.
		if sel.Matches(labels.Set(ev.Object.GetLabels())) || ev.Old != nil && sel.Matches(labels.Set(ev.Old.GetLabels())) {
			c.Queue.Add(store.KeyOf(o))
		}
	}
}

func (c *Controller) sync(key string) error {
	pdb, ok := controllerutil.Get[*policyv1.PodDisruptionBudget](c.Store, "PodDisruptionBudget", key)
	if !ok {
		return nil
	}
	st := Status(c.Store, pdb, metav1.NewTime(c.Engine.Now()))
	if equality.Semantic.DeepEqual(st, pdb.Status) {
		return nil
	}
	n := *pdb
	n.Status = st
	_, err := c.Client.UpdateStatus(&n)
	return err
}

// Status computes a budget's status at now (pure apart from reading the
// store): upstream's counts, the DisruptionAllowed condition with reason
// SufficientPods or InsufficientPods, and observedGeneration.
func Status(st *store.Store, pdb *policyv1.PodDisruptionBudget, now metav1.Time) policyv1.PodDisruptionBudgetStatus {
	expected, current, desired := apiserver.PDBCounts(st, pdb)
	out := policyv1.PodDisruptionBudgetStatus{
		ObservedGeneration: pdb.Generation,
		ExpectedPods:       expected,
		CurrentHealthy:     current,
		DesiredHealthy:     desired,
		DisruptionsAllowed: max(current-desired, 0),
		DisruptedPods:      pdb.Status.DisruptedPods,
		Conditions:         append([]metav1.Condition(nil), pdb.Status.Conditions...),
	}
	cond := metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionTrue,
		Reason: policyv1.SufficientPodsReason, ObservedGeneration: pdb.Generation, LastTransitionTime: now}
	if out.DisruptionsAllowed == 0 {
		cond.Status, cond.Reason = metav1.ConditionFalse, policyv1.InsufficientPodsReason
	}
	apimeta.SetStatusCondition(&out.Conditions, cond)
	return out
}
