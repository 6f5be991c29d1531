package kubectl

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kubectl drain's pod filter messages (k8s.io/kubectl/pkg/drain).
const (
	daemonSetFatal   = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
	daemonSetWarning = "ignoring DaemonSet-managed Pods"
	localStorageErr  = "Pods with local storage (use --delete-emptydir-data to override)"
	localStorageWarn = "deleting Pods with local storage"
	unmanagedErr     = "Pods that declare no controller (use --force to override)"
	unmanagedWarning = "deleting Pods that declare no controller"
)

type filterResult int

const (
	filterOK filterResult = iota
	filterSkip
	filterWarn
	filterError
)

// podStatus is a filter's verdict on one pod.
type podStatus struct {
	delete bool
	result filterResult
	msg    string
}

var okay = podStatus{delete: true}

// podList is the outcome of filtering a node's pods: the pods to evict,
// and warnings and errors grouped by message in first-seen order.
type podList struct {
	pods     []*corev1.Pod
	warnings []msgGroup
	errors   []msgGroup
}

type msgGroup struct {
	msg  string
	pods []string
}

func addToGroup(groups []msgGroup, msg, pod string) []msgGroup {
	for i := range groups {
		if groups[i].msg == msg {
			groups[i].pods = append(groups[i].pods, pod)
			return groups
		}
	}
	return append(groups, msgGroup{msg: msg, pods: []string{pod}})
}

// warningText is the "Warning: ..." line kubectl prints before evicting.
func (l *podList) warningText() string {
	parts := make([]string, len(l.warnings))
	for i, g := range l.warnings {
		parts[i] = g.msg + ": " + strings.Join(g.pods, ", ")
	}
	return strings.Join(parts, "; ")
}

func (l *podList) errorTexts() []string {
	out := make([]string, len(l.errors))
	for i, g := range l.errors {
		out[i] = "cannot delete " + g.msg + ": " + strings.Join(g.pods, ", ")
	}
	return out
}

// podsForDeletion runs kubectl's filters, in its order, over the pods
// bound to the node; as upstream, the last filter's verdict is kept.
func (d *drainRun) podsForDeletion() *podList {
	l := &podList{}
	filters := []func(*corev1.Pod) podStatus{d.daemonSetFilter, mirrorFilter, d.localStorageFilter, d.unreplicatedFilter}
	for _, o := range d.r.st.ByIndex("Pod", "spec.nodeName", d.node) {
		p := o.(*corev1.Pod)
		st := okay
		for _, f := range filters {
			if st = f(p); !st.delete {
				break
			}
		}
		key := p.Namespace + "/" + p.Name
		switch st.result {
		case filterWarn:
			l.warnings = addToGroup(l.warnings, st.msg, key)
		case filterError:
			l.errors = addToGroup(l.errors, st.msg, key)
		}
		if st.delete {
			l.pods = append(l.pods, p)
		}
	}
	return l
}

func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

func (d *drainRun) daemonSetFilter(p *corev1.Pod) podStatus {
	ctl := metav1.GetControllerOf(p)
	if ctl == nil || ctl.Kind != "DaemonSet" || finished(p) {
		return okay
	}
	if _, ok := d.r.st.Get("DaemonSet", p.Namespace, ctl.Name); !ok {
		// An orphan: kubectl reports the failed DaemonSet lookup.
		msg := fmt.Sprintf("daemonsets.apps %q not found", ctl.Name)
		if d.r.c.Force {
			return podStatus{delete: true, result: filterWarn, msg: msg}
		}
		return podStatus{result: filterError, msg: msg}
	}
	if !d.r.c.IgnoreDaemonSets {
		return podStatus{result: filterError, msg: daemonSetFatal}
	}
	return podStatus{result: filterWarn, msg: daemonSetWarning}
}

func mirrorFilter(p *corev1.Pod) podStatus {
	if _, ok := p.Annotations[corev1.MirrorPodAnnotationKey]; ok {
		return podStatus{result: filterSkip}
	}
	return okay
}

func (d *drainRun) localStorageFilter(p *corev1.Pod) podStatus {
	has := false
	for _, v := range p.Spec.Volumes {
		has = has || v.EmptyDir != nil
	}
	if !has || finished(p) {
		return okay
	}
	if !d.r.c.DeleteEmptyDirData {
		return podStatus{result: filterError, msg: localStorageErr}
	}
	return podStatus{delete: true, result: filterWarn, msg: localStorageWarn}
}

func (d *drainRun) unreplicatedFilter(p *corev1.Pod) podStatus {
	if finished(p) || metav1.GetControllerOf(p) != nil {
		return okay
	}
	if d.r.c.Force {
		return podStatus{delete: true, result: filterWarn, msg: unmanagedWarning}
	}
	return podStatus{result: filterError, msg: unmanagedErr}
}
