package statefulset

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/history"
	"github.com/kubesim/kubesim/sim/podutil"
)

// run is one sync's view of a set: its pods sorted into the replica
// slots (ordinals the set should have) and the condemned (ordinals
// beyond), the two revisions' templates, and the status being computed.
type run struct {
	c          *Controller
	set        *appsv1.StatefulSet
	h          *setHistory
	curTmpl    *corev1.PodTemplateSpec
	start      int
	replicas   []*corev1.Pod // index = ordinal-start; nil = missing
	condemned  []*corev1.Pod // decreasing ordinal
	monotonic  bool
	status     appsv1.StatefulSetStatus
	minReady   int32
	now        metav1.Time
	firstUnhlt *corev1.Pod
}

func newRun(c *Controller, set *appsv1.StatefulSet, h *setHistory, pods []*corev1.Pod) (*run, error) {
	cur, err := history.Template(h.current)
	if err != nil {
		return nil, err
	}
	r := &run{c: c, set: set, h: h, curTmpl: cur, minReady: set.Spec.MinReadySeconds,
		monotonic: set.Spec.PodManagementPolicy != appsv1.ParallelPodManagement,
		now:       metav1.NewTime(c.Engine.Now())}
	if set.Spec.Ordinals != nil {
		r.start = int(set.Spec.Ordinals.Start)
	}
	n := 1
	if set.Spec.Replicas != nil {
		n = int(*set.Spec.Replicas)
	}
	r.replicas = make([]*corev1.Pod, n)
	for _, p := range pods {
		if i := ordinalOf(p) - r.start; i >= 0 && i < n {
			r.replicas[i] = p
		} else {
			r.condemned = append(r.condemned, p)
		}
	}
	sortDesc(r.condemned)
	r.computeStatus(pods)
	return r, nil
}

// computeStatus counts the pods as upstream: created pods, ready and
// available ones, and the non-terminating ones at each revision.
func (r *run) computeStatus(pods []*corev1.Pod) {
	cc := r.h.collision
	st := appsv1.StatefulSetStatus{ObservedGeneration: r.set.Generation, CollisionCount: &cc,
		CurrentRevision: r.h.current.Name, UpdateRevision: r.h.update.Name}
	for _, p := range pods {
		st.Replicas++
		if runningAndReady(p) {
			st.ReadyReplicas++
			if podutil.IsAvailable(p, r.minReady, r.now) {
				st.AvailableReplicas++
			}
		}
		if p.DeletionTimestamp == nil {
			r.countRevision(&st, p, 1)
		}
	}
	r.status = st
}

func (r *run) countRevision(st *appsv1.StatefulSetStatus, p *corev1.Pod, d int32) {
	switch p.Labels[RevisionLabel] {
	case r.h.current.Name:
		st.CurrentReplicas += d
		if r.h.current.Name == r.h.update.Name {
			st.UpdatedReplicas += d
		}
	case r.h.update.Name:
		st.UpdatedReplicas += d
	}
}

func runningAndReady(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodRunning && podutil.IsReady(p)
}

// healthy is running, ready, available and not terminating: what an
// ordered or rolling step waits for.
func (r *run) healthy(p *corev1.Pod) bool {
	return p.DeletionTimestamp == nil && runningAndReady(p) && podutil.IsAvailable(p, r.minReady, r.now)
}

// update is upstream's updateStatefulSet: replicas in increasing
// ordinal (create missing ones, replace finished ones, in OrderedReady
// mode stop at the first that is not yet healthy), then the condemned in
// decreasing ordinal, then the rolling update.
func (r *run) update() error {
	r.findFirstUnhealthy()
	for i := range r.replicas {
		wait, err := r.processReplica(i)
		if err != nil {
			return err
		}
		if wait && r.monotonic {
			return nil
		}
	}
	for _, p := range r.condemned {
		wait, err := r.processCondemned(p)
		if err != nil {
			return err
		}
		if wait && r.monotonic {
			return nil
		}
	}
	return r.rollingUpdate()
}

func (r *run) findFirstUnhealthy() {
	for _, p := range r.replicas {
		if p != nil && !r.healthy(p) {
			r.firstUnhlt = p
			return
		}
	}
	for _, p := range r.condemned {
		if !r.healthy(p) {
			r.firstUnhlt = p
			return
		}
	}
}

// processReplica handles the pod slot i and reports whether an ordered
// set must wait before going further.
func (r *run) processReplica(i int) (bool, error) {
	p := r.replicas[i]
	if p == nil {
		return true, r.create(i)
	}
	if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
		// Deleted now, recreated under the same name once it is gone.
		if p.DeletionTimestamp == nil {
			if err := r.c.deletePod(r.set, p); err != nil {
				return true, err
			}
			r.countRevision(&r.status, p, -1)
		}
		return true, nil
	}
	if p.DeletionTimestamp != nil || !r.healthy(p) {
		return true, nil
	}
	return false, r.fixIdentity(p, i)
}

// create makes the pod of slot i: from the current revision below the
// partition, from the update revision at or above it.
func (r *run) create(i int) error {
	tmpl, rev := &r.set.Spec.Template, r.h.update.Name
	if ru := r.set.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil && i < int(*ru.Partition) {
		tmpl, rev = r.curTmpl, r.h.current.Name
	}
	pod := r.newPod(tmpl, i, rev)
	if err := r.c.createPod(r.set, pod); err != nil {
		return err
	}
	r.status.Replicas++
	r.countRevision(&r.status, pod, 1)
	return nil
}

// newPod is the pod of slot i from tmpl: stable name, identity labels,
// hostname and subdomain, revision label and controller reference.
func (r *run) newPod(tmpl *corev1.PodTemplateSpec, i int, rev string) *corev1.Pod {
	ref := controllerutil.NewControllerRef(r.set, "StatefulSet")
	pod := controllerutil.PodFromTemplate(tmpl, r.set, &ref)
	pod.GenerateName = ""
	pod.Name = PodName(r.set.Name, r.start+i)
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[RevisionLabel] = rev
	r.setIdentity(pod, i)
	claimVolumes(r.set, pod)
	return pod
}

func (r *run) setIdentity(pod *corev1.Pod, i int) {
	pod.Labels[appsv1.StatefulSetPodNameLabel] = pod.Name
	pod.Labels[appsv1.PodIndexLabel] = itoa(r.start + i)
	pod.Spec.Hostname = pod.Name
	if r.set.Spec.ServiceName != "" {
		pod.Spec.Subdomain = r.set.Spec.ServiceName
	}
}

// fixIdentity restores the identity labels and hostname if someone
// changed them (upstream's identityMatches / updateIdentity).
func (r *run) fixIdentity(p *corev1.Pod, i int) error {
	want := p.DeepCopy()
	want.Labels = maps.Clone(p.Labels)
	if want.Labels == nil {
		want.Labels = map[string]string{}
	}
	r.setIdentity(want, i)
	if maps.Equal(want.Labels, p.Labels) && want.Spec.Hostname == p.Spec.Hostname && want.Spec.Subdomain == p.Spec.Subdomain {
		return nil
	}
	_, err := r.c.Client.Update(want)
	return err
}

// processCondemned deletes a pod beyond the replica count; an ordered
// set waits for it to terminate and only deletes an unhealthy pod if it
// is the first unhealthy one.
func (r *run) processCondemned(p *corev1.Pod) (bool, error) {
	if p.DeletionTimestamp != nil {
		return true, nil
	}
	if r.monotonic && !r.healthy(p) && p != r.firstUnhlt {
		return true, nil
	}
	r.c.condemnClaims(r.set, p)
	if err := r.c.deletePod(r.set, p); err != nil {
		return true, err
	}
	r.countRevision(&r.status, p, -1)
	return true, nil
}

// completeRollingUpdate makes the update revision current once every
// pod runs it and is ready.
func (r *run) completeRollingUpdate() {
	st := &r.status
	if r.set.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType &&
		st.UpdatedReplicas == st.Replicas && st.ReadyReplicas == st.Replicas {
		st.CurrentReplicas = st.UpdatedReplicas
		st.CurrentRevision = st.UpdateRevision
	}
}

// rollingUpdate deletes, from the highest ordinal down to the partition,
// the first pod not at the update revision, one at a time, waiting for
// each slot to be healthy again; the create path brings it back at the
// update revision.
func (r *run) rollingUpdate() error {
	if r.set.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return nil
	}
	minIdx := 0
	if ru := r.set.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		minIdx = int(*ru.Partition)
	}
	for i := len(r.replicas) - 1; i >= minIdx; i-- {
		p := r.replicas[i]
		if p == nil {
			return nil
		}
		if p.Labels[RevisionLabel] != r.h.update.Name && p.DeletionTimestamp == nil {
			if err := r.c.deletePod(r.set, p); err != nil {
				return err
			}
			r.status.CurrentReplicas--
			return nil
		}
		if !r.healthy(p) {
			return nil
		}
	}
	return nil
}
