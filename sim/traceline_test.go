package sim

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A prepared line writes what Add writes: the same bytes to the writer,
// the same hash and count, interleaved with ordinary records, at new and
// repeated instants, with strings that need escaping; and, where the
// record itself is wanted (kept, links, listeners), the same records.
func TestAddLineIsAdd(t *testing.T) {
	fields := [][6]string{
		{"kubelet/n-1", "update", "Lease", "kube-node-lease", "n-1", ""},
		{"kubelet/\"odd\"", "update", "Lease", "", "<n>&\u2028\xff", `s,"rv":7`},
	}
	type step struct {
		at   time.Duration
		line int // index into fields; -1: an ordinary record
		rv   int64
	}
	steps := []step{{0, 0, 1}, {0, 0, 2}, {time.Second, 1, 3}, {time.Second, -1, 4}, {1500 * time.Millisecond, 0, 5}, {2 * time.Second, -1, 6}, {2 * time.Second, 1, 70}}
	other := Record{Component: "scheduler", Verb: "bind", Kind: "Pod", Namespace: "default", Name: "p", Summary: "node=n-1"}
	run := func(prepared bool, setup func(*Trace)) (*Trace, string) {
		tr := NewTrace()
		var out bytes.Buffer
		tr.SetWriter(&out)
		setup(tr)
		lines := []*Line{NewLine(fields[0][0], fields[0][1], fields[0][2], fields[0][3], fields[0][4], fields[0][5]),
			NewLine(fields[1][0], fields[1][1], fields[1][2], fields[1][3], fields[1][4], fields[1][5])}
		for _, s := range steps {
			switch {
			case s.line < 0:
				r := other
				r.T, r.RV = s.at, s.rv
				tr.Add(r)
			case prepared:
				tr.AddLine(lines[s.line], s.at, s.rv)
			default:
				f := fields[s.line]
				tr.Add(Record{T: s.at, Component: f[0], Verb: f[1], Kind: f[2], Namespace: f[3], Name: f[4], RV: s.rv, Summary: f[5]})
			}
		}
		return tr, out.String()
	}
	requireSameTraces(t, run, "Lease", "kube-node-lease", "n-1")
	l := NewLine(fields[0][0], fields[0][1], fields[0][2], fields[0][3], fields[0][4], fields[0][5])
	require.True(t, l.Of(fields[0][0], fields[0][1], fields[0][2], fields[0][3], fields[0][4], fields[0][5]))
	require.False(t, l.Of(fields[0][0], fields[0][1], fields[0][2], fields[0][3], "n-2", fields[0][5]))
}

// A prepared line allocates nothing once the trace's buffers are grown.
func TestAddLineAllocatesNothing(t *testing.T) {
	tr := NewTrace()
	l := NewLine("kubelet/n-1", "update", "Lease", "kube-node-lease", "n-1", "")
	at := time.Duration(0)
	tr.AddLine(l, at, 1)
	allocs := testing.AllocsPerRun(100, func() {
		at += time.Millisecond
		tr.AddLine(l, at, int64(at))
	})
	require.Zero(t, allocs)
}

// BenchmarkLeaseLine is one Lease renewal's trace line, written as a
// record (Add) and as a prepared line (AddLine), at a new instant each.
func BenchmarkLeaseLine(b *testing.B) {
	rec := Record{Component: "kubelet/worker-00042", Verb: "update", Kind: "Lease", Namespace: "kube-node-lease", Name: "worker-00042"}
	b.Run("Add", func(b *testing.B) {
		tr := NewTrace()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			r := rec
			r.T, r.RV = time.Duration(i)*time.Microsecond, int64(1000000+i)
			tr.Add(r)
		}
	})
	b.Run("AddLine", func(b *testing.B) {
		tr := NewTrace()
		l := NewLine(rec.Component, rec.Verb, rec.Kind, rec.Namespace, rec.Name, rec.Summary)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			tr.AddLine(l, time.Duration(i)*time.Microsecond, int64(1000000+i))
		}
	})
}

// requireSameTraces runs a trace twice, the plain way (fast false) and
// through a fast path (fast true), under each setup where the records
// themselves are wanted (kept, links, listeners) and where they are not,
// and requires the same bytes, hash, count, records, causes, listener
// calls and last record of kind/namespace/name.
func requireSameTraces(t *testing.T, run func(fast bool, setup func(*Trace)) (*Trace, string), kind, namespace, name string) {
	t.Helper()
	var subbed []Record
	setups := map[string]func(*Trace){
		"plain":     func(*Trace) {},
		"kept":      func(tr *Trace) { tr.Keep() },
		"links":     func(tr *Trace) { tr.KeepLinks() },
		"listeners": func(tr *Trace) { tr.Subscribe(func(r *Record) { subbed = append(subbed, *r) }) },
	}
	for setup, prepare := range setups {
		subbed = nil
		want, wantOut := run(false, prepare)
		wantSubbed := subbed
		subbed = nil
		got, gotOut := run(true, prepare)
		require.Equal(t, wantOut, gotOut, setup)
		require.Equal(t, want.Hash(), got.Hash(), setup)
		require.Equal(t, want.Len(), got.Len(), setup)
		require.Equal(t, want.Records(), got.Records(), setup)
		require.Equal(t, want.CurrentCause(), got.CurrentCause(), setup)
		require.Equal(t, want.Cause(3), got.Cause(3), setup)
		require.Equal(t, wantSubbed, subbed, setup)
		require.Equal(t, want.LastOf(kind, namespace, name), got.LastOf(kind, namespace, name), setup)
	}
}
