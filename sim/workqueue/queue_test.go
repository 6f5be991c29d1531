package workqueue

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim"
)

type call struct {
	key string
	at  time.Duration
}

func TestDedupOrderAndPerItemCost(t *testing.T) {
	e := sim.NewEngine(1)
	var got []call
	q := New(e, Config{Delay: 5 * time.Millisecond, PerItem: time.Millisecond}, func(k string) error {
		got = append(got, call{k, e.Elapsed()})
		return nil
	})
	q.Add("a")
	q.Add("b")
	q.Add("a") // already waiting: dropped
	require.Equal(t, 2, q.Len())
	e.RunUntil(time.Second)
	require.Equal(t, []call{{"a", 5 * time.Millisecond}, {"b", 6 * time.Millisecond}}, got)
}

func TestErrorBackoffDoublesAndForgetsOnSuccess(t *testing.T) {
	e := sim.NewEngine(1)
	var at []time.Duration
	fails := 3
	q := New(e, Config{Delay: 0, PerItem: time.Millisecond, BaseBackoff: 10 * time.Millisecond, MaxBackoff: time.Second}, func(string) error {
		at = append(at, e.Elapsed())
		if fails > 0 {
			fails--
			return errors.New("boom")
		}
		return nil
	})
	q.Add("k")
	e.RunUntil(time.Minute)
	require.Equal(t, []time.Duration{0, 10 * time.Millisecond, 30 * time.Millisecond, 70 * time.Millisecond}, at)
	require.Empty(t, q.failures)
}

func TestAddAfterKeepsTheEarliest(t *testing.T) {
	e := sim.NewEngine(1)
	var at []time.Duration
	q := New(e, Config{PerItem: time.Millisecond}, func(string) error {
		at = append(at, e.Elapsed())
		return nil
	})
	q.AddAfter("k", 10*time.Second)
	q.AddAfter("k", 3*time.Second)
	q.AddAfter("k", 20*time.Second)
	e.RunUntil(time.Minute)
	require.Equal(t, []time.Duration{3 * time.Second}, at)
}

// TestRateLimitedRequeueIsThrottledByTheBucket: a reconcile that succeeds
// but asks to be re-checked at once (the Deployment controller's "is the
// progress deadline past yet?") is forgotten after each success, so only
// client-go's token bucket (burst 100, then 10 per second) spaces the
// re-checks: virtual time always advances.
func TestRateLimitedRequeueIsThrottledByTheBucket(t *testing.T) {
	e := sim.NewEngine(1)
	var at []time.Duration
	var q *Queue
	q = New(e, Config{}, func(k string) error {
		at = append(at, e.Elapsed())
		q.AddRateLimited(k)
		return nil
	})
	q.Add("default/web")
	e.RunUntil(20 * time.Second)
	require.NoError(t, e.Err())
	for i := 1; i < len(at); i++ {
		require.Greater(t, at[i], at[i-1], "call %d ran at the same instant as the one before", i)
	}
	// The burst: the first 100 retries come 5 ms apart (the per-key
	// backoff, reset by every success).
	require.Equal(t, 5*time.Millisecond, at[1]-at[0])
	require.Equal(t, 5*time.Millisecond, at[100]-at[99])
	// Then the bucket refills at 10 per second.
	require.InDelta(t, float64(100*time.Millisecond), float64(at[150]-at[149]), float64(time.Millisecond))
	require.InDelta(t, 100+10*20, len(at), 12)
}

// TestZeroConfigBacksOff: a zero Config means the defaults, so a failing
// key is never retried at the same virtual instant: the per-key
// exponential part doubles while the key keeps failing (5 ms, 10 ms,
// 20 ms, ...).
func TestZeroConfigBacksOff(t *testing.T) {
	e := sim.NewEngine(1)
	var at []time.Duration
	q := New(e, Config{}, func(string) error {
		at = append(at, e.Elapsed())
		return errors.New("etcdserver: leader changed")
	})
	q.Add("k")
	e.RunUntil(time.Second)
	want := []time.Duration{0, 5, 15, 35, 75, 155, 315, 635}
	for i := range want {
		want[i] *= time.Millisecond
	}
	require.Equal(t, want, at)
}

// TestPeriodicRechecksReuseTimers: keys that re-check themselves with
// different periods (as HPAs do every 15 s) run at exactly their times,
// with their own keys, while the fired delayed adds are reused across
// keys; a later, shorter AddAfter still moves a pending one earlier.
func TestPeriodicRechecksReuseTimers(t *testing.T) {
	e := sim.NewEngine(1)
	period := map[string]time.Duration{"a": 2 * time.Second, "b": 3 * time.Second, "c": 5 * time.Second}
	var got []call
	var q *Queue
	q = New(e, Config{Delay: 5 * time.Millisecond, PerItem: time.Millisecond}, func(k string) error {
		got = append(got, call{k, e.Elapsed()})
		q.AddAfter(k, period[k])
		return nil
	})
	for _, k := range []string{"a", "b", "c"} {
		q.Add(k)
	}
	e.RunUntil(6500 * time.Millisecond)
	q.AddAfter("c", 100*time.Millisecond) // c's pending re-check (10 s) moves to 6.6 s
	e.RunUntil(7 * time.Second)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	require.Equal(t, []call{
		{"a", ms(5)}, {"b", ms(6)}, {"c", ms(7)},
		{"a", ms(2010)}, {"b", ms(3011)}, {"a", ms(4015)}, {"c", ms(5012)},
		{"b", ms(6016)}, {"a", ms(6017)}, {"c", ms(6605)},
	}, got)
	require.Len(t, q.later, 3)
}

// TestPeriodicRecheckAllocatesNothing: once a queue has its timers, a
// periodic re-check (AddAfter, the delayed add firing, the reconcile)
// allocates nothing per round.
func TestPeriodicRecheckAllocatesNothing(t *testing.T) {
	e := sim.NewEngine(1)
	var q *Queue
	q = New(e, Config{}, func(k string) error {
		q.AddAfter(k, time.Second)
		return nil
	})
	q.Add("default/web")
	e.RunUntil(10 * time.Second)
	allocs := testing.AllocsPerRun(100, func() { e.RunUntil(e.Elapsed() + time.Second) })
	require.Zero(t, allocs)
}
