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

// TestZeroConfigBacksOff: a zero Config means the defaults; a failing key
// must not be retried at the same virtual instant forever.
func TestZeroConfigBacksOff(t *testing.T) {
	e := sim.NewEngine(1)
	var at []time.Duration
	q := New(e, Config{}, func(string) error {
		at = append(at, e.Elapsed())
		return errors.New("no quorum")
	})
	q.Add("k")
	e.RunUntil(100 * time.Millisecond)
	require.Equal(t, []time.Duration{0, 5 * time.Millisecond, 15 * time.Millisecond, 35 * time.Millisecond, 75 * time.Millisecond}, at)
}
