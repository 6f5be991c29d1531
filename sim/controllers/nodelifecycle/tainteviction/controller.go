// Package tainteviction models kube-controller-manager's taint eviction
// controller (pkg/controller/tainteviction, formerly the node lifecycle
// controller's taint manager): pods on a node with NoExecute taints are
// deleted at once if they do not tolerate a taint, or after the smallest
// tolerationSeconds of the tolerations that match; scheduled deletions
// are cancelled when the taints go away.
package tainteviction

import (
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/workqueue"
)

// Event reason, messages and the pod condition of a taint eviction.
const (
	ReasonTaintManagerEviction = "TaintManagerEviction"
	ReasonDeletionByTaintMgr   = "DeletionByTaintManager"
	MessageDeletionByTaintMgr  = "Taint manager: deleting due to NoExecute taint"
)

// Controller is the taint eviction controller.
type Controller struct {
	controllerutil.Base

	tainted map[string][]corev1.Taint
	work    map[string]*work
	nodes   *workqueue.Queue
	pods    *workqueue.Queue
}

// work is one scheduled deletion. After it fired it stays (timer nil) so
// the pod is not deleted twice, until cancelled.
type work struct {
	createdAt time.Duration
	fireAt    time.Duration
	timer     *sim.Timer
}

// New returns a taint eviction controller writing through client
// (upstream "taint-eviction-controller").
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{Base: controllerutil.NewBase(engine, client, "taint-eviction-controller", cfg.WithDefaultQueue(), nil),
		tainted: map[string][]corev1.Taint{}, work: map[string]*work{}}
	c.nodes = c.NewQueue("nodes", c.handleNodeUpdate)
	c.pods = c.NewQueue("pods", c.handlePodUpdate)
	c.Handles("Node", c.onNode)
	c.Handles("Pod", c.onPod)
	c.OnStart(func() {
		for _, o := range c.Store.List("Node", "") {
			if len(noExecuteTaints(o.(*corev1.Node).Spec.Taints)) > 0 {
				c.nodes.Add(o.GetName())
			}
		}
	})
	return c
}

// Scheduled reports when the deletion of pod ns/name is due, if one is
// pending.
func (c *Controller) Scheduled(ns, name string) (time.Duration, bool) {
	w := c.work[store.Key(ns, name)]
	if w == nil || w.timer == nil {
		return 0, false
	}
	return w.fireAt, true
}

func (c *Controller) onNode(ev store.Event) {
	var oldT, newT []corev1.Taint
	if ev.Old != nil {
		oldT = noExecuteTaints(ev.Old.(*corev1.Node).Spec.Taints)
	}
	if ev.Type != store.Deleted {
		newT = noExecuteTaints(ev.Object.(*corev1.Node).Spec.Taints)
	}
	if ev.Type == store.Modified && equality.Semantic.DeepEqual(oldT, newT) {
		return
	}
	c.nodes.Add(ev.Object.GetName())
}

// onPod queues a pod whose node or tolerations changed — only when that
// can matter (its node is tainted, or a deletion is scheduled for it), so
// the 150k-pod hot path costs a map lookup.
func (c *Controller) onPod(ev store.Event) {
	pod := ev.Object.(*corev1.Pod)
	if ev.Type == store.Deleted {
		if key := store.KeyOf(pod); c.work[key] != nil {
			c.pods.Add(key)
		}
		return
	}
	if pod.Spec.NodeName == "" || c.tainted[pod.Spec.NodeName] == nil {
		return
	}
	if ev.Old != nil {
		old := ev.Old.(*corev1.Pod)
		if old.Spec.NodeName == pod.Spec.NodeName && equality.Semantic.DeepEqual(old.Spec.Tolerations, pod.Spec.Tolerations) {
			return
		}
	}
	c.pods.Add(store.KeyOf(pod)) // keyed only here: most pods run on untainted nodes
}

func noExecuteTaints(taints []corev1.Taint) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range taints {
		if t.Effect == corev1.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}

// handleNodeUpdate re-evaluates every pod on a node whose NoExecute
// taints changed.
func (c *Controller) handleNodeUpdate(name string) error {
	o, ok := c.Store.Get("Node", "", name)
	if !ok {
		delete(c.tainted, name)
		return nil
	}
	taints := noExecuteTaints(o.(*corev1.Node).Spec.Taints)
	if len(taints) == 0 {
		delete(c.tainted, name)
	} else {
		c.tainted[name] = taints
	}
	now := c.Engine.Elapsed()
	for _, po := range c.Store.ByIndex("Pod", store.NodeNameIndex, name) {
		pod := po.(*corev1.Pod)
		if len(taints) == 0 {
			c.cancel(store.KeyOf(pod))
			continue
		}
		c.processPodOnNode(pod, taints, now)
	}
	return nil
}

func (c *Controller) handlePodUpdate(key string) error {
	ns, name := store.SplitKey(key)
	o, ok := c.Store.Get("Pod", ns, name)
	if !ok {
		c.cancel(key)
		return nil
	}
	pod := o.(*corev1.Pod)
	taints, ok := c.tainted[pod.Spec.NodeName]
	if pod.Spec.NodeName == "" || !ok {
		return nil
	}
	c.processPodOnNode(pod, taints, c.Engine.Elapsed())
	return nil
}

// processPodOnNode schedules (or cancels) the pod's deletion. The
// toleration time runs from when the controller observed the taints, as
// upstream; an earlier schedule is kept.
func (c *Controller) processPodOnNode(pod *corev1.Pod, taints []corev1.Taint, now time.Duration) {
	key := store.KeyOf(pod)
	if len(taints) == 0 {
		c.cancel(key)
	}
	used, ok := MatchingTolerations(taints, pod.Spec.Tolerations)
	if !ok {
		c.cancel(key)
		c.addWork(key, now, now)
		return
	}
	min := MinTolerationTime(used)
	if min < 0 {
		c.cancel(key)
		return
	}
	start, trigger := now, now+min
	// A deletion that already fired counts as none here, as upstream's
	// (nil) queue entry: addWork then keeps it and nothing is rescheduled.
	if w := c.work[key]; w != nil && w.timer != nil {
		start = w.createdAt
		if start+min < trigger {
			return
		}
		c.cancel(key)
	}
	c.addWork(key, start, trigger)
}

func (c *Controller) addWork(key string, createdAt, fireAt time.Duration) {
	if _, exists := c.work[key]; exists {
		return
	}
	w := &work{createdAt: createdAt, fireAt: fireAt}
	w.timer = c.Engine.At(fireAt, "taint-eviction", func() { c.fire(key, w) })
	c.work[key] = w
}

// cancel drops a scheduled deletion, with upstream's "Cancelling deletion"
// event when it had not fired yet.
func (c *Controller) cancel(key string) {
	w, ok := c.work[key]
	if !ok {
		return
	}
	delete(c.work, key)
	if w.timer == nil {
		return
	}
	c.Engine.Cancel(w.timer)
	ns, name := store.SplitKey(key)
	if o, ok := c.Store.Get("Pod", ns, name); ok {
		c.Client.Event(o, corev1.EventTypeNormal, ReasonTaintManagerEviction, "Cancelling deletion of Pod "+key)
	}
}

// fire deletes the pod: event, DisruptionTarget condition, then a
// graceful delete (an unreachable node's pod stays Terminating).
func (c *Controller) fire(key string, w *work) {
	w.timer = nil
	ns, name := store.SplitKey(key)
	o, ok := c.Store.Get("Pod", ns, name)
	if !ok {
		return
	}
	c.Client.Event(o, corev1.EventTypeNormal, ReasonTaintManagerEviction, "Marking for deletion Pod "+key)
	if err := c.deletePod(o.(*corev1.Pod)); err != nil && !apierrors.IsNotFound(err) {
		delete(c.work, key)
	}
}

func (c *Controller) deletePod(pod *corev1.Pod) error {
	if needsDisruptionTarget(pod) {
		cp := pod.DeepCopy()
		setDisruptionTarget(cp, c.Engine.Now())
		if _, err := c.Client.UpdateStatus(cp); err != nil {
			return err
		}
	}
	return c.Client.Delete("Pod", pod.Namespace, pod.Name, apiserver.DeleteOptions{})
}

// needsDisruptionTarget reports whether p lacks the taint manager's
// DisruptionTarget condition. It only reads: p is the store's shared object.
func needsDisruptionTarget(p *corev1.Pod) bool {
	for _, cur := range p.Status.Conditions {
		if cur.Type == corev1.DisruptionTarget {
			return cur.Status != corev1.ConditionTrue || cur.Reason != ReasonDeletionByTaintMgr || cur.Message != MessageDeletionByTaintMgr
		}
	}
	return true
}

// setDisruptionTarget sets the DisruptionTarget condition on p, which the
// caller owns (a copy), and reports whether anything changed.
func setDisruptionTarget(p *corev1.Pod, now time.Time) bool {
	want := corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
		Reason: ReasonDeletionByTaintMgr, Message: MessageDeletionByTaintMgr, LastTransitionTime: metav1.NewTime(now)}
	for i := range p.Status.Conditions {
		cur := &p.Status.Conditions[i]
		if cur.Type != corev1.DisruptionTarget {
			continue
		}
		if cur.Status == want.Status && cur.Reason == want.Reason && cur.Message == want.Message {
			return false
		}
		if cur.Status == want.Status {
			want.LastTransitionTime = cur.LastTransitionTime
		}
		*cur = want
		return true
	}
	p.Status.Conditions = append(p.Status.Conditions, want)
	return true
}

// MatchingTolerations returns, for each taint, the first toleration that
// tolerates it, and false if some taint is not tolerated.
func MatchingTolerations(taints []corev1.Taint, tolerations []corev1.Toleration) ([]corev1.Toleration, bool) {
	var out []corev1.Toleration
	for i := range taints {
		found := false
		for j := range tolerations {
			if Tolerates(&tolerations[j], &taints[i]) {
				out = append(out, tolerations[j])
				found = true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, true
}

// Tolerates reports whether toleration t tolerates taint (key, effect and
// value by operator; an empty key with Exists tolerates every key).
func Tolerates(t *corev1.Toleration, taint *corev1.Taint) bool {
	// k8s.io/api's own matcher; the alpha numeric Lt/Gt operators are off,
	// as in a default cluster.
	return t.ToleratesTaint(klog.Background(), taint, false)
}

// MinTolerationTime is the smallest tolerationSeconds among tolerations:
// 0 for none or a non-positive value, -1 (forever) when none sets it.
func MinTolerationTime(tolerations []corev1.Toleration) time.Duration {
	if len(tolerations) == 0 {
		return 0
	}
	min := int64(math.MaxInt64)
	for _, t := range tolerations {
		if t.TolerationSeconds == nil {
			continue
		}
		if *t.TolerationSeconds <= 0 {
			return 0
		}
		if *t.TolerationSeconds < min {
			min = *t.TolerationSeconds
		}
	}
	if min == math.MaxInt64 {
		return -1
	}
	return time.Duration(min) * time.Second
}
