package cron

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNext(t *testing.T) {
	base := time.Date(2026, time.January, 1, 0, 0, 30, 0, time.UTC) // a Thursday
	for _, tc := range []struct {
		spec string
		from time.Time
		want time.Time
	}{
		{"*/1 * * * *", base, base.Truncate(time.Minute).Add(time.Minute)},
		{"* * * * *", time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 2, 0, 0, time.UTC)},
		{"*/15 * * * *", time.Date(2026, 1, 1, 0, 16, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)},
		{"5,10 2-3 * * *", base, time.Date(2026, 1, 1, 2, 5, 0, 0, time.UTC)},
		{"0 0 * * MON", base, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)},
		{"0 0 * * SUN", base, time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC)},
		{"0 * * * ?", base, time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)},
		{"@every 90m", base, base.Add(90 * time.Minute)}, // from t, to the second
		// 09:00 in New York is 14:00 UTC in winter, 13:00 in summer.
		{"TZ=America/New_York 0 9 * * *", base, time.Date(2026, 1, 1, 14, 0, 0, 0, time.UTC)},
		{"CRON_TZ=America/New_York 0 9 * * *", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 13, 0, 0, 0, time.UTC)},
		{"0 12 1 feb *", base, time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)},
		{"0 0 13 * 5", base, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}, // either day field
		{"@hourly", base, time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)},
		{"@monthly", base, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"0 0 29 2 *", base, time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"0 0 30 2 *", base, time.Time{}},
		{"10-50/20 * * * *", base, time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)},
	} {
		s, err := Parse(tc.spec)
		require.NoError(t, err, tc.spec)
		require.True(t, tc.want.Equal(s.Next(tc.from)), "%s: want %v, got %v", tc.spec, tc.want, s.Next(tc.from))
	}
}

func TestParseErrors(t *testing.T) {
	for spec, msg := range map[string]string{
		"* * * *":                   "expected exactly 5 fields",
		"60 * * * *":                "above maximum",
		"* * 0 * *":                 "below minimum",
		"5-2 * * * *":               "beyond end of range",
		"*/0 * * * *":               "step of range should be a positive number",
		"@every":                    "unrecognized descriptor",
		"0 0 * * 7":                 "end of range (7) above maximum (6)", // upstream's parser: Sunday is 0 only
		"TZ=Mars/Olympus 0 * * * *": "provided bad location Mars/Olympus",
		"x * * * *":                 "failed to parse int",
		"* * * 13 *":                "above maximum",
	} {
		_, err := Parse(spec)
		require.ErrorContains(t, err, msg, spec)
	}
}
