package cronjob_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/controllers/controllertest"
	"github.com/kubesim/kubesim/sim/controllers/cronjob"
)

func cron(name string, policy batchv1.ConcurrencyPolicy, cmd ...string) *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: batchv1.CronJobSpec{Schedule: "*/1 * * * *", ConcurrencyPolicy: policy,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: controllertest.JobTemplate(cmd...)}}},
	}
}

func run(t *testing.T, cj *batchv1.CronJob, d time.Duration) *cluster.Cluster {
	c := controllertest.Cluster(t, 2)
	_, err := c.Client("test").Create(cj)
	require.NoError(t, err)
	c.Engine.RunUntil(d)
	return c
}

// TestEveryMinuteKeepsHistory: a Job per minute, named by the scheduled
// minute, and only the 3 latest successful ones are kept.
func TestEveryMinuteKeepsHistory(t *testing.T) {
	c := run(t, cron("tick", "", "true"), 6*time.Minute+30*time.Second)
	jobs := c.Store.List("Job", "default")
	require.Len(t, jobs, 3)
	for i, o := range jobs {
		want := cronjob.JobName("tick", sim.Epoch.Add(time.Duration(4+i)*time.Minute))
		require.Equal(t, want, o.GetName())
	}
	o, _ := c.Store.Get("CronJob", "default", "tick")
	cj := o.(*batchv1.CronJob)
	require.Equal(t, sim.Epoch.Add(6*time.Minute), cj.Status.LastScheduleTime.Time)
	require.NotNil(t, cj.Status.LastSuccessfulTime)
	require.Empty(t, cj.Status.Active)
	require.Equal(t, batchv1.AllowConcurrent, cj.Spec.ConcurrencyPolicy)
}

// TestForbidSkipsWhileRunning: a 150 s job under Forbid blocks the runs
// of minutes 2 and 3; as upstream (lastScheduleTime is not advanced by a
// skip) the missed minute-3 run starts late once the first Job is done,
// and it in turn blocks minutes 4 and 5: two Jobs in 5.5 minutes.
func TestForbidSkipsWhileRunning(t *testing.T) {
	c := run(t, cron("slow", batchv1.ForbidConcurrent, "sleep", "150"), 5*time.Minute+30*time.Second)
	var names []string
	for _, o := range c.Store.List("Job", "default") {
		names = append(names, o.GetName())
	}
	require.Equal(t, []string{cronjob.JobName("slow", sim.Epoch.Add(time.Minute)), cronjob.JobName("slow", sim.Epoch.Add(3*time.Minute))}, names)
	j, _ := c.Store.Get("Job", "default", names[1])
	require.Greater(t, j.GetCreationTimestamp().Sub(sim.Epoch), 3*time.Minute+30*time.Second, "started late, after the first finished")
}

func TestAllowRunsConcurrently(t *testing.T) {
	c := run(t, cron("slow", batchv1.AllowConcurrent, "sleep", "150"), 3*time.Minute+30*time.Second)
	require.Len(t, c.Store.List("Job", "default"), 3)
	o, _ := c.Store.Get("CronJob", "default", "slow")
	require.Len(t, o.(*batchv1.CronJob).Status.Active, 3, "all three run at once")
}

// TestTimeZoneValidation: upstream's rules for spec.timeZone and
// spec.schedule, with its messages.
func TestTimeZoneValidation(t *testing.T) {
	c := controllertest.Cluster(t, 0)
	zone := func(s string) *string { return &s }
	for _, tc := range []struct {
		name, schedule string
		tz             *string
		want           string
	}{
		{"unknown zone", "0 * * * *", zone("Mars/Olympus"), `spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus`},
		{"bad characters", "0 * * * *", zone("Europe/../Paris"), `spec.timeZone: Invalid value: "Europe/../Paris": unknown time zone Europe/../Paris`},
		{"empty zone", "0 * * * *", zone(""), "timeZone must be nil or non-empty string"},
		{"Local", "0 * * * *", zone("Local"), "timeZone must be an explicit time zone"},
		{"minute out of range", "61 * * * *", nil, `spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61`},
		{"Sunday is 0", "0 0 * * 7", nil, "end of range (7) above maximum (6): 7"},
		{"zone in schedule", "TZ=Europe/Paris 0 * * * *", nil, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cj := cron("bad", "", "true")
			cj.Spec.Schedule, cj.Spec.TimeZone = tc.schedule, tc.tz
			_, err := c.Client("test").Create(cj)
			require.ErrorContains(t, err, tc.want)
		})
	}
	for i, ok := range []struct{ schedule, tz string }{{"0 9 * * 1-5", "Europe/Paris"}, {"@every 90m", "UTC"}} {
		cj := cron(fmt.Sprintf("ok-%d", i), "", "true")
		cj.Spec.Schedule, cj.Spec.TimeZone = ok.schedule, &ok.tz
		_, err := c.Client("test").Create(cj)
		require.NoError(t, err, ok.schedule)
	}
}

// TestTimeZoneSchedule: a CronJob in spec.timeZone fires at the zone's
// wall-clock time. 09:00 in New York on 1 January 2026 (EST, UTC-5) is
// 14:00 UTC; the Job is created 100 ms after the scheduled time, as
// upstream's requeue delta makes it.
func TestTimeZoneSchedule(t *testing.T) {
	cj := cron("ny", "", "true")
	cj.Spec.Schedule = "0 9 * * *"
	tz := "America/New_York"
	cj.Spec.TimeZone = &tz
	c := run(t, cj, 14*time.Hour+time.Minute)
	jobs := c.Store.List("Job", "default")
	require.Len(t, jobs, 1)
	want := sim.Epoch.Add(14 * time.Hour)
	require.Equal(t, cronjob.JobName("ny", want), jobs[0].GetName())
	require.Equal(t, want.Add(100*time.Millisecond), jobs[0].GetCreationTimestamp().UTC())
	o, _ := c.Store.Get("CronJob", "default", "ny")
	require.True(t, want.Equal(o.(*batchv1.CronJob).Status.LastScheduleTime.Time))
}
