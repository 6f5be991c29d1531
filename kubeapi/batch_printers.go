package kubeapi

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
)

// kubectl's job and cronjob columns (printers.go upstream, v1.32).
func init() {
	printers["Job"] = &printer{cols("Name", "Status", "Completions", "Duration", "Age", "+Containers", "+Images", "+Selector"), jobCells}
	printers["CronJob"] = &printer{cols("Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "+Containers", "+Images", "+Selector"), cronJobCells}
}

func jobCells(o store.Object, now time.Time) []any {
	j := o.(*batchv1.Job)
	var completions string
	switch par := ptr.Deref(j.Spec.Parallelism, 1); {
	case j.Spec.Completions != nil:
		completions = fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
	case par > 1:
		completions = fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, par)
	default:
		completions = fmt.Sprintf("%d/1", j.Status.Succeeded)
	}
	var dur string
	switch st := j.Status; {
	case st.StartTime == nil:
	case st.CompletionTime == nil:
		dur = duration.HumanDuration(now.Sub(st.StartTime.Time))
	default:
		dur = duration.HumanDuration(st.CompletionTime.Sub(st.StartTime.Time))
	}
	c, i := containersImages(j.Spec.Template.Spec)
	return []any{j.Name, jobStatus(j), completions, dur, age(j.CreationTimestamp, now), c, i, metav1.FormatLabelSelector(j.Spec.Selector)}
}

// jobStatus is the STATUS column: the first of these conditions found.
func jobStatus(j *batchv1.Job) string {
	has := func(t batchv1.JobConditionType) bool {
		for _, c := range j.Status.Conditions {
			if c.Type == t && c.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	}
	switch {
	case has(batchv1.JobComplete):
		return "Complete"
	case has(batchv1.JobFailed):
		return "Failed"
	case j.DeletionTimestamp != nil:
		return "Terminating"
	case has(batchv1.JobSuspended):
		return "Suspended"
	case has(batchv1.JobFailureTarget):
		return "FailureTarget"
	case has(batchv1.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	}
	return "Running"
}

func cronJobCells(o store.Object, now time.Time) []any {
	cj := o.(*batchv1.CronJob)
	tz, suspend, last := "<none>", "<unset>", "<none>"
	if cj.Spec.TimeZone != nil {
		tz = *cj.Spec.TimeZone
	}
	if cj.Spec.Suspend != nil {
		suspend = "False"
		if *cj.Spec.Suspend {
			suspend = "True"
		}
	}
	if cj.Status.LastScheduleTime != nil {
		last = age(*cj.Status.LastScheduleTime, now)
	}
	c, i := containersImages(cj.Spec.JobTemplate.Spec.Template.Spec)
	return []any{cj.Name, cj.Spec.Schedule, tz, suspend, int64(len(cj.Status.Active)), last, age(cj.CreationTimestamp, now),
		c, i, metav1.FormatLabelSelector(cj.Spec.JobTemplate.Spec.Selector)}
}
