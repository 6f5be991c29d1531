// Package podgc models kube-controller-manager's pod garbage collector
// (pkg/controller/podgc) for orphaned pods: pods bound to a node whose
// Node object is gone are marked Failed with a DisruptionTarget condition
// and force-deleted. Like upstream, a missing node is first quarantined
// (40 s) so a node that is only briefly absent keeps its pods, and the
// collector runs every gc-check period (20 s).
package podgc

import (
	"cmp"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Condition reason and message of a pod deleted because its node is gone.
const (
	ReasonDeletionByPodGC  = "DeletionByPodGC"
	MessageDeletionByPodGC = "PodGC: node no longer exists"
)

// Config tunes the collector: the informer delay every controller has,
// and its own periods (zero: upstream's).
type Config struct {
	controllerutil.Config
	// CheckPeriod is how often the collector runs (upstream gcCheckPeriod).
	CheckPeriod time.Duration
	// Quarantine is how long a node must stay missing before its pods go
	// (upstream quarantineTime).
	Quarantine time.Duration
}

// Upstream's gcCheckPeriod and quarantineTime.
const (
	DefaultCheckPeriod = 20 * time.Second
	DefaultQuarantine  = 40 * time.Second
)

// Controller is the pod garbage collector.
type Controller struct {
	controllerutil.Base
	period, quarantine time.Duration

	// missing maps a node name to when it was seen missing.
	missing map[string]time.Duration
}

// New returns a pod garbage collector writing through client (upstream
// "pod-garbage-collector").
func New(engine *sim.Engine, client *apiserver.Client, cfg Config) *Controller {
	c := &Controller{period: cmp.Or(cfg.CheckPeriod, DefaultCheckPeriod), quarantine: cmp.Or(cfg.Quarantine, DefaultQuarantine),
		missing: map[string]time.Duration{}}
	c.Base = controllerutil.NewBase(engine, client, "pod-garbage-collector", cfg.Config, nil)
	// Only deleted nodes are tracked, so a pass never scans all pods: it
	// looks up the pods of each quarantined node through the
	// spec.nodeName index.
	c.Handles("Node", c.onNode)
	c.OnStart(func() { c.Engine.After(c.period, "podgc", c.loop) })
	return c
}

func (c *Controller) onNode(ev store.Event) {
	name := ev.Object.GetName()
	if ev.Type != store.Deleted {
		delete(c.missing, name)
		return
	}
	if _, ok := c.missing[name]; !ok {
		c.missing[name] = c.Engine.Elapsed()
	}
}

func (c *Controller) loop() {
	c.gcOrphaned()
	c.Engine.After(c.period, "podgc", c.loop)
}

// gcOrphaned force-deletes the pods of nodes missing for longer than the
// quarantine.
func (c *Controller) gcOrphaned() {
	now := c.Engine.Elapsed()
	names := make([]string, 0, len(c.missing))
	for n := range c.missing {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		if now-c.missing[name] < c.quarantine {
			continue
		}
		if _, exists := c.Store.Get("Node", "", name); exists {
			delete(c.missing, name)
			continue
		}
		left := false
		for _, o := range c.Store.ByIndex("Pod", store.NodeNameIndex, name) {
			if c.markFailedAndDelete(o.(*corev1.Pod)) != nil {
				left = true
			}
		}
		if !left {
			delete(c.missing, name)
		}
	}
}

// markFailedAndDelete moves a pod that can no longer finish to Failed
// (no kubelet will), adds the DisruptionTarget condition and deletes it
// with grace period 0.
func (c *Controller) markFailedAndDelete(pod *corev1.Pod) error {
	if pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
		cp := pod.DeepCopy()
		cp.Status.Phase = corev1.PodFailed
		setCondition(&cp.Status, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
			Reason: ReasonDeletionByPodGC, Message: MessageDeletionByPodGC, LastTransitionTime: metav1.NewTime(c.Engine.Now())})
		if _, err := c.Client.UpdateStatus(cp); err != nil {
			return err
		}
	}
	zero := int64(0)
	return c.Client.Delete("Pod", pod.Namespace, pod.Name, apiserver.DeleteOptions{GracePeriodSeconds: &zero})
}

func setCondition(st *corev1.PodStatus, cond corev1.PodCondition) {
	for i := range st.Conditions {
		if st.Conditions[i].Type == cond.Type {
			if st.Conditions[i].Status == cond.Status {
				cond.LastTransitionTime = st.Conditions[i].LastTransitionTime
			}
			st.Conditions[i] = cond
			return
		}
	}
	st.Conditions = append(st.Conditions, cond)
}
