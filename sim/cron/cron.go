// Package cron parses the standard five-field cron schedules of
// CronJobs (minute hour day-of-month month day-of-week, with *, lists,
// ranges, steps, month and weekday names and the @yearly ... @hourly
// descriptors) and computes their next activation in UTC, as the cron
// library kube-controller-manager uses. It has no dependencies so the API
// server can validate schedules with it.
package cron

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed cron schedule: one bit set per allowed value.
type Schedule struct {
	minute, hour, dom, month, dow uint64
	// domStar / dowStar: the field was * or ? (no step), so the day
	// matches on the other field alone (cron's "either day field" rule).
	domStar, dowStar bool
}

type bounds struct {
	min, max int
	names    map[string]int
}

var (
	minutes = bounds{0, 59, nil}
	hours   = bounds{0, 23, nil}
	doms    = bounds{1, 31, nil}
	months  = bounds{1, 12, map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}}
	dows = bounds{0, 7, map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}}
)

var descriptors = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// Parse parses a five-field schedule or a descriptor.
func Parse(spec string) (*Schedule, error) {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "@") {
		d, ok := descriptors[strings.ToLower(spec)]
		if !ok {
			return nil, fmt.Errorf("unrecognized descriptor: %s", spec)
		}
		spec = d
	}
	f := strings.Fields(spec)
	if len(f) != 5 {
		return nil, fmt.Errorf("expected exactly 5 fields, found %d: %s", len(f), spec)
	}
	s := &Schedule{}
	var err error
	var star bool
	if s.minute, _, err = parseField(f[0], minutes); err != nil {
		return nil, err
	}
	if s.hour, _, err = parseField(f[1], hours); err != nil {
		return nil, err
	}
	if s.dom, s.domStar, err = parseField(f[2], doms); err != nil {
		return nil, err
	}
	if s.month, _, err = parseField(f[3], months); err != nil {
		return nil, err
	}
	if s.dow, star, err = parseField(f[4], dows); err != nil {
		return nil, err
	}
	s.dowStar = star
	if s.dow&(1<<7) != 0 { // 7 is Sunday too
		s.dow |= 1
	}
	return s, nil
}

// parseField parses a comma-separated list of ranges with optional steps.
func parseField(field string, b bounds) (bits uint64, star bool, err error) {
	for _, part := range strings.Split(field, ",") {
		v, st, err := parseRange(part, b)
		if err != nil {
			return 0, false, err
		}
		bits |= v
		star = star || st
	}
	return bits, star, nil
}

func parseRange(expr string, b bounds) (uint64, bool, error) {
	rangeStep := strings.SplitN(expr, "/", 2)
	lowHigh := strings.SplitN(rangeStep[0], "-", 2)
	star := false
	var lo, hi int
	var err error
	if lowHigh[0] == "*" || lowHigh[0] == "?" {
		if len(lowHigh) > 1 {
			return 0, false, fmt.Errorf("invalid range: %s", expr)
		}
		lo, hi, star = b.min, b.max, true
	} else {
		if lo, err = value(lowHigh[0], b); err != nil {
			return 0, false, err
		}
		hi = lo
		if len(lowHigh) == 2 {
			if hi, err = value(lowHigh[1], b); err != nil {
				return 0, false, err
			}
		}
	}
	step := 1
	if len(rangeStep) == 2 {
		if step, err = strconv.Atoi(rangeStep[1]); err != nil || step <= 0 {
			return 0, false, fmt.Errorf("invalid step: %s", expr)
		}
		if len(lowHigh) == 1 && !star {
			hi = b.max // "n/step" means n through the maximum
		}
		if step > 1 {
			star = false
		}
	}
	switch {
	case lo < b.min:
		return 0, false, fmt.Errorf("beginning of range (%d) below minimum (%d): %s", lo, b.min, expr)
	case hi > b.max:
		return 0, false, fmt.Errorf("end of range (%d) above maximum (%d): %s", hi, b.max, expr)
	case lo > hi:
		return 0, false, fmt.Errorf("beginning of range (%d) beyond end of range (%d): %s", lo, hi, expr)
	}
	var bits uint64
	for v := lo; v <= hi; v += step {
		bits |= 1 << uint(v)
	}
	return bits, star, nil
}

func value(s string, b bounds) (int, error) {
	if v, ok := b.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("failed to parse int from %s: %v", s, err)
	}
	return v, nil
}

// Next is the first activation strictly after t (in UTC, to the minute),
// or the zero time if there is none within five years (e.g. 30 February).
func (s *Schedule) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		switch {
		case s.month&(1<<uint(t.Month())) == 0:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !s.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		case s.hour&(1<<uint(t.Hour())) == 0:
			t = t.Truncate(time.Hour).Add(time.Hour)
		case s.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

// dayMatches applies cron's day rule: when both day fields are
// restricted, either may match; otherwise both must.
func (s *Schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}
