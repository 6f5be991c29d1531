package daemonset

import (
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/podutil"
)

// calculateStatus is the DaemonSet's status from the nodes (fits says
// which should run it) and its pods by node at now: desired (nodes that
// should run it), current (of those, with a pod), misscheduled (pods on
// nodes that should not run it), and of the oldest pod per node whether
// it is ready, available and updated.
func calculateStatus(ds *appsv1.DaemonSet, nodes []*corev1.Node, fits []fit, byNode map[string][]*corev1.Pod, hash string, now time.Time) appsv1.DaemonSetStatus {
	mnow := metav1.NewTime(now)
	st := ds.Status
	var desired, current, mis, ready, avail, updated int32
	for i, n := range nodes {
		run := fits[i].run
		pods := statusPods(byNode[n.Name])
		if !run {
			if len(pods) > 0 {
				mis++
			}
			continue
		}
		desired++
		if len(pods) == 0 {
			continue
		}
		current++
		p := slices.MinFunc(pods, byCreationAndPhase)
		if podutil.IsReady(p) {
			ready++
			if podutil.IsAvailable(p, ds.Spec.MinReadySeconds, mnow) {
				avail++
			}
		}
		if isUpdated(ds, p, hash) {
			updated++
		}
	}
	st.DesiredNumberScheduled = desired
	st.CurrentNumberScheduled = current
	st.NumberMisscheduled = mis
	st.NumberReady = ready
	st.NumberAvailable = avail
	st.UpdatedNumberScheduled = updated
	st.NumberUnavailable = desired - avail
	return st
}

func (c *Controller) updateStatus(ds *appsv1.DaemonSet, nodes []*corev1.Node, fits []fit, byNode map[string][]*corev1.Pod, hash string, observedGen bool) error {
	st := calculateStatus(ds, nodes, fits, byNode, hash, c.Engine.Now())
	if observedGen {
		st.ObservedGeneration = ds.Generation
	}
	if ds.Spec.MinReadySeconds > 0 && st.NumberReady != st.NumberAvailable {
		c.Queue.AddAfter(ds.Namespace+"/"+ds.Name, time.Duration(ds.Spec.MinReadySeconds)*time.Second)
	}
	if st.DesiredNumberScheduled == ds.Status.DesiredNumberScheduled && st.CurrentNumberScheduled == ds.Status.CurrentNumberScheduled &&
		st.NumberMisscheduled == ds.Status.NumberMisscheduled && st.NumberReady == ds.Status.NumberReady &&
		st.NumberAvailable == ds.Status.NumberAvailable && st.UpdatedNumberScheduled == ds.Status.UpdatedNumberScheduled &&
		st.NumberUnavailable == ds.Status.NumberUnavailable && st.ObservedGeneration == ds.Status.ObservedGeneration {
		return nil
	}
	cp := *ds
	cp.Status = st
	_, err := c.Client.UpdateStatus(&cp)
	return err
}

// statusPods leaves out finished pods being deleted, which status does
// not count (upstream lists without them for status).
func statusPods(pods []*corev1.Pod) []*corev1.Pod {
	for i, p := range pods {
		if podutil.IsTerminal(p) && p.DeletionTimestamp != nil {
			out := append([]*corev1.Pod(nil), pods[:i]...)
			for _, q := range pods[i+1:] {
				if !(podutil.IsTerminal(q) && q.DeletionTimestamp != nil) {
					out = append(out, q)
				}
			}
			return out
		}
	}
	return pods
}
