package sim

import (
	"bytes"
	"strconv"
	"time"
)

// Line is a record prepared for a writer that writes the same object
// again and again under the same component and verb, with the same
// summary: a kubelet renewing its Lease every 10 seconds, 900,000 trace
// lines in a 30-minute run of 5,000 nodes (four in ten of all lines).
// What its lines have in common, from the component to the
// resourceVersion's key, and the summary after it, is escaped once; AddLine
// then writes a line as the time's bytes, those, and the number.
//
// A Line is immutable once made: it holds the record's strings and the
// bytes Record.AppendJSON makes of them, which depend on nothing else.
type Line struct {
	mid  []byte // `,"c":...,"rv":`
	tail []byte // `,"s":...}` and the newline, after mid in the same array
	rec  Record // T and RV zero
}

// rvKey ends the part of a line before the resourceVersion.
const rvKey = `,"rv":`

// NewLine prepares the lines of records with these fields.
func NewLine(component, verb, kind, namespace, name, summary string) *Line {
	l := &Line{rec: Record{Component: component, Verb: verb, Kind: kind, Namespace: namespace, Name: name, Summary: summary}}
	// One array holds both parts, side by side: a line's bytes are read
	// cold in memory (a kubelet's every 10 seconds), and two arrays were
	// one more cache miss than one.
	b := append(l.rec.appendAfterT(nil), '\n') // ...,"rv":0,"s":...}\n
	i := len(rvKey) + bytes.LastIndex(b, []byte(rvKey))
	l.mid = b[:i:i]
	l.tail = b[i+1:] // after the "0"
	return l
}

// Of reports whether l was prepared for records with these fields.
func (l *Line) Of(component, verb, kind, namespace, name, summary string) bool {
	r := &l.rec
	return r.Component == component && r.Verb == verb && r.Kind == kind &&
		r.Namespace == namespace && r.Name == name && r.Summary == summary
}

// AddLine is Add of l's record at time at with resourceVersion rv: the
// same line, hash, links and listeners.
func (t *Trace) AddLine(l *Line, at time.Duration, rv int64) {
	switch {
	case t.keep || len(t.subs) > 0 || t.lastOf != nil:
		r := l.rec // they are handed (or keep) the record
		r.T, r.RV = at, rv
		t.Add(r)
	case t.offloading():
		t.handLine(l, at, rv)
	default:
		t.settle()
		t.writeLine(t.lw.appendLine(t.lw.buf[:0], l, at, rv))
	}
}

// appendLine appends the line of l's record at time at with
// resourceVersion rv.
func (lw *lineWriter) appendLine(b []byte, l *Line, at time.Duration, rv int64) []byte {
	b = append(lw.appendT(b, at), l.mid...)
	return append(strconv.AppendInt(b, rv, 10), l.tail...)
}
