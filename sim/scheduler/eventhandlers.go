package scheduler

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
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
	if s.spread != nil {
		s.stops = append(s.stops, s.spread.WatchSelectors())
	}
	s.stops = append(s.stops,
		s.st.Watch("Node", s.cfg.WatchLatency, s.onNode),
		s.st.Watch("Pod", s.cfg.WatchLatency, s.onPod),
		s.st.Watch("PersistentVolumeClaim", s.cfg.WatchLatency, s.onStorage),
		s.st.Watch("PersistentVolume", s.cfg.WatchLatency, s.onStorage),
		s.st.Watch("StorageClass", s.cfg.WatchLatency, s.onStorage),
	)
}

// onStorage: a claim, volume or class added or changed may help the pods
// the volume plugins turned away (a claim bound, a volume created).
func (s *Scheduler) onStorage(ev store.Event) {
	if ev.Type != store.Deleted {
		s.moveOnEvent(framework.StorageChange)
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
			delete(s.pending, store.Key(pod.Namespace, pod.Name))
			return
		}
		if s.cache.RemovePod(pod) {
			s.moveOnEvent(framework.AssignedPodDelete)
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
		if len(s.binding) > 0 && s.binding[store.Key(pod.Namespace, pod.Name)] {
			return // assumed: its binding waits for its volumes
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
		s.queue.Delete(pod)     // bound (by us or someone else)
		if len(s.pending) > 0 { // the key is a new string: not built for nothing
			delete(s.pending, store.Key(pod.Namespace, pod.Name))
		}
	}
	wasCounted := s.cache.UpdateAssignedPod(pod)
	switch {
	case wasCounted && podutil.IsTerminal(pod):
		s.moveOnEvent(framework.AssignedPodDelete) // finished pods free their room
	case !wasCounted && ev.Type == store.Added:
		s.moveOnEvent(framework.AssignedPodAdd)
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
		s.queue.MoveAllToActiveOrBackoff(nil) // a new node may fit anyone
	case store.Modified:
		old := ev.Old.(*corev1.Node)
		s.cache.UpdateNode(old, node)
		if podutil.NodeReady(old) != podutil.NodeReady(node) && podutil.NodeReady(node) == corev1.ConditionTrue {
			s.queue.MoveAllToActiveOrBackoff(nil) // a node coming back: retry everyone
			return
		}
		s.moveOnEvent(nodeChanges(old, node)...)
	case store.Deleted:
		s.cache.RemoveNode(node)
	}
}

// nodeChanges lists what a node update changed that plugins register
// for (upstream's node update events).
func nodeChanges(old, node *corev1.Node) []framework.ClusterEvent {
	var evs []framework.ClusterEvent
	if old.Spec.Unschedulable && !node.Spec.Unschedulable {
		evs = append(evs, framework.NodeSchedulable)
	}
	if !equality.Semantic.DeepEqual(old.Spec.Taints, node.Spec.Taints) {
		evs = append(evs, framework.NodeTaintChange)
	}
	if !equality.Semantic.DeepEqual(old.Labels, node.Labels) {
		evs = append(evs, framework.NodeLabelChange)
	}
	if !podutil.NodeAllocatable(old).Equal(podutil.NodeAllocatable(node)) {
		evs = append(evs, framework.NodeAllocatableChange)
	}
	return evs
}

// moveOnEvent moves the unschedulable pods the events may help: those
// rejected by a plugin registered for one of them (or by none).
func (s *Scheduler) moveOnEvent(evs ...framework.ClusterEvent) {
	if len(evs) == 0 {
		return
	}
	var plugins []string
	for _, ev := range evs {
		plugins = append(plugins, s.fwk.PluginsFor(ev)...)
	}
	s.queue.MoveAllToActiveOrBackoff(func(p *queue.QueuedPodInfo) bool {
		if len(p.UnschedulablePlugins) == 0 {
			return true
		}
		for _, name := range p.UnschedulablePlugins {
			if slices.Contains(plugins, name) {
				return true
			}
		}
		return false
	})
}
