// Package cron parses CronJob schedules with the library
// kube-controller-manager and the API server's validation use
// (github.com/robfig/cron/v3, ParseStandard): five fields (minute hour
// day-of-month month day-of-week) with *, ?, lists, ranges, steps and
// names, the @yearly ... @hourly descriptors, @every <duration>, and a
// "TZ=<zone> " or "CRON_TZ=<zone> " prefix for a time zone (which the
// CronJob controller writes from spec.timeZone). The IANA time zone
// database is embedded, so zones resolve the same on every machine.
package cron

import (
	"fmt"
	"time"
	_ "time/tzdata" // zones resolve without the host's tzdata

	robfig "github.com/robfig/cron/v3"
)

// Schedule is a parsed cron schedule.
type Schedule struct{ s robfig.Schedule }

// Parse parses a schedule as upstream does, a parser panic (the library
// has some) becoming an "invalid schedule format" error.
func Parse(spec string) (s *Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("invalid schedule format: %v", r)
		}
	}()
	sched, err := robfig.ParseStandard(spec)
	if err != nil {
		return nil, err
	}
	return &Schedule{sched}, nil
}

// Next is the first activation strictly after t, or the zero time if
// there is none within five years (e.g. 30 February). A schedule with a
// time zone is evaluated in that zone.
func (s *Schedule) Next(t time.Time) time.Time { return s.s.Next(t) }
