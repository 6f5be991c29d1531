package scheduler

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/interpodaffinity"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeaffinity"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeports"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/noderesources"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeunschedulable"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/podtopologyspread"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/tainttoleration"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/volumebinding"
	"github.com/kubesim/kubesim/sim/scheduler/queue"
	"github.com/kubesim/kubesim/sim/store"
)

// Start loads the current nodes and pods into the cache and queue, then
// watches both (like the informers' initial list + watch).
func (s *Scheduler) Start() {
	if s.started {
		return
	}
	s.started = true
	for _, o := range s.st.List("Node", "") {
		s.cache.AddNode(o.(*corev1.Node))
	}
	for _, o := range s.st.List("Pod", "") {
		s.onPod(store.Event{Type: store.Added, Object: o})
	}
	s.stops = append(s.stops,
		s.st.Watch("Node", s.cfg.WatchLatency, s.onNode),
		s.st.Watch("Pod", s.cfg.WatchLatency, s.onPod),
		s.st.Watch("PersistentVolumeClaim", s.cfg.WatchLatency, s.onStorage),
		s.st.Watch("PersistentVolume", s.cfg.WatchLatency, s.onStorage),
		s.st.Watch("StorageClass", s.cfg.WatchLatency, s.onStorage),
	)
}

// volumeChanged is a claim, volume or class added or changed: it may help
// the pods the volume plugins turned away (a claim bound, a volume
// created), as upstream's plugins register for these events.
var volumeChanged = clusterEvent{plugins: []string{volumebinding.Name, volumebinding.ZoneName, volumebinding.LimitsName, volumebinding.RestrictionsName}}

func (s *Scheduler) onStorage(ev store.Event) {
	if ev.Type != store.Deleted {
		s.moveOnEvent(volumeChanged)
	}
}

// responsible reports whether a pending pod is ours to schedule.
func (s *Scheduler) responsible(p *corev1.Pod) bool {
	return p.Spec.SchedulerName == s.cfg.SchedulerName && p.Spec.NodeName == "" &&
		p.DeletionTimestamp == nil && !podutil.IsTerminal(p)
}

func (s *Scheduler) onPod(ev store.Event) {
	pod := ev.Object.(*corev1.Pod)
	switch ev.Type {
	case store.Deleted:
		if pod.Spec.NodeName == "" {
			s.queue.Delete(pod)
			delete(s.pending, store.KeyOf(pod))
			return
		}
		if s.cache.RemovePod(pod) {
			s.moveOnEvent(assignedPodDeleted)
		}
	default:
		if pod.Spec.NodeName != "" {
			s.onAssignedPod(ev, pod)
			return
		}
		if !s.responsible(pod) {
			s.queue.Delete(pod)
			return
		}
		var old *corev1.Pod
		if ev.Old != nil {
			old = ev.Old.(*corev1.Pod)
		}
		s.queue.Update(pod, old != nil && podSpecChanged(old, pod))
	}
}

func (s *Scheduler) onAssignedPod(ev store.Event, pod *corev1.Pod) {
	if ev.Old != nil && ev.Old.(*corev1.Pod).Spec.NodeName == "" {
		s.queue.Delete(pod) // bound (by us or someone else)
		delete(s.pending, store.KeyOf(pod))
	}
	wasCounted := s.cache.PodInfo(pod.Namespace, pod.Name) != nil
	s.cache.UpdatePod(pod)
	switch {
	case wasCounted && podutil.IsTerminal(pod):
		s.moveOnEvent(assignedPodDeleted) // finished pods free their room
	case !wasCounted && ev.Type == store.Added:
		s.moveOnEvent(assignedPodAdded)
	}
}

// podSpecChanged reports whether a pending pod changed in a way that may
// change where it fits (not its status, which we write ourselves).
func podSpecChanged(old, pod *corev1.Pod) bool {
	return !equality.Semantic.DeepEqual(old.Labels, pod.Labels) || !equality.Semantic.DeepEqual(old.Spec, pod.Spec)
}

func (s *Scheduler) onNode(ev store.Event) {
	node := ev.Object.(*corev1.Node)
	switch ev.Type {
	case store.Added:
		s.cache.AddNode(node)
		s.moveOnEvent(nodeAdded)
	case store.Modified:
		old := ev.Old.(*corev1.Node)
		s.cache.UpdateNode(old, node)
		if ev, ok := nodeChange(old, node); ok {
			s.moveOnEvent(ev)
		}
	case store.Deleted:
		s.cache.RemoveNode(node)
	}
}

// clusterEvent says which rejections an event may resolve (upstream's
// queueing hints, simplified to plugin sets): pods rejected by one of
// plugins, or every pod when all is set.
type clusterEvent struct {
	all     bool
	plugins []string
}

var (
	nodeAdded          = clusterEvent{all: true}
	assignedPodDeleted = clusterEvent{plugins: []string{noderesources.FitName, nodeports.Name, podtopologyspread.Name, interpodaffinity.Name,
		volumebinding.LimitsName, volumebinding.RestrictionsName}}
	assignedPodAdded = clusterEvent{plugins: []string{podtopologyspread.Name, interpodaffinity.Name}}
)

// nodeChange classifies a node update; ok is false if it changes nothing
// the scheduler looks at.
func nodeChange(old, node *corev1.Node) (ev clusterEvent, ok bool) {
	if podutil.NodeReady(old) != podutil.NodeReady(node) && podutil.NodeReady(node) == corev1.ConditionTrue {
		return clusterEvent{all: true}, true // a node coming back: retry everyone
	}
	if old.Spec.Unschedulable && !node.Spec.Unschedulable {
		ev.plugins = append(ev.plugins, nodeunschedulable.Name)
	}
	if !equality.Semantic.DeepEqual(old.Spec.Taints, node.Spec.Taints) {
		ev.plugins = append(ev.plugins, tainttoleration.Name)
	}
	if !equality.Semantic.DeepEqual(old.Labels, node.Labels) {
		ev.plugins = append(ev.plugins, nodeaffinity.Name, podtopologyspread.Name, interpodaffinity.Name)
	}
	if !podutil.NodeAllocatable(old).Equal(podutil.NodeAllocatable(node)) {
		ev.plugins = append(ev.plugins, noderesources.FitName)
	}
	return ev, len(ev.plugins) > 0
}

// moveOnEvent moves the unschedulable pods an event may help.
func (s *Scheduler) moveOnEvent(ev clusterEvent) {
	if ev.all {
		s.queue.MoveAllToActiveOrBackoff(nil)
		return
	}
	s.queue.MoveAllToActiveOrBackoff(func(p *queue.QueuedPodInfo) bool {
		if len(p.UnschedulablePlugins) == 0 {
			return true
		}
		for _, name := range p.UnschedulablePlugins {
			if slices.Contains(ev.plugins, name) {
				return true
			}
		}
		return false
	})
}
