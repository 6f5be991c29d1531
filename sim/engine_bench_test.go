package sim

import (
	"testing"
	"time"
)

// BenchmarkEngineQueue runs an engine holding 10,000 pending timers (a
// 5,000-node cluster's queue holds about that many), each event
// scheduling the next one ahead, beside 64 recurring timers (watch
// deliveries) each rescheduled 2ms ahead when it fires: the shape of the
// engine's load at scale.
func BenchmarkEngineQueue(b *testing.B) {
	b.Run("heap", func(b *testing.B) { benchmarkEngineQueue(b, false) })
	b.Run("lane", func(b *testing.B) { benchmarkEngineQueue(b, true) })
}

// benchmarkEngineQueue is BenchmarkEngineQueue, with the recurring timers
// in a lane if lane is set. The recurring timers are most of the events,
// as watch deliveries are (72% of a 1,000-node run's events).
func benchmarkEngineQueue(b *testing.B, lane bool) {
	const pending = 10_000
	e := NewEngine(1)
	r := e.Rand("bench")
	var recurring [64]*Timer
	var step func()
	n := 0
	step = func() {
		n++
		e.After(time.Duration(1+r.IntN(10_000))*time.Millisecond, "t", step)
	}
	var l *Lane
	if lane {
		l = e.NewLane()
	}
	for i := range recurring {
		recurring[i] = e.AtIn(l, time.Duration(i)*time.Microsecond, "watch", func() {
			e.Reschedule(recurring[i], e.Elapsed()+2*time.Millisecond)
		})
	}
	for range pending {
		e.After(time.Duration(1+r.IntN(10_000))*time.Millisecond, "t", step)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e.Step()
	}
}

// BenchmarkHeartbeats runs 5,000 nodes' two heartbeats: a status tick
// every 10 s (rescheduled in the heap, or appended to a named lane with
// RescheduleIn) and a lease tick every 10 s plus a jitter of up to 4%, in
// the heap, beside 5,000 other pending timers: the steady state's queue.
func BenchmarkHeartbeats(b *testing.B) {
	b.Run("heap", func(b *testing.B) { benchmarkHeartbeats(b, false) })
	b.Run("lane", func(b *testing.B) { benchmarkHeartbeats(b, true) })
}

func benchmarkHeartbeats(b *testing.B, lane bool) {
	const nodes, period = 5000, 10 * time.Second
	e := NewEngine(1)
	r := e.Rand("bench")
	for i := range nodes {
		var status, lease *Timer
		status = e.At(time.Duration(r.Int64N(int64(period))), "status", func() {
			if lane {
				e.RescheduleIn(status, e.NamedLane("status"), e.Elapsed()+period)
			} else {
				e.Reschedule(status, e.Elapsed()+period)
			}
		})
		lease = e.At(time.Duration(r.Int64N(int64(period))), "lease", func() {
			e.Reschedule(lease, e.Elapsed()+period+time.Duration(r.Int64N(int64(period/25))))
		})
		e.At(time.Duration(i)*time.Hour, "far", func() {})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e.Step()
	}
}
