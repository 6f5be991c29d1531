package cronjob

import (
	"errors"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/kubesim/kubesim/sim/cron"
)

// nextScheduleDelta is what upstream adds to every requeue so that the
// clock has surely passed the scheduled time.
const nextScheduleDelta = 100 * time.Millisecond

// missedSchedulesType says how many start times a CronJob missed: none, a
// few, or more than 100 (then upstream warns TooManyMissedTimes).
type missedSchedulesType int

const (
	noneMissed missedSchedulesType = iota
	fewMissed
	manyMissed
)

func (e missedSchedulesType) String() string {
	switch e {
	case noneMissed:
		return "none"
	case fewMissed:
		return "few"
	case manyMissed:
		return "many"
	default:
		return fmt.Sprintf("unknown(%d)", int(e))
	}
}

// errTooClose is upstream's error for a schedule whose next two times
// coincide: a valid-looking spec that never fires (31 February).
var errTooClose = errors.New("time difference between two schedules is less than 1 second")

// formatSchedule is the schedule the controller parses: spec.schedule,
// prefixed with "TZ=<spec.timeZone> " when a valid zone is set. A schedule
// that names a zone itself is used as is (unsupported is reported by the
// caller).
func formatSchedule(cj *batchv1.CronJob) string {
	if strings.Contains(cj.Spec.Schedule, "TZ") {
		return cj.Spec.Schedule
	}
	if tz := cj.Spec.TimeZone; tz != nil {
		if _, err := time.LoadLocation(*tz); err != nil {
			return cj.Spec.Schedule
		}
		return "TZ=" + *tz + " " + cj.Spec.Schedule
	}
	return cj.Spec.Schedule
}

// mostRecentScheduleTime follows upstream's function of the same name. It
// returns the time scheduling starts from (the last schedule time, else
// the creation time, moved up to now - startingDeadlineSeconds when
// includeSDS), the most recent start time due by now (nil if none), and
// how many were missed. The count is upstream's estimate (elapsed time
// over the interval of the first two start times), not an enumeration,
// so its "more than 100" decision is the same as upstream's.
func mostRecentScheduleTime(cj *batchv1.CronJob, now time.Time, schedule *cron.Schedule, includeSDS bool) (time.Time, *time.Time, missedSchedulesType, error) {
	earliest := cj.CreationTimestamp.Time
	missed := noneMissed
	if cj.Status.LastScheduleTime != nil {
		earliest = cj.Status.LastScheduleTime.Time
	}
	if includeSDS && cj.Spec.StartingDeadlineSeconds != nil {
		if deadline := now.Add(-time.Second * time.Duration(*cj.Spec.StartingDeadlineSeconds)); deadline.After(earliest) {
			earliest = deadline
		}
	}
	t1 := schedule.Next(earliest)
	t2 := schedule.Next(t1)
	if now.Before(t1) {
		return earliest, nil, missed, nil
	}
	if now.Before(t2) {
		return earliest, &t1, missed, nil
	}
	interval := int64(t2.Sub(t1).Round(time.Second).Seconds())
	if interval < 1 {
		return earliest, nil, missed, errTooClose
	}
	elapsed := int64(now.Sub(t1).Seconds())
	n := elapsed/interval + 1
	// Start one interval before the estimate and let the schedule find
	// the exact times (irregular schedules, @every).
	var recent time.Time
	from := t1.Add(time.Duration((n-1-1)*interval) * time.Second)
	for t := schedule.Next(from); !t.After(now); t = schedule.Next(t) {
		recent = t
	}
	switch {
	case n > 100:
		missed = manyMissed
	case n > 0:
		missed = fewMissed
	}
	if recent.IsZero() {
		return earliest, nil, missed, nil
	}
	return earliest, &recent, missed, nil
}

// nextScheduleTime is the start time due now (nil if none) and whether
// too many were missed for the TooManyMissedTimes warning.
func nextScheduleTime(cj *batchv1.CronJob, now time.Time, schedule *cron.Schedule) (*time.Time, bool, error) {
	_, recent, missed, err := mostRecentScheduleTime(cj, now, schedule, true)
	if recent == nil || recent.After(now) {
		return nil, false, err
	}
	return recent, missed == manyMissed, err
}

// nextScheduleTimeDuration is how long until the CronJob should be synced
// again: the start time after the most recent one (or after now, when
// starts were missed or the schedule is broken), plus nextScheduleDelta.
func nextScheduleTimeDuration(cj *batchv1.CronJob, now time.Time, schedule *cron.Schedule) time.Duration {
	earliest, recent, missed, err := mostRecentScheduleTime(cj, now, schedule, false)
	switch {
	case err != nil:
		recent = &now
	case recent == nil && missed == noneMissed:
		recent = &earliest
	case recent == nil:
		recent = &now
	}
	return schedule.Next(*recent).Add(nextScheduleDelta).Sub(now)
}
