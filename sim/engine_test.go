package sim

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEngineOrdersByTimeThenSequence(t *testing.T) {
	e := NewEngine(1)
	var got []string
	add := func(d time.Duration, s string) { e.After(d, s, func() { got = append(got, s) }) }
	add(2*time.Second, "c")
	add(time.Second, "a")
	add(time.Second, "b")
	add(0, "now")
	e.RunUntil(time.Minute)
	require.Equal(t, []string{"now", "a", "b", "c"}, got)
	require.Equal(t, time.Minute, e.Elapsed())
	require.Equal(t, Epoch.Add(time.Minute), e.Now())
}

func TestEngineCancelAndPastClamp(t *testing.T) {
	e := NewEngine(1)
	fired := 0
	tm := e.After(time.Second, "x", func() { fired++ })
	e.Cancel(tm)
	e.Cancel(tm) // twice is a no-op
	e.RunUntil(2 * time.Second)
	require.Zero(t, fired)
	e.At(0, "past", func() { fired++ })
	require.True(t, e.Step())
	require.Equal(t, 2*time.Second, e.Elapsed(), "an event in the past runs now, not back in time")
	require.False(t, e.Step())
}

func TestInstantHookRunsWhenTimeAdvances(t *testing.T) {
	e := NewEngine(1)
	var log []string
	e.OnInstantEnd(func() { log = append(log, "end") })
	e.After(time.Second, "a", func() { log = append(log, "a") })
	e.After(time.Second, "b", func() { log = append(log, "b") })
	e.After(2*time.Second, "c", func() { log = append(log, "c") })
	e.RunUntil(time.Hour)
	require.Equal(t, []string{"a", "b", "end", "c", "end"}, log)
}

func TestStreamsIndependentAndSeeded(t *testing.T) {
	a, b := NewStreams(7), NewStreams(7)
	x := a.Get("scheduler").Uint64()
	b.Get("other").Uint64() // drawing from another stream does not shift this one
	require.Equal(t, x, b.Get("scheduler").Uint64())
	require.NotEqual(t, x, NewStreams(8).Get("scheduler").Uint64())
}

func TestTraceCanonicalJSONAndHash(t *testing.T) {
	tr := NewTrace()
	var buf bytes.Buffer
	tr.SetWriter(&buf)
	tr.Add(Record{T: 1500 * time.Millisecond, Component: "scheduler", Verb: "bind", Kind: "Pod",
		Namespace: "default", Name: "web-1", RV: 42, Summary: "node=<a>\"q\"\n"})
	require.Equal(t, `{"t":"1.5s","c":"scheduler","v":"bind","k":"Pod","o":"default/web-1","rv":42,"s":"node=\u003ca\u003e\"q\"\n"}`+"\n", buf.String())
	h1 := tr.Hash()
	tr2 := NewTrace()
	tr2.Add(tr.kept0(t))
	require.Equal(t, h1, tr2.Hash())
	tr2.Add(Record{Name: "x"})
	require.NotEqual(t, h1, tr2.Hash())
	require.EqualValues(t, 2, tr2.Len())
}

// kept0 rebuilds the first record for the hash comparison.
func (tr *Trace) kept0(t *testing.T) Record {
	t.Helper()
	return Record{T: 1500 * time.Millisecond, Component: "scheduler", Verb: "bind", Kind: "Pod",
		Namespace: "default", Name: "web-1", RV: 42, Summary: "node=<a>\"q\"\n"}
}

func TestAtEndRunsAfterEveryOrdinaryEventOfItsInstant(t *testing.T) {
	e := NewEngine(1)
	var got []string
	e.AtEnd(time.Second, "input", func() { got = append(got, "input") })
	e.At(time.Second, "a", func() {
		got = append(got, "a")
		e.After(0, "b", func() { got = append(got, "b") }) // scheduled later, still first
	})
	e.At(2*time.Second, "c", func() { got = append(got, "c") })
	e.RunUntil(time.Minute)
	require.Equal(t, []string{"a", "b", "input", "c"}, got)
}
