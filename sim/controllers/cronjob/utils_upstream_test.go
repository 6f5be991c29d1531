package cronjob

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (our cron package wraps the same parser, robfig/cron/v3
// ParseStandard; nextScheduleTime reports "too many missed" to its caller,
// which records the TooManyMissedTimes event, instead of taking a
// recorder; TestNextScheduleTime's eight cases, which upstream runs in
// turn on one CronJob, are a table whose rows state the whole CronJob
// state each case ran with, and CronJobs are built by cronJob):
//   kubernetes v1.37.2 pkg/controller/cronjob/utils_test.go
//     TestNextScheduleTime, TestMostRecentScheduleTime,
//     TestNextScheduleTimeDuration
// Not ported: TestGetJobFromTemplate2 and TestByJobStartTime (Job
// construction and history ordering, covered by cronjob_test.go).
// No case is skipped.

import (
	"cmp"
	"reflect"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/cron"
)

func TestUpstreamNextScheduleTime(t *testing.T) {
	// schedule is hourly on the hour
	schedule := "0 * * * ?"

	ParseSchedule := func(schedule string) *cron.Schedule {
		sched, err := cron.Parse(schedule)
		if err != nil {
			t.Errorf("Error parsing schedule: %#v", err)
			return nil
		}
		return sched
	}
	// T1 is a scheduled start time of that schedule
	T1 := *topOfTheHour()
	// T2 is a scheduled start time of that schedule after T1
	T2 := *deltaTimeAfterTopOfTheHour(1 * time.Hour)

	cj := batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{
			Name:      "mycronjob",
			Namespace: metav1.NamespaceDefault,
			UID:       types.UID("1a2b3c"),
		},
		Spec: batchv1.CronJobSpec{
			Schedule:          schedule,
			ConcurrencyPolicy: batchv1.AllowConcurrent,
			JobTemplate:       batchv1.JobTemplateSpec{},
		},
	}
	at := func(t time.Time) *metav1.Time { return &metav1.Time{Time: t} }
	twoHours := int64(2 * 60 * 60)
	// Upstream's eight cases run in turn on the one CronJob, each setting
	// what it changes; here each case states the CronJob's whole state
	// (case 8 keeps case 7's deadline, as upstream's does).
	for _, c := range []struct {
		name     string
		created  time.Time
		last     *metav1.Time // status.lastScheduleTime
		deadline *int64       // spec.startingDeadlineSeconds
		schedule string       // parsed instead of the CronJob's own
		now      time.Time
		want     *time.Time // the start time expected
		anyStart bool       // some start time, whichever
		wantErr  bool
	}{
		// Creation time is before T1; current time is more than creation time, but less than T1.
		{name: "Case 1: no known start times, and none needed yet", created: T1.Add(-10 * time.Minute), now: T1.Add(-7 * time.Minute)},
		// Creation time is before T1; current time is after T1.
		{name: "Case 2: no known start times, and one needed", created: T1.Add(-10 * time.Minute), now: T1.Add(2 * time.Second), want: &T1},
		// Status shows a start at the expected time; current time is after T1.
		{name: "Case 3: known LastScheduleTime, no start needed", created: T1.Add(-10 * time.Minute), last: at(T1), now: T1.Add(2 * time.Minute)},
		// Current time is after T1 and after T2.
		{name: "Case 4: known LastScheduleTime, a start needed", created: T1.Add(-10 * time.Minute), last: at(T1), now: T2.Add(5 * time.Minute), want: &T2},
		{name: "Case 5: known LastScheduleTime, two starts needed", created: T1.Add(-2 * time.Hour), last: at(T1.Add(-1 * time.Hour)), now: T2.Add(5 * time.Minute), want: &T2},
		{name: "Case 6: now is way way ahead of last start time, and there is no deadline", created: T1.Add(-2 * time.Hour), last: at(T1.Add(-1 * time.Hour)), now: T2.Add(10 * 24 * time.Hour), anyStart: true},
		{name: "Case 7: now is way way ahead of last start time, but there is a short deadline", created: T1.Add(-2 * time.Hour), last: at(T1.Add(-1 * time.Hour)), deadline: &twoHours, now: T2.Add(10 * 24 * time.Hour), anyStart: true},
		// rouge schedule
		{name: "Case 8: ensure the error from mostRecentScheduleTime gets populated up", created: T1.Add(10 * time.Second), deadline: &twoHours, schedule: "59 23 31 2 *", now: *deltaTimeAfterTopOfTheHour(1 * time.Hour), wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cj := cj.DeepCopy()
			cj.CreationTimestamp = metav1.Time{Time: c.created}
			cj.Status.LastScheduleTime = c.last
			cj.Spec.StartingDeadlineSeconds = c.deadline
			sched := ParseSchedule(cmp.Or(c.schedule, cj.Spec.Schedule))
			schedule, _, err := nextScheduleTime(cj, c.now, sched)
			switch {
			case c.anyStart && schedule == nil:
				t.Errorf("expected more than 0 missed times")
			case c.anyStart:
			case c.want == nil && schedule != nil:
				t.Errorf("expected no start time, got:  %v", schedule)
			case c.want != nil && schedule == nil:
				t.Errorf("expected 1 start time, got nil")
			case c.want != nil && !schedule.Equal(*c.want):
				t.Errorf("expected: %v, got: %v", *c.want, schedule)
			}
			if c.wantErr && err == nil {
				t.Errorf("expected error")
			}
		})
	}
}

func TestUpstreamMostRecentScheduleTime(t *testing.T) {
	metav1TopOfTheHour := metav1.NewTime(*topOfTheHour())
	metav1HalfPastTheHour := metav1.NewTime(*deltaTimeAfterTopOfTheHour(30 * time.Minute))
	metav1MinuteAfterTopOfTheHour := metav1.NewTime(*deltaTimeAfterTopOfTheHour(1 * time.Minute))
	oneMinute := int64(60)
	tenSeconds := int64(10)

	// cronJob is a CronJob created at created with schedule, last
	// scheduled at last and startingDeadlineSeconds deadline (nil: unset).
	cronJob := func(created metav1.Time, schedule string, last *metav1.Time, deadline *int64) *batchv1.CronJob {
		return &batchv1.CronJob{
			ObjectMeta: metav1.ObjectMeta{CreationTimestamp: created},
			Spec:       batchv1.CronJobSpec{Schedule: schedule, StartingDeadlineSeconds: deadline},
			Status:     batchv1.CronJobStatus{LastScheduleTime: last},
		}
	}

	tests := []struct {
		name                  string
		cj                    *batchv1.CronJob
		includeSDS            bool
		now                   time.Time
		expectedEarliestTime  time.Time
		expectedRecentTime    *time.Time
		expectedTooManyMissed missedSchedulesType
		wantErr               bool
	}{
		{name: "now before next schedule", cj: cronJob(metav1TopOfTheHour, "0 * * * *", nil, nil), now: topOfTheHour().Add(30 * time.Second), expectedRecentTime: nil, expectedEarliestTime: *topOfTheHour()},
		{name: "now just after next schedule", cj: cronJob(metav1TopOfTheHour, "0 * * * *", nil, nil), now: topOfTheHour().Add(61 * time.Minute), expectedRecentTime: deltaTimeAfterTopOfTheHour(60 * time.Minute), expectedEarliestTime: *topOfTheHour()},
		{name: "missed 5 schedules", cj: cronJob(metav1.NewTime(*deltaTimeAfterTopOfTheHour(10 * time.Second)), "0 * * * *", nil, nil), now: *deltaTimeAfterTopOfTheHour(301 * time.Minute), expectedRecentTime: deltaTimeAfterTopOfTheHour(300 * time.Minute), expectedEarliestTime: *deltaTimeAfterTopOfTheHour(10 * time.Second), expectedTooManyMissed: fewMissed},
		{name: "complex schedule", cj: cronJob(metav1TopOfTheHour, "30 6-16/4 * * 1-5", &metav1HalfPastTheHour, nil), now: *deltaTimeAfterTopOfTheHour(24*time.Hour + 31*time.Minute), expectedRecentTime: deltaTimeAfterTopOfTheHour(24*time.Hour + 30*time.Minute), expectedEarliestTime: *deltaTimeAfterTopOfTheHour(30 * time.Minute), expectedTooManyMissed: fewMissed},
		{name: "another complex schedule", cj: cronJob(metav1TopOfTheHour, "30 10,11,12 * * 1-5", &metav1HalfPastTheHour, nil), now: *deltaTimeAfterTopOfTheHour(30*time.Hour + 30*time.Minute), expectedRecentTime: nil, expectedEarliestTime: *deltaTimeAfterTopOfTheHour(30 * time.Minute), expectedTooManyMissed: fewMissed},
		{name: "complex schedule with longer diff between executions", cj: cronJob(metav1TopOfTheHour, "30 6-16/4 * * 1-5", &metav1HalfPastTheHour, nil), now: *deltaTimeAfterTopOfTheHour(96*time.Hour + 31*time.Minute), expectedRecentTime: deltaTimeAfterTopOfTheHour(96*time.Hour + 30*time.Minute), expectedEarliestTime: *deltaTimeAfterTopOfTheHour(30 * time.Minute), expectedTooManyMissed: fewMissed},
		{name: "complex schedule with shorter diff between executions", cj: cronJob(metav1TopOfTheHour, "30 6-16/4 * * 1-5", nil, nil), now: *deltaTimeAfterTopOfTheHour(24*time.Hour + 31*time.Minute), expectedRecentTime: deltaTimeAfterTopOfTheHour(24*time.Hour + 30*time.Minute), expectedEarliestTime: *topOfTheHour(), expectedTooManyMissed: fewMissed},
		{name: "@every schedule", cj: cronJob(metav1.NewTime(*deltaTimeAfterTopOfTheHour(-59 * time.Minute)), "@every 1h", &metav1MinuteAfterTopOfTheHour, &tenSeconds), now: *deltaTimeAfterTopOfTheHour(7 * 24 * time.Hour), expectedRecentTime: deltaTimeAfterTopOfTheHour((6 * 24 * time.Hour) + 23*time.Hour + 1*time.Minute), expectedEarliestTime: *deltaTimeAfterTopOfTheHour(1 * time.Minute), expectedTooManyMissed: manyMissed},
		{name: "rogue cronjob", cj: cronJob(metav1.NewTime(*deltaTimeAfterTopOfTheHour(10 * time.Second)), "59 23 31 2 *", nil, nil), now: *deltaTimeAfterTopOfTheHour(1 * time.Hour), expectedRecentTime: nil, wantErr: true},
		{name: "earliestTime being CreationTimestamp and LastScheduleTime", cj: cronJob(metav1TopOfTheHour, "0 * * * *", &metav1TopOfTheHour, nil), now: *deltaTimeAfterTopOfTheHour(30 * time.Second), expectedEarliestTime: *topOfTheHour(), expectedRecentTime: nil},
		{name: "earliestTime being LastScheduleTime", cj: cronJob(metav1TopOfTheHour, "*/5 * * * *", &metav1HalfPastTheHour, nil), now: *deltaTimeAfterTopOfTheHour(31 * time.Minute), expectedEarliestTime: *deltaTimeAfterTopOfTheHour(30 * time.Minute), expectedRecentTime: nil},
		{name: "earliestTime being LastScheduleTime (within StartingDeadlineSeconds)", cj: cronJob(metav1TopOfTheHour, "*/5 * * * *", &metav1HalfPastTheHour, &oneMinute), now: *deltaTimeAfterTopOfTheHour(31 * time.Minute), expectedEarliestTime: *deltaTimeAfterTopOfTheHour(30 * time.Minute), expectedRecentTime: nil},
		{name: "earliestTime being LastScheduleTime (outside StartingDeadlineSeconds)", cj: cronJob(metav1TopOfTheHour, "*/5 * * * *", &metav1HalfPastTheHour, &oneMinute), includeSDS: true, now: *deltaTimeAfterTopOfTheHour(32 * time.Minute), expectedEarliestTime: *deltaTimeAfterTopOfTheHour(31 * time.Minute), expectedRecentTime: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := cron.Parse(tt.cj.Spec.Schedule)
			if err != nil {
				t.Errorf("error setting up the test, %s", err)
			}
			gotEarliestTime, gotRecentTime, gotTooManyMissed, err := mostRecentScheduleTime(tt.cj, tt.now, sched, tt.includeSDS)
			if tt.wantErr {
				if err == nil {
					t.Error("mostRecentScheduleTime() got no error when expected one")
				}
				return
			}
			if !tt.wantErr && err != nil {
				t.Error("mostRecentScheduleTime() got error when none expected")
			}
			if gotEarliestTime.IsZero() {
				t.Errorf("earliestTime should never be 0, want %v", tt.expectedEarliestTime)
			}
			if !gotEarliestTime.Equal(tt.expectedEarliestTime) {
				t.Errorf("expectedEarliestTime - got %v, want %v", gotEarliestTime, tt.expectedEarliestTime)
			}
			if !reflect.DeepEqual(gotRecentTime, tt.expectedRecentTime) {
				t.Errorf("expectedRecentTime - got %v, want %v", gotRecentTime, tt.expectedRecentTime)
			}
			if gotTooManyMissed != tt.expectedTooManyMissed {
				t.Errorf("expectedNumberOfMisses - got %v, want %v", gotTooManyMissed, tt.expectedTooManyMissed)
			}
		})
	}
}

func TestUpstreamNextScheduleTimeDuration(t *testing.T) {
	metav1TopOfTheHour := metav1.NewTime(*topOfTheHour())
	metav1HalfPastTheHour := metav1.NewTime(*deltaTimeAfterTopOfTheHour(30 * time.Minute))
	metav1TwoHoursLater := metav1.NewTime(*deltaTimeAfterTopOfTheHour(2 * time.Hour))

	tests := []struct {
		name             string
		cj               *batchv1.CronJob
		now              time.Time
		expectedDuration time.Duration
	}{
		{
			name: "complex schedule skipping weekend",
			cj: &batchv1.CronJob{
				ObjectMeta: metav1.ObjectMeta{
					CreationTimestamp: metav1TopOfTheHour,
				},
				Spec: batchv1.CronJobSpec{
					Schedule: "30 6-16/4 * * 1-5",
				},
				Status: batchv1.CronJobStatus{
					LastScheduleTime: &metav1HalfPastTheHour,
				},
			},
			now:              *deltaTimeAfterTopOfTheHour(24*time.Hour + 31*time.Minute),
			expectedDuration: 3*time.Hour + 59*time.Minute + nextScheduleDelta,
		},
		{
			name: "another complex schedule skipping weekend",
			cj: &batchv1.CronJob{
				ObjectMeta: metav1.ObjectMeta{
					CreationTimestamp: metav1TopOfTheHour,
				},
				Spec: batchv1.CronJobSpec{
					Schedule: "30 10,11,12 * * 1-5",
				},
				Status: batchv1.CronJobStatus{
					LastScheduleTime: &metav1HalfPastTheHour,
				},
			},
			now:              *deltaTimeAfterTopOfTheHour(30*time.Hour + 30*time.Minute),
			expectedDuration: 66*time.Hour + nextScheduleDelta,
		},
		{
			name: "once a week cronjob, missed two runs",
			cj: &batchv1.CronJob{
				ObjectMeta: metav1.ObjectMeta{
					CreationTimestamp: metav1TopOfTheHour,
				},
				Spec: batchv1.CronJobSpec{
					Schedule: "0 12 * * 4",
				},
				Status: batchv1.CronJobStatus{
					LastScheduleTime: &metav1TwoHoursLater,
				},
			},
			now:              *deltaTimeAfterTopOfTheHour(19*24*time.Hour + 1*time.Hour + 30*time.Minute),
			expectedDuration: 48*time.Hour + 30*time.Minute + nextScheduleDelta,
		},
		{
			name: "no previous run of a cronjob",
			cj: &batchv1.CronJob{
				ObjectMeta: metav1.ObjectMeta{
					CreationTimestamp: metav1TopOfTheHour,
				},
				Spec: batchv1.CronJobSpec{
					Schedule: "0 12 * * 5",
				},
			},
			now:              *deltaTimeAfterTopOfTheHour(6 * time.Hour),
			expectedDuration: 20*time.Hour + nextScheduleDelta,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := cron.Parse(tt.cj.Spec.Schedule)
			if err != nil {
				t.Errorf("error setting up the test, %s", err)
			}
			d := nextScheduleTimeDuration(tt.cj, tt.now, sched)
			gotScheduleTimeDuration := &d
			if *gotScheduleTimeDuration < 0 {
				t.Errorf("scheduleTimeDuration should never be less than 0, got %s", gotScheduleTimeDuration)
			}
			if !reflect.DeepEqual(gotScheduleTimeDuration, &tt.expectedDuration) {
				t.Errorf("scheduleTimeDuration - got %s, want %s", gotScheduleTimeDuration, tt.expectedDuration)
			}
		})
	}
}

func topOfTheHour() *time.Time {
	T1, err := time.Parse(time.RFC3339, "2016-05-19T10:00:00Z")
	if err != nil {
		panic("test setup error")
	}
	return &T1
}

func deltaTimeAfterTopOfTheHour(duration time.Duration) *time.Time {
	T1, err := time.Parse(time.RFC3339, "2016-05-19T10:00:00Z")
	if err != nil {
		panic("test setup error")
	}
	t := T1.Add(duration)
	return &t
}
