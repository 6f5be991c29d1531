// Package namespace models kube-controller-manager's namespace controller
// (pkg/controller/namespace): a namespace being deleted has all its
// content deleted, is re-checked until the content is gone (pods take
// their grace period), reports progress in its status conditions like
// upstream, and is finally removed.
package namespace

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Config tunes the controller: the informer delay and queue timing every
// controller has, and the recheck delay.
type Config struct {
	controllerutil.Config
	// RecheckDelay is how soon a namespace whose remaining content has no
	// grace period to wait for is checked again.
	RecheckDelay time.Duration
}

// DefaultRecheckDelay is how soon a namespace is checked again by default.
const DefaultRecheckDelay = 5 * time.Second

// Controller is the namespace controller.
type Controller struct {
	controllerutil.Base
	recheck time.Duration
	kinds   []string
}

// New returns a namespace controller writing through client (upstream
// "namespace-controller").
func New(engine *sim.Engine, client *apiserver.Client, cfg Config) *Controller {
	c := &Controller{recheck: cmp.Or(cfg.RecheckDelay, DefaultRecheckDelay)}
	for _, k := range store.Kinds() {
		if info, _ := store.LookupKind(k); info.Namespaced {
			c.kinds = append(c.kinds, k)
		}
	}
	slices.Sort(c.kinds)
	c.Base = controllerutil.NewBase(engine, client, "namespace-controller", cfg.WithDefaultQueue(), c.sync)
	c.Handles("Namespace", func(ev store.Event) {
		if ev.Type != store.Deleted && ev.Object.GetDeletionTimestamp() != nil {
			c.Queue.Add(ev.Object.GetName())
		}
	})
	c.OnStart(func() {
		for _, o := range c.Store.List("Namespace", "") {
			if o.GetDeletionTimestamp() != nil {
				c.Queue.Add(o.GetName())
			}
		}
	})
	return c
}

// remaining counts what is left of a namespace's content.
type remaining struct {
	byResource  map[string]int // "pods." / "deployments.apps" -> count
	byFinalizer map[string]int
	wait        time.Duration // longest pod grace period still running
}

func (c *Controller) sync(name string) error {
	o, ok := c.Store.Get("Namespace", "", name)
	if !ok || o.GetDeletionTimestamp() == nil {
		return nil
	}
	rem, errs := c.deleteAllContent(name)
	if err := c.updateConditions(o.(*corev1.Namespace), rem, errs); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if len(errs) > 0 {
		return errs[0]
	}
	if len(rem.byResource) > 0 {
		d := rem.wait
		if d <= 0 {
			d = c.recheck
		}
		c.Queue.AddAfter(name, d)
		return nil
	}
	err := c.Client.FinalizeNamespace(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// deleteAllContent deletes every object of every namespaced kind in ns
// (kinds in name order) and counts what is still there.
func (c *Controller) deleteAllContent(ns string) (remaining, []error) {
	rem := remaining{byResource: map[string]int{}, byFinalizer: map[string]int{}}
	var errs []error
	now := c.Engine.Elapsed()
	for _, kind := range c.kinds {
		info, _ := store.LookupKind(kind)
		for _, obj := range c.Store.List(kind, ns) {
			if obj.GetDeletionTimestamp() == nil {
				err := c.Client.Delete(kind, ns, obj.GetName(), apiserver.DeleteOptions{Propagation: metav1.DeletePropagationBackground})
				if err != nil && !apierrors.IsNotFound(err) {
					errs = append(errs, err)
				}
			}
			cur, ok := c.Store.Get(kind, ns, obj.GetName())
			if !ok {
				continue
			}
			rem.byResource[info.Resource+"."+info.GroupVersion.Group]++
			for _, f := range cur.GetFinalizers() {
				rem.byFinalizer[f]++
			}
			if dt := cur.GetDeletionTimestamp(); dt != nil && kind == "Pod" {
				if left := dt.Sub(c.Engine.Start()) - now; left > rem.wait {
					rem.wait = left
				}
			}
		}
	}
	return rem, errs
}

// Condition reasons and messages when all is well, as upstream.
var okConditions = []corev1.NamespaceCondition{
	{Type: corev1.NamespaceDeletionDiscoveryFailure, Reason: "ResourcesDiscovered", Message: "All resources successfully discovered"},
	{Type: corev1.NamespaceDeletionGVParsingFailure, Reason: "ParsedGroupVersions", Message: "All legacy kube types successfully parsed"},
	{Type: corev1.NamespaceDeletionContentFailure, Reason: "ContentDeleted", Message: "All content successfully deleted, may be waiting on finalization"},
	{Type: corev1.NamespaceContentRemaining, Reason: "ContentRemoved", Message: "All content successfully removed"},
	{Type: corev1.NamespaceFinalizersRemaining, Reason: "ContentHasNoFinalizers", Message: "All content-preserving finalizers finished"},
}

// conditions computes the namespace's deletion conditions.
func conditions(rem remaining, errs []error) []corev1.NamespaceCondition {
	out := make([]corev1.NamespaceCondition, len(okConditions))
	copy(out, okConditions)
	for i := range out {
		out[i].Status = corev1.ConditionFalse
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		out[2] = corev1.NamespaceCondition{Type: corev1.NamespaceDeletionContentFailure, Status: corev1.ConditionTrue,
			Reason: "ContentDeletionFailed", Message: "Failed to delete all resource types, " + fmt.Sprint(len(errs)) + " remaining: " + strings.Join(msgs, ", ")}
	}
	if len(rem.byResource) > 0 {
		out[3] = corev1.NamespaceCondition{Type: corev1.NamespaceContentRemaining, Status: corev1.ConditionTrue,
			Reason: "SomeResourcesRemain", Message: "Some resources are remaining: " + countList(rem.byResource, "%s has %d resource instances")}
	}
	if len(rem.byFinalizer) > 0 {
		out[4] = corev1.NamespaceCondition{Type: corev1.NamespaceFinalizersRemaining, Status: corev1.ConditionTrue,
			Reason: "SomeFinalizersRemain", Message: "Some content in the namespace has finalizers remaining: " + countList(rem.byFinalizer, "%s in %d resource instances")}
	}
	return out
}

func countList(m map[string]int, format string) string {
	parts := make([]string, 0, len(m))
	for k, n := range m {
		parts = append(parts, fmt.Sprintf(format, k, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// updateConditions writes the conditions when they changed, keeping the
// transition time of a condition whose status did not change.
func (c *Controller) updateConditions(ns *corev1.Namespace, rem remaining, errs []error) error {
	want := conditions(rem, errs)
	now := metav1.NewTime(c.Engine.Now())
	changed := len(ns.Status.Conditions) != len(want)
	for i := range want {
		want[i].LastTransitionTime = now
		for _, old := range ns.Status.Conditions {
			if old.Type != want[i].Type {
				continue
			}
			if old.Status == want[i].Status {
				want[i].LastTransitionTime = old.LastTransitionTime
			}
			if old.Status != want[i].Status || old.Reason != want[i].Reason || old.Message != want[i].Message {
				changed = true
			}
		}
	}
	if !changed {
		return nil
	}
	cp := ns.DeepCopy()
	cp.Status.Conditions = want
	_, err := c.Client.UpdateStatus(cp)
	return err
}
