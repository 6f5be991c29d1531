package cronjob

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/cron"
)

// Event reasons, as upstream.
const (
	SuccessfulCreate    = "SuccessfulCreate"
	FailedCreate        = "FailedCreate"
	SuccessfulDelete    = "SuccessfulDelete"
	SawCompletedJob     = "SawCompletedJob"
	TooManyMissedTimes  = "TooManyMissedTimes"
	JobAlreadyActive    = "JobAlreadyActive"
	MissSchedule        = "MissSchedule"
	UnparseableSchedule = "UnparseableSchedule"
	InvalidSchedule     = "InvalidSchedule"
	UnknownTimeZone     = "UnknownTimeZone"
	UnsupportedSchedule = "UnsupportedSchedule"

	// ScheduledTimestampAnnotation records the scheduled time on each Job.
	ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"
)

// sync reconciles one CronJob: status.active against its Jobs, history
// cleanup, then the schedule.
func (c *Controller) sync(key string) error {
	cj, ok := controllerutil.Get[*batchv1.CronJob](c.Store, "CronJob", key)
	if !ok {
		return nil
	}
	if cj.DeletionTimestamp != nil {
		return nil
	}
	jobs := ownedJobs(c, cj)
	st := cj.Status.DeepCopy()
	c.trackActive(cj, st, jobs)
	c.cleanupHistory(cj, jobs)
	var err error
	if cj.Spec.Suspend == nil || !*cj.Spec.Suspend {
		err = c.schedule(key, cj, st)
	}
	if !equality.Semantic.DeepEqual(cj.Status, *st) {
		n := *cj
		n.Status = *st
		if _, werr := c.Client.UpdateStatus(&n); werr != nil {
			return werr
		}
	}
	return err
}

func ownedJobs(c *Controller, cj *batchv1.CronJob) []*batchv1.Job {
	objs := controllerutil.ControlledBy(c.Store, "Job", cj)
	out := make([]*batchv1.Job, len(objs))
	for i, o := range objs {
		out[i] = o.(*batchv1.Job)
	}
	return out
}

// finished is the Job's terminal condition type, or "".
func finished(j *batchv1.Job) batchv1.JobConditionType {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c.Type
		}
	}
	return ""
}

// trackActive keeps status.active to the owned unfinished Jobs, noting
// each Job seen finishing.
func (c *Controller) trackActive(cj *batchv1.CronJob, st *batchv1.CronJobStatus, jobs []*batchv1.Job) {
	wasActive := map[string]bool{}
	for _, r := range st.Active {
		wasActive[r.Name] = true
	}
	st.Active = nil
	for _, j := range jobs {
		cond := finished(j)
		switch {
		case cond == "" && j.DeletionTimestamp == nil:
			st.Active = append(st.Active, jobRef(j))
		case cond != "" && wasActive[j.Name]:
			c.Client.Event(cj, corev1.EventTypeNormal, SawCompletedJob, fmt.Sprintf("Saw completed job: %s, condition: %s", j.Name, cond))
		}
		if cond == batchv1.JobComplete && j.Status.CompletionTime != nil &&
			(st.LastSuccessfulTime == nil || j.Status.CompletionTime.After(st.LastSuccessfulTime.Time)) {
			st.LastSuccessfulTime = j.Status.CompletionTime.DeepCopy()
		}
	}
}

func jobRef(j *batchv1.Job) corev1.ObjectReference {
	return corev1.ObjectReference{Kind: "Job", Namespace: j.Namespace, Name: j.Name, UID: j.UID,
		APIVersion: batchv1.SchemeGroupVersion.String(), ResourceVersion: j.ResourceVersion}
}

// cleanupHistory deletes the oldest finished Jobs beyond the successful
// and failed history limits.
func (c *Controller) cleanupHistory(cj *batchv1.CronJob, jobs []*batchv1.Job) {
	var ok, failed []*batchv1.Job
	for _, j := range jobs {
		switch finished(j) {
		case batchv1.JobComplete:
			ok = append(ok, j)
		case batchv1.JobFailed:
			failed = append(failed, j)
		}
	}
	c.trim(cj, ok, cj.Spec.SuccessfulJobsHistoryLimit)
	c.trim(cj, failed, cj.Spec.FailedJobsHistoryLimit)
}

func (c *Controller) trim(cj *batchv1.CronJob, jobs []*batchv1.Job, limit *int32) {
	if limit == nil || len(jobs) <= int(*limit) {
		return
	}
	slices.SortStableFunc(jobs, func(a, b *batchv1.Job) int {
		return startOf(a).Compare(startOf(b))
	})
	for _, j := range jobs[:len(jobs)-int(*limit)] {
		c.deleteJob(cj, j)
	}
}

func startOf(j *batchv1.Job) time.Time {
	if j.Status.StartTime != nil {
		return j.Status.StartTime.Time
	}
	return j.CreationTimestamp.Time
}

func (c *Controller) deleteJob(cj *batchv1.CronJob, j *batchv1.Job) {
	err := c.Client.Delete("Job", j.Namespace, j.Name, apiserver.DeleteOptions{Propagation: metav1.DeletePropagationBackground})
	if err == nil {
		c.Client.Event(cj, corev1.EventTypeNormal, SuccessfulDelete, "Deleted job "+j.Name)
	}
}

// schedule starts the most recent missed run, if any, and requeues the
// CronJob for the next one: upstream's syncCronJob from the time-zone
// check on, with its events and messages.
func (c *Controller) schedule(key string, cj *batchv1.CronJob, st *batchv1.CronJobStatus) error {
	if tz := cj.Spec.TimeZone; tz != nil {
		if _, err := time.LoadLocation(*tz); err != nil {
			c.Client.Event(cj, corev1.EventTypeWarning, UnknownTimeZone, fmt.Sprintf("invalid timeZone: %q: %s", *tz, err))
			return nil
		}
	}
	if strings.Contains(cj.Spec.Schedule, "TZ") {
		c.Client.Event(cj, corev1.EventTypeWarning, UnsupportedSchedule, fmt.Sprintf("CRON_TZ or TZ used in schedule %q is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details", cj.Spec.Schedule))
	}
	sched, err := cron.Parse(formatSchedule(cj))
	if err != nil {
		c.Client.Event(cj, corev1.EventTypeWarning, UnparseableSchedule, fmt.Sprintf("unparseable schedule: %q : %s", cj.Spec.Schedule, err))
		return nil
	}
	now := c.Engine.Now()
	// The decisions below read the status as this sync leaves it.
	view := *cj
	view.Status = *st
	scheduled, tooMany, err := nextScheduleTime(&view, now, sched)
	if err != nil {
		c.Client.Event(cj, corev1.EventTypeWarning, InvalidSchedule, fmt.Sprintf("invalid schedule: %s : %s", cj.Spec.Schedule, err))
		return nil
	}
	if tooMany {
		c.Client.Event(cj, corev1.EventTypeWarning, TooManyMissedTimes, "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
	}
	defer func() { c.requeueNext(key, &view, st, now, sched) }()
	if scheduled == nil {
		return nil
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil && scheduled.Add(time.Duration(*d)*time.Second).Before(now) {
		c.Client.Event(cj, corev1.EventTypeWarning, MissSchedule, "Missed scheduled time to start a job: "+scheduled.UTC().Format(time.RFC1123Z))
		return nil
	}
	name := JobName(cj.Name, *scheduled)
	for _, r := range st.Active {
		if r.Name == name && r.Namespace == cj.Namespace {
			return nil // this start time is already processed
		}
	}
	if st.LastScheduleTime.Equal(&metav1.Time{Time: *scheduled}) {
		return nil
	}
	if len(st.Active) > 0 {
		switch cj.Spec.ConcurrencyPolicy {
		case batchv1.ForbidConcurrent:
			c.Client.Event(cj, corev1.EventTypeNormal, JobAlreadyActive, "Not starting job because prior execution is running and concurrency policy is Forbid")
			return nil
		case batchv1.ReplaceConcurrent:
			for _, r := range st.Active {
				if o, ok := c.Store.Get("Job", r.Namespace, r.Name); ok {
					c.deleteJob(cj, o.(*batchv1.Job))
				}
			}
			st.Active = nil
		}
	}
	return c.createJob(cj, st, *scheduled)
}

// requeueNext syncs the CronJob again when its next start time is due,
// as upstream's nextScheduleTimeDuration says, from the status this sync
// writes. A schedule that never fires again is not requeued.
func (c *Controller) requeueNext(key string, view *batchv1.CronJob, st *batchv1.CronJobStatus, now time.Time, sched *cron.Schedule) {
	view.Status = *st
	if sched.Next(now).IsZero() {
		return
	}
	c.Queue.AddAfter(key, nextScheduleTimeDuration(view, now, sched))
}

// JobName is the name of the Job for a scheduled time: the CronJob's name
// and the time in minutes since the Unix epoch.
func JobName(cronJob string, scheduled time.Time) string {
	return cronJob + "-" + strconv.FormatInt(scheduled.Unix()/60, 10)
}

func (c *Controller) createJob(cj *batchv1.CronJob, st *batchv1.CronJobStatus, scheduled time.Time) error {
	t := cj.Spec.JobTemplate
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name: JobName(cj.Name, scheduled), Namespace: cj.Namespace,
			Labels:      maps.Clone(t.Labels),
			Annotations: maps.Clone(t.Annotations),
		},
		Spec: *t.Spec.DeepCopy(),
	}
	if j.Annotations == nil {
		j.Annotations = map[string]string{}
	}
	j.Annotations[ScheduledTimestampAnnotation] = scheduled.UTC().Format(time.RFC3339)
	ref := controllerutil.NewControllerRef(cj, "CronJob")
	ref.APIVersion = batchv1.SchemeGroupVersion.String()
	j.OwnerReferences = []metav1.OwnerReference{ref}
	out, err := c.Client.Create(j)
	switch {
	case apierrors.IsAlreadyExists(err):
		// Created by an earlier sync whose status write was lost.
	case err != nil:
		c.Client.Event(cj, corev1.EventTypeWarning, FailedCreate, fmt.Sprintf("Error creating job: %v", err))
		return err
	default:
		c.Client.Event(cj, corev1.EventTypeNormal, SuccessfulCreate, "Created job "+out.GetName())
		st.Active = append(st.Active, jobRef(out.(*batchv1.Job)))
	}
	st.LastScheduleTime = &metav1.Time{Time: scheduled}
	return nil
}
