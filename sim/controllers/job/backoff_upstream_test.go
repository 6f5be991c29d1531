package job

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (backoffRecord.getRemainingTime calls our remainingBackoff; a
// plain instant stands for the fake clock; each case is one row of the
// values that vary, the shared backoff limits set once):
//   kubernetes v1.37.2 pkg/controller/job/backoff_utils_test.go
//     TestGetRemainingBackoffTime
// Not ported: TestNewBackoffRecord, TestGetFinishedTime and
// TestGetRemainingBackoffTimePerIndex (the backoff record's bookkeeping
// across syncs and Indexed Jobs' per-index backoff, which the simulator's
// Job controller keeps differently: it counts failures since the last
// success from the pods it lists).

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type backoffRecord struct {
	lastFailureTime          *time.Time
	failuresAfterLastSuccess int32
}

func (b backoffRecord) getRemainingTime(now time.Time, defaultBackoff, maxBackoff time.Duration) time.Duration {
	return remainingBackoff(b.failuresAfterLastSuccess, b.lastFailureTime, now, defaultBackoff, maxBackoff)
}

func TestGetRemainingBackoffTime(t *testing.T) {
	defaultTestTime := metav1.NewTime(time.Date(2009, time.November, 10, 23, 0, 0, 0, time.UTC))
	// Every upstream case has the same defaultBackoff and maxBackoff.
	const defaultBackoff, maxBackoff = 5 * time.Second, 700 * time.Second
	// A case is upstream's backoffRecord (failuresAfterLastSuccess, the
	// last failure at defaultTestTime, none without failures), the
	// current time as how long after that failure it is (the zero time
	// without failures), and the wanted remaining backoff.
	testCases := map[string]struct {
		failures     int32
		elapsed      time.Duration
		wantDuration time.Duration
	}{
		"no failures": {0, 0, 0},
		"one failure; current time and failure time are same":                                      {1, 0, 5 * time.Second},
		"one failure; current time == 1 second + failure time":                                     {1, time.Second, 4 * time.Second},
		"one failure; current time == expected backoff time":                                       {1, 5 * time.Second, 0},
		"one failure; current time == expected backoff time + 1 Second":                            {1, 6 * time.Second, 0},
		"three failures; current time and failure time are same":                                   {3, 0, 20 * time.Second},
		"eight failures; current time and failure time are same; backoff not exceeding maxBackoff": {8, 0, 640 * time.Second},
		"nine failures; current time and failure time are same; backoff exceeding maxBackoff":      {9, 0, 700 * time.Second},
	}

	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			var record backoffRecord
			var currentTime time.Time
			if tc.failures > 0 {
				record = backoffRecord{lastFailureTime: &defaultTestTime.Time, failuresAfterLastSuccess: tc.failures}
				currentTime = defaultTestTime.Add(tc.elapsed)
			}
			fakeClock := currentTime.Truncate(time.Second)
			d := record.getRemainingTime(fakeClock, defaultBackoff, maxBackoff)
			if d.Seconds() != tc.wantDuration.Seconds() {
				t.Errorf("Expected value of duration %v; got %v", tc.wantDuration, d)
			}
		})
	}
}
