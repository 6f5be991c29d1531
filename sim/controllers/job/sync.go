package job

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Event reasons and condition messages, as upstream.
const (
	Completed            = "Completed"
	BackoffLimitExceeded = "BackoffLimitExceeded"
	DeadlineExceeded     = "DeadlineExceeded"
	CompletionsReached   = "CompletionsReached"

	msgBackoff   = "Job has reached the specified backoff limit"
	msgDeadline  = "Job was active longer than specified deadline"
	msgCompleted = "Reached expected number of succeeded pods"
)

// podCounts is what the Job's pods say about its progress.
type podCounts struct {
	active                          []*corev1.Pod
	succeeded, failed, ready, terms int32
	restarts                        int32 // of active pods (OnFailure back-off)
	lastSuccess, lastFailure        time.Time
	failuresSinceSuccess            int
}

// sync reconciles one Job. Level triggered: the pods are re-read from the
// owner index each time.
func (c *Controller) sync(key string) error {
	job, ok := controllerutil.Get[*batchv1.Job](c.Store, "Job", key)
	if !ok {
		c.exp.Delete(key)
		return nil
	}
	if job.DeletionTimestamp != nil {
		return nil
	}
	if finishedCondition(job) != nil {
		return c.expireTTL(key, job)
	}
	pods := controllerutil.ControlledBy(c.Store, "Pod", job)
	cnt := countPods(pods)
	now := c.Engine.Now()
	st := job.Status.DeepCopy()
	suspended := job.Spec.Suspend != nil && *job.Spec.Suspend
	if st.StartTime == nil && !suspended {
		st.StartTime = &metav1.Time{Time: now}
	}
	st.Succeeded = max(st.Succeeded, cnt.succeeded)
	st.Failed = max(st.Failed, cnt.failed)
	var err error
	switch reason, msg := c.failure(job, st, &cnt, now); {
	case reason != "":
		c.deletePods(job, cnt.active)
		cnt.active = nil
		c.finish(job, st, batchv1.JobFailureTarget, batchv1.JobFailed, reason, msg, now)
		c.Client.Event(job, corev1.EventTypeWarning, reason, msg)
	case complete(job, st, len(cnt.active)):
		c.deletePods(job, cnt.active)
		cnt.active = nil
		c.finish(job, st, batchv1.JobSuccessCriteriaMet, batchv1.JobComplete, CompletionsReached, msgCompleted, now)
		st.CompletionTime = &metav1.Time{Time: now}
		c.Client.Event(job, corev1.EventTypeNormal, Completed, "Job completed")
	case suspended:
		c.deletePods(job, cnt.active)
		cnt.active = nil
	case c.exp.Satisfied(key):
		err = c.manage(key, job, st, &cnt, now)
	}
	st.Active = int32(len(cnt.active))
	st.Ready = &cnt.ready
	st.Terminating = &cnt.terms
	if st.UncountedTerminatedPods == nil {
		st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	if werr := c.writeStatus(job, st); werr != nil {
		return werr
	}
	if finishedConditionOf(st) != nil {
		c.Queue.Add(key) // schedule the TTL, if any
	}
	return err
}

// countPods tallies a Job's pods; pods being deleted count as neither
// active nor finished (they are replaced, podReplacementPolicy
// TerminatingOrFailed).
func countPods(objs []store.Object) podCounts {
	var cnt podCounts
	for _, o := range objs {
		p := o.(*corev1.Pod)
		switch {
		case p.Status.Phase == corev1.PodSucceeded:
			cnt.succeeded++
			if t := finishTime(p); t.After(cnt.lastSuccess) {
				cnt.lastSuccess = t
			}
		case p.Status.Phase == corev1.PodFailed:
			cnt.failed++
			if t := finishTime(p); t.After(cnt.lastFailure) {
				cnt.lastFailure = t
			}
		case p.DeletionTimestamp != nil:
			cnt.terms++
		default:
			cnt.active = append(cnt.active, p)
			cnt.restarts += podRestarts(p)
			if podutil.IsReady(p) {
				cnt.ready++
			}
		}
	}
	for _, o := range objs {
		p := o.(*corev1.Pod)
		if p.Status.Phase == corev1.PodFailed && !finishTime(p).Before(cnt.lastSuccess) {
			cnt.failuresSinceSuccess++
		}
	}
	return cnt
}

// finishTime is when a finished pod's last container ended.
func finishTime(p *corev1.Pod) time.Time {
	var t time.Time
	for i := range p.Status.ContainerStatuses {
		if term := p.Status.ContainerStatuses[i].State.Terminated; term != nil && term.FinishedAt.After(t) {
			t = term.FinishedAt.Time
		}
	}
	if t.IsZero() {
		t = p.CreationTimestamp.Time
	}
	return t
}

// failure is the reason the Job fails now, if any: failed pods past
// backoffLimit (container restarts count under OnFailure), or the
// active deadline. A deadline in the future is requeued.
func (c *Controller) failure(job *batchv1.Job, st *batchv1.JobStatus, cnt *podCounts, now time.Time) (string, string) {
	limit := *job.Spec.BackoffLimit
	if st.Failed > limit {
		return BackoffLimitExceeded, msgBackoff
	}
	if job.Spec.Template.Spec.RestartPolicy == corev1.RestartPolicyOnFailure &&
		(limit == 0 && cnt.restarts > 0 || limit > 0 && cnt.restarts >= limit) {
		return BackoffLimitExceeded, msgBackoff
	}
	if ads := job.Spec.ActiveDeadlineSeconds; ads != nil && st.StartTime != nil {
		deadline := st.StartTime.Add(time.Duration(*ads) * time.Second)
		if !now.Before(deadline) {
			return DeadlineExceeded, msgDeadline
		}
		c.Queue.AddAfter(store.KeyOf(job), deadline.Sub(now))
	}
	return "", ""
}

// complete: the completions have succeeded, or (no completions set) some
// pod succeeded and none is left running.
func complete(job *batchv1.Job, st *batchv1.JobStatus, active int) bool {
	if job.Spec.Completions != nil {
		return st.Succeeded >= *job.Spec.Completions
	}
	return st.Succeeded > 0 && active == 0
}

// finish appends the interim condition (FailureTarget or
// SuccessCriteriaMet) and the terminal one, as upstream does once the
// Job's pods are gone.
func (c *Controller) finish(job *batchv1.Job, st *batchv1.JobStatus, interim, final batchv1.JobConditionType, reason, msg string, now time.Time) {
	t := metav1.Time{Time: now}
	for _, typ := range []batchv1.JobConditionType{interim, final} {
		st.Conditions = append(st.Conditions, batchv1.JobCondition{Type: typ, Status: corev1.ConditionTrue,
			LastProbeTime: t, LastTransitionTime: t, Reason: reason, Message: msg})
	}
}

// manage creates the missing pods, once the failure back-off has passed.
func (c *Controller) manage(key string, job *batchv1.Job, st *batchv1.JobStatus, cnt *podCounts, now time.Time) error {
	want := *job.Spec.Parallelism
	if job.Spec.Completions != nil {
		want = min(want, *job.Spec.Completions-st.Succeeded)
	} else if st.Succeeded > 0 {
		want = 0
	}
	diff := min(int(want)-len(cnt.active), c.Config.BurstReplicas)
	if diff <= 0 {
		return nil
	}
	if n := cnt.failuresSinceSuccess; n > 0 {
		if wait := remainingBackoff(int32(n), &cnt.lastFailure, now, DefaultBackoff, MaxBackoff); wait > 0 {
			c.Queue.AddAfter(key, wait)
			return nil
		}
	}
	return c.createPods(key, job, diff, cnt)
}

// Backoff is the delay before recreating a pod after n consecutive
// failures: 10 s, 20 s, 40 s, ... capped at MaxBackoff.
func Backoff(n int) time.Duration { return backoffFor(int32(n), DefaultBackoff, MaxBackoff) }

func backoffFor(failures int32, def, maxBackoff time.Duration) time.Duration {
	d := def
	for i := int32(1); i < failures; i++ {
		if d *= 2; d >= maxBackoff {
			return maxBackoff
		}
	}
	return min(d, maxBackoff)
}

// remainingBackoff is upstream's getRemainingTimeForFailuresCount: how
// long after now the next pod may be created, given failures consecutive
// failures, the last at lastFailure.
func remainingBackoff(failures int32, lastFailure *time.Time, now time.Time, def, maxBackoff time.Duration) time.Duration {
	if failures == 0 {
		return 0
	}
	d, elapsed := backoffFor(failures, def, maxBackoff), now.Sub(*lastFailure)
	if d < elapsed {
		return 0
	}
	return d - elapsed
}

func (c *Controller) createPods(key string, job *batchv1.Job, n int, cnt *podCounts) error {
	c.exp.ExpectCreations(key, n)
	refs := []metav1.OwnerReference{controllerRef(job)}
	// The pods are alike: what they share is validated once.
	batch := c.Client.NewPodBatch(controllerutil.SharedPodFromTemplate(&job.Spec.Template, job, refs))
	var first error
	for i := 0; i < n; i++ {
		out, err := c.CreateBatchPod(job, batch)
		if err != nil {
			c.exp.CreationObserved(key)
			if first == nil {
				first = err
			}
			continue
		}
		cnt.active = append(cnt.active, out)
	}
	return first
}

func controllerRef(job *batchv1.Job) metav1.OwnerReference {
	ref := controllerutil.NewControllerRef(job, "Job")
	ref.APIVersion = batchv1.SchemeGroupVersion.String()
	return ref
}

func (c *Controller) deletePods(job *batchv1.Job, pods []*corev1.Pod) {
	for _, p := range pods {
		_ = c.DeletePod(job, p) // the event says what failed; the next sync tries again
	}
}

func (c *Controller) writeStatus(job *batchv1.Job, st *batchv1.JobStatus) error {
	if equality.Semantic.DeepEqual(job.Status, *st) {
		return nil
	}
	n := *job
	n.Status = *st
	_, err := c.Client.UpdateStatus(&n)
	return err
}

// finishedCondition is the Job's true Complete or Failed condition.
func finishedCondition(job *batchv1.Job) *batchv1.JobCondition {
	return finishedConditionOf(&job.Status)
}

func finishedConditionOf(st *batchv1.JobStatus) *batchv1.JobCondition {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// expireTTL deletes a finished Job once ttlSecondsAfterFinished has
// passed (the ttl-after-finished controller's job, folded in here).
func (c *Controller) expireTTL(key string, job *batchv1.Job) error {
	ttl := job.Spec.TTLSecondsAfterFinished
	if ttl == nil {
		return nil
	}
	at := finishedCondition(job).LastTransitionTime.Add(time.Duration(*ttl) * time.Second)
	if wait := at.Sub(c.Engine.Now()); wait > 0 {
		c.Queue.AddAfter(key, wait)
		return nil
	}
	err := c.Client.Delete("Job", job.Namespace, job.Name, apiserver.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
