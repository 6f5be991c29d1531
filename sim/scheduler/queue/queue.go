// Package queue is kube-scheduler's scheduling queue in virtual time:
// activeQ (pods ready to be tried, highest priority first, then oldest),
// backoffQ (pods that failed and wait out an exponential backoff) and the
// unschedulable pool (pods that fit nowhere, waiting for a cluster event
// that might help, or for the periodic 5-minute flush).
package queue

import (
	"cmp"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/store"
)

// Config holds the queue's timings (upstream defaults in DefaultConfig).
type Config struct {
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// BackoffFlush is how often pods whose backoff expired move to activeQ.
	BackoffFlush time.Duration
	// UnschedulableFlush is how often the unschedulable pool is checked for
	// pods that stayed longer than MaxInUnschedulable.
	UnschedulableFlush time.Duration
	MaxInUnschedulable time.Duration
}

// DefaultConfig is kube-scheduler's: backoff 1 s doubling to 10 s, backoff
// flush every 1 s, unschedulable flush every 30 s for pods there > 5 min.
var DefaultConfig = Config{
	InitialBackoff:     time.Second,
	MaxBackoff:         10 * time.Second,
	BackoffFlush:       time.Second,
	UnschedulableFlush: 30 * time.Second,
	MaxInUnschedulable: 5 * time.Minute,
}

// Where a pod currently is.
type location int

const (
	nowhere location = iota
	inActive
	inBackoff
	inUnschedulable
	inFlight
)

// QueuedPodInfo is a pending pod with its queueing history.
type QueuedPodInfo struct {
	Pod *corev1.Pod
	Key string
	// Timestamp is when the pod was last added or failed (virtual time
	// since start); activeQ orders equal priorities by it.
	Timestamp time.Duration
	// InitialAttemptTimestamp is when the pod was first popped.
	InitialAttemptTimestamp time.Duration
	// Attempts counts scheduling attempts (pops).
	Attempts int
	// UnschedulablePlugins are the plugins that rejected the pod in its
	// last attempt, sorted; empty after an error.
	UnschedulablePlugins []string
	// PodInfo is what the scheduler derived from the pod in its last
	// attempt (nil before the first): it stays valid while PodInfo.Pod is
	// Pod (store objects are immutable), so a retried pod is not derived
	// again.
	PodInfo *framework.PodInfo
	// Ref is the scheduler's handle on the pod's slot in the store
	// (store.Follow), so that each attempt and the bind find the pod
	// without looking its name up.
	Ref store.Ref

	where   location
	heapIdx int
	seq     uint64
}

// BackoffDuration is InitialBackoff doubled per attempt after the first,
// capped at MaxBackoff.
func (c Config) BackoffDuration(attempts int) time.Duration {
	d := c.InitialBackoff
	for i := 1; i < attempts; i++ {
		if d > c.MaxBackoff/2 {
			return c.MaxBackoff
		}
		d *= 2
	}
	return min(d, c.MaxBackoff)
}

// BackoffExpiry is when the pod's current backoff ends.
func (q *Queue) BackoffExpiry(p *QueuedPodInfo) time.Duration {
	return p.Timestamp + q.cfg.BackoffDuration(p.Attempts)
}

// Queue is the scheduling queue.
type Queue struct {
	engine *sim.Engine
	cfg    Config
	start  time.Duration

	active        podHeap
	backoff       podHeap
	unschedulable map[string]*QueuedPodInfo
	pods          map[string]*QueuedPodInfo
	// podsPeak is the most pods tracked at once since pods was made: a
	// Go map keeps the room of its largest size, so a drained queue
	// that once held a burst starts a new one (forget).
	podsPeak int
	seq      uint64

	schedulingCycle  int64
	moveRequestCycle int64

	backoffTimer, unschedTimer *sim.Timer
	// OnActive is called whenever a pod enters activeQ (the scheduler uses
	// it to start a cycle if it is idle).
	OnActive func()
}

// New returns an empty queue; its flush tickers are aligned to now.
func New(engine *sim.Engine, cfg Config) *Queue {
	q := &Queue{engine: engine, cfg: cfg, start: engine.Elapsed(),
		unschedulable: map[string]*QueuedPodInfo{}, pods: map[string]*QueuedPodInfo{}, moveRequestCycle: -1}
	q.active.key = activeKey
	q.backoff.key = func(p *QueuedPodInfo) heapKey { return heapKey{a: int64(q.BackoffExpiry(p))} }
	return q
}

// activeKey is upstream's PrioritySort: higher priority first, then the
// earlier timestamp (the heap's sequence number makes the order total).
func activeKey(p *QueuedPodInfo) heapKey {
	return heapKey{a: -int64(priority(p.Pod)), b: int64(p.Timestamp)}
}

// setPod makes pod p's object; a pod waiting in activeQ whose priority
// changed moves to its new place.
func (q *Queue) setPod(p *QueuedPodInfo, pod *corev1.Pod) {
	old := p.Pod
	p.Pod = pod
	if p.where == inActive && priority(old) != priority(pod) {
		q.active.rekey(p.heapIdx)
	}
}

func priority(p *corev1.Pod) int32 {
	if p.Spec.Priority != nil {
		return *p.Spec.Priority
	}
	return 0
}

// Add queues a new pending pod in activeQ (or updates it if known).
func (q *Queue) Add(pod *corev1.Pod) {
	if p, ok := q.pods[store.Key(pod.Namespace, pod.Name)]; ok { // no allocation for a known pod
		q.setPod(p, pod)
		return
	}
	key := store.KeyOf(pod)
	q.seq++
	p := &QueuedPodInfo{Pod: pod, Key: key, Timestamp: q.engine.Elapsed(), seq: q.seq, heapIdx: -1}
	q.pods[key] = p
	q.podsPeak = max(q.podsPeak, len(q.pods))
	q.toActive(p)
}

// Update replaces a queued pod's object. With requeue, an unschedulable
// pod goes back to activeQ (or backoffQ): its spec changed in a way that
// may let it fit now.
func (q *Queue) Update(pod *corev1.Pod, requeue bool) {
	p, ok := q.pods[store.Key(pod.Namespace, pod.Name)] // a key that does not escape: no allocation
	if !ok {
		q.Add(pod)
		return
	}
	q.setPod(p, pod)
	if requeue && p.where == inUnschedulable {
		delete(q.unschedulable, p.Key)
		q.activeOrBackoff(p)
	}
}

// Delete forgets a pod (deleted, bound elsewhere or no longer ours).
func (q *Queue) Delete(pod *corev1.Pod) {
	p, ok := q.pods[store.Key(pod.Namespace, pod.Name)] // a key that does not escape: no allocation
	if !ok {
		return
	}
	key := p.Key
	switch p.where {
	case inActive:
		q.active.remove(p.heapIdx)
	case inBackoff:
		q.backoff.remove(p.heapIdx)
	case inUnschedulable:
		delete(q.unschedulable, key)
	}
	p.where = nowhere
	q.forget(key)
}

// drainedMapPeak is the burst size past which a drained queue gives its
// map back (the scale-up of 150,000 pods leaves megabytes of empty map).
const drainedMapPeak = 1024

// forget stops tracking the pod under key. Once no pod is tracked, a map
// that held a burst is replaced by a new one, and the heaps give back
// their arrays, so that the room a burst took is freed (nothing tracked
// is lost: all of them are empty).
func (q *Queue) forget(key string) {
	delete(q.pods, key)
	if len(q.pods) > 0 || q.podsPeak < drainedMapPeak {
		return
	}
	q.pods, q.podsPeak = map[string]*QueuedPodInfo{}, 0
	q.active.items, q.backoff.items = nil, nil
}

// Has reports whether the queue tracks the pod (in any sub-queue or being
// scheduled).
func (q *Queue) Has(ns, name string) bool { _, ok := q.pods[store.Key(ns, name)]; return ok }

// Pop takes the next pod from activeQ (nil if empty) and starts a
// scheduling cycle for it.
func (q *Queue) Pop() *QueuedPodInfo {
	if q.active.Len() == 0 {
		return nil
	}
	p := q.active.pop()
	p.where = inFlight
	p.Attempts++
	if p.Attempts == 1 {
		p.InitialAttemptTimestamp = q.engine.Elapsed()
	}
	q.schedulingCycle++
	return p
}

// SchedulingCycle is the number of pops so far.
func (q *Queue) SchedulingCycle() int64 { return q.schedulingCycle }

// Done ends the cycle of a pod that was bound (or dropped). A pod
// anywhere but nowhere is the one tracked under its key (Add alone
// tracks a pod, and Delete and Done set it nowhere as they forget it),
// so an in-flight pod is forgotten without looking it up first.
func (q *Queue) Done(p *QueuedPodInfo) {
	if p.where == inFlight {
		q.forget(p.Key)
	}
	p.where = nowhere
}

// AddUnschedulable puts a pod back after a failed cycle: into backoffQ if
// it failed with an error or a cluster event arrived during its cycle
// (the event may have made it schedulable), else into the unschedulable
// pool.
func (q *Queue) AddUnschedulable(p *QueuedPodInfo, podSchedulingCycle int64) {
	if cur, ok := q.pods[p.Key]; !ok || cur != p || p.where != inFlight {
		return // deleted or re-added while in flight
	}
	p.Timestamp = q.engine.Elapsed()
	if len(p.UnschedulablePlugins) == 0 || q.moveRequestCycle >= podSchedulingCycle {
		q.toBackoff(p)
		return
	}
	p.where = inUnschedulable
	q.unschedulable[p.Key] = p
	q.armUnschedulableFlush()
}

// MoveAllToActiveOrBackoff moves the unschedulable pods for which
// worth(pod) holds (nil = all) to activeQ, or backoffQ if still backing
// off, after a cluster event. Pods in flight will go to backoffQ when they
// fail.
func (q *Queue) MoveAllToActiveOrBackoff(worth func(*QueuedPodInfo) bool) {
	q.moveRequestCycle = q.schedulingCycle
	if len(q.unschedulable) == 0 {
		return
	}
	for _, p := range q.sortedUnschedulable() {
		if worth != nil && !worth(p) {
			continue
		}
		delete(q.unschedulable, p.Key)
		q.activeOrBackoff(p)
	}
}

// sortedUnschedulable lists the pool in a deterministic order (by
// sequence number, i.e. first queued first).
func (q *Queue) sortedUnschedulable() []*QueuedPodInfo {
	out := make([]*QueuedPodInfo, 0, len(q.unschedulable))
	for _, p := range q.unschedulable {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *QueuedPodInfo) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

func (q *Queue) activeOrBackoff(p *QueuedPodInfo) {
	if q.BackoffExpiry(p) > q.engine.Elapsed() {
		q.toBackoff(p)
		return
	}
	q.toActive(p)
}

func (q *Queue) toActive(p *QueuedPodInfo) {
	p.where = inActive
	q.active.push(p)
	if q.OnActive != nil {
		q.OnActive()
	}
}

func (q *Queue) toBackoff(p *QueuedPodInfo) {
	p.where = inBackoff
	q.backoff.push(p)
	q.armBackoffFlush()
}

// Lens reports the sizes of activeQ, backoffQ and the unschedulable pool.
func (q *Queue) Lens() (active, backoff, unschedulable int) {
	return q.active.Len(), q.backoff.Len(), len(q.unschedulable)
}

// PendingPods lists every queued pod (not in flight), sorted by key.
func (q *Queue) PendingPods() []*QueuedPodInfo {
	out := make([]*QueuedPodInfo, 0, len(q.pods))
	for _, p := range q.pods {
		if p.where != inFlight {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *QueuedPodInfo) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return out
}
