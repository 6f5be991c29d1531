package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Record is one state change in the trace.
type Record struct {
	T         time.Duration // virtual time
	Component string        // who caused it: "scheduler", "kubelet/general-1", ...
	Verb      string        // create, update, status, bind, delete, ...
	Kind      string
	Namespace string
	Name      string
	RV        int64 // resourceVersion after the change (0 if none)
	Summary   string
}

// AppendJSON appends the record's canonical JSON encoding (fixed key order,
// no insignificant whitespace) without a trailing newline.
func (r *Record) AppendJSON(b []byte) []byte {
	return r.appendAfterT(appendT(b, r.T))
}

// appendT appends the line's start: the opening brace and the time.
func appendT(b []byte, t time.Duration) []byte {
	return appendJSONString(append(b, `{"t":`...), t.String())
}

// appendAfterT appends the rest of the line after appendT's part.
func (r *Record) appendAfterT(b []byte) []byte {
	b = appendJSONString(r.appendBeforeSummary(b), r.Summary)
	return append(b, '}')
}

// appendBeforeSummary appends the line after appendT's part up to the
// summary's value.
func (r *Record) appendBeforeSummary(b []byte) []byte {
	b = append(b, `,"c":`...)
	b = appendJSONString(b, r.Component)
	b = append(b, `,"v":`...)
	b = appendJSONString(b, r.Verb)
	b = append(b, `,"k":`...)
	b = appendJSONString(b, r.Kind)
	b = append(b, `,"o":`...)
	b = append(b, '"')
	if r.Namespace != "" {
		// "namespace/name" written in place, not concatenated first (a
		// string allocated per trace line); the escaping is per character,
		// so the bytes are the same.
		b = append(appendJSONChars(b, r.Namespace), '/')
	}
	b = append(appendJSONChars(b, r.Name), '"')
	b = append(b, `,"rv":`...)
	b = strconv.AppendInt(b, r.RV, 10)
	return append(b, `,"s":`...)
}

// Trace accumulates the canonical JSON lines of every record into a SHA-256
// hash, optionally copying them to a writer and notifying listeners.
type Trace struct {
	lw   lineWriter
	n    int64
	w    io.Writer
	werr error
	subs []func(*Record)
	sub  Record // the record subscribers are handed (one copy, not one per line)
	keep bool
	kept []Record

	// off, if set, formats and hashes the lines nobody reads as they are
	// written (no writer, listener or Keep) on a goroutine of its own (see
	// Offload); open is the chunk of records it is handed next, free the
	// chunks it gave back; handed is whether it was handed lines since
	// the trace last waited for it.
	off    Offloader
	open   *chunk
	free   chan *chunk
	handed bool

	// Cause links: a side structure, never part of the hashed lines. cur
	// is the record the running event acts upon (the engine sets it from
	// the event's timer): it is the cause of every record the event
	// writes, and the last of those is the cause of the timers the event
	// schedules after it (a watch delivery, a requeue).
	cur    int64               // the running event's cause
	latest int64               // the last record the running event wrote (0: none yet)
	links  []int64             // links[i] is the cause of record i+1 (0: none), when kept
	lastOf map[objectRef]int64 // an object's latest record, when kept
}

// lineWriter makes the lines and hashes them: on the engine's goroutine,
// or the offloader's while the trace hands it the lines (never both at
// once: the trace settles, waiting for the offloader, before it writes a
// line itself).
type lineWriter struct {
	h   hash.Hash
	buf []byte

	// tAt and tJSON: the start of the last line written (appendT of
	// tAt). Most lines share their instant with the one before, and
	// formatting the duration was a fifth of writing a line; the cache is
	// keyed by the time itself, so it is always the bytes appendT makes.
	tAt   time.Duration
	tJSON []byte
}

// objectRef names an object in Trace.lastOf: the record's own strings,
// so that linking a line allocates no key.
type objectRef struct{ kind, namespace, name string }

// NewTrace returns an empty trace.
func NewTrace() *Trace { return &Trace{lw: lineWriter{h: sha256.New()}} }

// SetWriter copies every future line (with a newline) to w.
func (t *Trace) SetWriter(w io.Writer) { t.w = w }

// Keep makes the trace retain records in memory (tests, golden files).
func (t *Trace) Keep() { t.keep = true }

// Records returns the retained records (see Keep).
func (t *Trace) Records() []Record { return t.kept }

// Subscribe calls fn with every future record. The record is the
// trace's, valid during the call only: fn copies what it keeps.
func (t *Trace) Subscribe(fn func(*Record)) { t.subs = append(t.subs, fn) }

// KeepLinks makes the trace remember each record's cause (see Cause) and
// each object's latest record (see LastOf): what `kubesim explain` walks.
// The lines and the hash do not change.
func (t *Trace) KeepLinks() {
	if t.lastOf == nil {
		t.lastOf = map[objectRef]int64{}
		t.links = make([]int64, t.n, t.n+1024) // earlier records: no known cause
	}
}

// Cause is the record that led to record id (1-based line number), 0 for
// none or when links are not kept.
func (t *Trace) Cause(id int64) int64 {
	if id < 1 || id > int64(len(t.links)) {
		return 0
	}
	return t.links[id-1]
}

// LastOf is the latest record about an object so far (0: none, or links
// not kept).
func (t *Trace) LastOf(kind, namespace, name string) int64 {
	return t.lastOf[objectRef{kind, namespace, name}]
}

// Linking reports whether cause links are kept (components skip their
// bookkeeping otherwise).
func (t *Trace) Linking() bool { return t.lastOf != nil }

// CurrentCause is the record the running event acts upon.
func (t *Trace) CurrentCause() int64 {
	if t.latest != 0 {
		return t.latest
	}
	return t.cur
}

// startEvent is called by the engine as an event starts running.
func (t *Trace) startEvent(cause int64) { t.cur, t.latest = cause, 0 }

// SetCause makes record id the cause of what the running event does next.
// Components call it when the cause is not the event that woke them: a
// node marked Unknown is caused by the last thing heard from it, not by
// the monitor's tick.
func (t *Trace) SetCause(id int64) { t.cur, t.latest = id, 0 }

// Add appends a record.
func (t *Trace) Add(r Record) {
	if t.offloading() {
		t.handRecord(&r)
		t.link(&r)
		return
	}
	t.settle()
	t.writeLine(t.lw.appendRecord(t.lw.buf[:0], &r))
	t.link(&r)
	if t.keep {
		t.kept = append(t.kept, r)
	}
	if len(t.subs) > 0 {
		t.sub = r
		for _, fn := range t.subs {
			fn(&t.sub)
		}
	}
}

// link records the line just written as r's object's latest, and its
// cause, if links are kept.
func (t *Trace) link(r *Record) {
	if t.lastOf != nil {
		t.links = append(t.links, t.cur)
		t.lastOf[objectRef{r.Kind, r.Namespace, r.Name}] = t.n
	}
}

// AddParts is Add of r with the concatenation of parts as its Summary
// (r.Summary is not read): the same line, hash, links and listeners. The
// summary is written into the line part by part, and made as a string
// only for a listener or Keep: an Event's summary is its type, reason
// and message, a string per Event (750,000 at 150,000 pods) that only the
// line read.
func (t *Trace) AddParts(r Record, parts ...string) {
	switch {
	case t.keep || len(t.subs) > 0:
		r.Summary = strings.Join(parts, "")
		t.Add(r)
		return
	case t.offloading():
		t.handParts(&r, parts)
	default:
		t.settle()
		t.writeLine(t.lw.appendParts(t.lw.buf[:0], &r, parts))
	}
	t.link(&r)
}

// validUTF8 reports whether every part is valid UTF-8.
func validUTF8(parts []string) bool {
	for _, p := range parts {
		if !utf8.ValidString(p) {
			return false
		}
	}
	return true
}

// writeLine counts the line b (made in t.lw.buf), hashes it and writes
// it out.
func (t *Trace) writeLine(b []byte) {
	t.lw.buf = b
	t.lw.h.Write(b)
	t.counted()
	if t.w != nil && t.werr == nil {
		_, t.werr = t.w.Write(b)
	}
}

// counted counts a line written (or handed to the offloader).
func (t *Trace) counted() {
	t.n++
	t.latest = t.n
}

// appendRecord appends r's line.
func (lw *lineWriter) appendRecord(b []byte, r *Record) []byte {
	return append(r.appendAfterT(lw.appendT(b, r.T)), '\n')
}

// appendParts appends the line of r with the concatenation of parts as
// its summary. Escaping each part is escaping their concatenation when
// every part is valid UTF-8 (no character spans two parts); otherwise
// the concatenation is escaped.
func (lw *lineWriter) appendParts(b []byte, r *Record, parts []string) []byte {
	if !validUTF8(parts) {
		r.Summary = strings.Join(parts, "")
		return lw.appendRecord(b, r)
	}
	b = append(r.appendBeforeSummary(lw.appendT(b, r.T)), '"')
	for _, p := range parts {
		b = appendJSONChars(b, p)
	}
	return append(b, '"', '}', '\n')
}

// appendT appends the start of a line at time at (its JSON is kept while
// the time stays the same: most lines share it).
func (lw *lineWriter) appendT(b []byte, at time.Duration) []byte {
	if lw.tJSON == nil || at != lw.tAt {
		lw.tAt, lw.tJSON = at, appendT(lw.tJSON[:0], at)
	}
	return append(b, lw.tJSON...)
}

// Len is the number of records so far.
func (t *Trace) Len() int64 { return t.n }

// Err is the first error writing to the writer, if any.
func (t *Trace) Err() error { return t.werr }

// Hash is "sha256:" and the hex digest of every line so far.
func (t *Trace) Hash() string {
	t.settle()
	sum := t.lw.h.Sum(nil)
	return "sha256:" + hex.EncodeToString(sum)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping as encoding/json
// does for the characters that must be escaped (and <, >, & for safety).
func appendJSONString(b []byte, s string) []byte {
	return append(appendJSONChars(append(b, '"'), s), '"')
}

// jsonPlain is the ASCII characters appendJSONChars copies as they are.
var jsonPlain = func() (plain [utf8.RuneSelf]bool) {
	for c := byte(0x20); c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return plain
}()

// appendJSONChars appends s escaped as inside a JSON string, without the
// quotes. Runs of characters that need no escape (nearly all of a trace
// line) are copied at once rather than byte by byte.
func appendJSONChars(b []byte, s string) []byte {
	start := 0 // s[start:i] is plain, not yet appended
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // another control character, <, > or &
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
			start = i + 1
		}
		i += size
	}
	return append(b, s[start:]...)
}
