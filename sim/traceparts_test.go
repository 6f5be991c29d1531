package sim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A summary in parts writes what Add of the joined summary writes: the
// same bytes, hash, count, records, links and listeners, with parts that
// need escaping, are empty, or are invalid UTF-8 (a character split
// between two parts: escaped as one after joining).
func TestAddPartsIsAdd(t *testing.T) {
	summaries := [][]string{
		{"Normal", " ", "Pulled", ": ", `Container image "nginx:1.27" already present on machine`},
		{"Warning", " ", "BackOff", " x12", ": ", "(combined from similar events): ", "<a>&\u2028\t"},
		{},
		{"", "", ""},
		{"caf\xc3", "\xa9 ", "\xff"},
		{"é", "\u00e9\U0001F600"},
	}
	run := func(parts bool, setup func(*Trace)) (*Trace, string) {
		tr := NewTrace()
		var out bytes.Buffer
		tr.SetWriter(&out)
		setup(tr)
		for i, s := range summaries {
			r := Record{T: time.Duration(i/2) * time.Second, Component: "kubelet/n-1", Verb: "event", Kind: "Event",
				Namespace: "default", Name: "p.1" + strings.Repeat("x", i), RV: int64(10 + i)}
			if parts {
				r.Summary = "ignored"
				tr.AddParts(r, s...)
			} else {
				r.Summary = strings.Join(s, "")
				tr.Add(r)
			}
		}
		return tr, out.String()
	}
	requireSameTraces(t, run, "Event", "default", "p.1xx")
}

// A summary in parts allocates nothing once the trace's buffers are
// grown.
func TestAddPartsAllocatesNothing(t *testing.T) {
	tr := NewTrace()
	r := Record{Component: "kubelet/n-1", Verb: "event", Kind: "Event", Namespace: "default", Name: "p.1", RV: 1}
	tr.AddParts(r, "Normal", " ", "Pulled", ": ", "m")
	require.Zero(t, testing.AllocsPerRun(100, func() {
		r.RV++
		tr.AddParts(r, "Normal", " ", "Pulled", ": ", "m")
	}))
}
