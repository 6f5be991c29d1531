package sim

import (
	"testing"
	"time"
)

// BenchmarkEngineQueue runs an engine holding 10,000 pending timers (a
// 5,000-node cluster's queue holds about that many), each event
// scheduling the next one ahead and every fourth one moving a recurring
// timer (a watch's delivery), the shape of the engine's load at scale.
func BenchmarkEngineQueue(b *testing.B) {
	const pending = 10_000
	e := NewEngine(1)
	r := e.Rand("bench")
	var recurring [64]*Timer
	var step func()
	n := 0
	step = func() {
		n++
		e.After(time.Duration(1+r.IntN(10_000))*time.Millisecond, "t", step)
		if n%4 == 0 {
			tm := recurring[n%len(recurring)]
			e.Reschedule(tm, e.Elapsed()+time.Duration(1+r.IntN(100))*time.Millisecond)
		}
	}
	for i := range recurring {
		recurring[i] = e.After(time.Hour, "watch", func() {})
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
