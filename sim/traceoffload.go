package sim

import "time"

// Offloader runs the work it is handed in order, one piece at a time, on
// a goroutine other than the engine's. sim starts no goroutines: the
// engine's owner may give the trace one (Trace.Offload), and the trace
// then makes and hashes its lines there, off the simulation's goroutine
// (2.4 million lines, about a second of a 5,000-node run). The hash is
// the same whatever the scheduling: the lines are hashed in order, and
// they are made only of what the trace is handed, immutable strings and
// Lines.
type Offloader interface {
	// Do hands work over; it may wait while much is pending.
	Do(work func())
	// Wait returns once all the work handed over has run.
	Wait()
}

// chunkSize is how many records the offloader is handed at a time: each
// handover may wake its goroutine, and a chunk of 512 (at most 60 KB)
// stays in cache until it is written.
const chunkSize = 512

// freeChunks is how many chunks the offloader's goroutine gives back for
// reuse (the rest are left to the collector).
const freeChunks = 16

// chunk is records for the offloader to write, in order: the kind of
// each, and of each kind the records in order (a prepared line is three
// words, where a Record is fourteen, and the fewer pointers are written
// the fewer the collector's barriers).
type chunk struct {
	kinds []pendingKind
	recs  []Record // the records and summaries in parts
	parts []string // the parts of the summaries in parts, in order
	count []int    // how many parts each summary in parts has
	lines []pendingLine
}

// pendingKind is the kind of a record in a chunk.
type pendingKind uint8

const (
	recordKind pendingKind = iota // the next of recs
	partsKind                     // the next of recs, its summary the next count of parts
	lineKind                      // the next of lines
)

// pendingLine is line's record at time at with resourceVersion rv.
type pendingLine struct {
	line *Line
	at   time.Duration
	rv   int64
}

// Offload makes o make and hash, from the next line on, the lines that
// nothing else reads as they are written: while the trace has no writer,
// listener or Keep. Hash waits for them, and a line the trace writes
// itself waits for those handed over before it.
func (t *Trace) Offload(o Offloader) {
	t.settle()
	t.off = o
	if t.free == nil {
		t.free = make(chan *chunk, freeChunks)
	}
}

// offloading reports whether the next line goes to the offloader.
func (t *Trace) offloading() bool {
	return t.off != nil && t.w == nil && !t.keep && len(t.subs) == 0
}

// open is the chunk the next record joins, and counts the record.
func (t *Trace) openChunk() *chunk {
	if t.open == nil {
		t.open = t.chunk()
	}
	t.counted()
	return t.open
}

// handRecord queues r for the offloader.
func (t *Trace) handRecord(r *Record) {
	c := t.openChunk()
	c.kinds = append(c.kinds, recordKind)
	c.recs = append(c.recs, *r)
	t.handOverFull()
}

// handParts queues r with the concatenation of parts as its summary.
func (t *Trace) handParts(r *Record, parts []string) {
	c := t.openChunk()
	c.kinds = append(c.kinds, partsKind)
	c.recs = append(c.recs, *r)
	c.parts = append(c.parts, parts...)
	c.count = append(c.count, len(parts))
	t.handOverFull()
}

// handLine queues l's record at time at with resourceVersion rv.
func (t *Trace) handLine(l *Line, at time.Duration, rv int64) {
	c := t.openChunk()
	c.kinds = append(c.kinds, lineKind)
	c.lines = append(c.lines, pendingLine{l, at, rv})
	t.handOverFull()
}

// handOverFull hands the open chunk over once it is full.
func (t *Trace) handOverFull() {
	if len(t.open.kinds) == chunkSize {
		t.handOver()
	}
}

// chunk is an empty chunk, one given back if any.
func (t *Trace) chunk() *chunk {
	select {
	case c := <-t.free:
		return c
	default:
		return &chunk{kinds: make([]pendingKind, 0, chunkSize)}
	}
}

// handOver hands the open chunk to the offloader.
func (t *Trace) handOver() {
	c := t.open
	if c == nil {
		return
	}
	t.open, t.handed = nil, true
	lw, free := &t.lw, t.free
	t.off.Do(func() {
		lw.writeChunk(c)
		c.reset()
		select {
		case free <- c:
		default:
		}
	})
}

// settle has the offloader write every line handed to it so far, before
// the trace writes one itself or reads the hash.
func (t *Trace) settle() {
	if t.off == nil {
		return
	}
	t.handOver()
	if t.handed {
		t.off.Wait()
		t.handed = false
	}
}

// writeChunk makes and hashes the lines of c's records, in order.
func (lw *lineWriter) writeChunk(c *chunk) {
	b := lw.buf[:0]
	recs, parts, count, lines := c.recs, c.parts, c.count, c.lines
	for _, k := range c.kinds {
		switch k {
		case lineKind:
			b = lw.appendLine(b, lines[0].line, lines[0].at, lines[0].rv)
			lines = lines[1:]
		case partsKind:
			b = lw.appendParts(b, &recs[0], parts[:count[0]])
			parts, count, recs = parts[count[0]:], count[1:], recs[1:]
		default:
			b = lw.appendRecord(b, &recs[0])
			recs = recs[1:]
		}
	}
	lw.h.Write(b)
	lw.buf = b
}

// reset empties c, letting go of the strings and Lines it held.
func (c *chunk) reset() {
	clear(c.recs)
	clear(c.parts)
	clear(c.lines)
	c.kinds, c.recs, c.parts, c.count, c.lines = c.kinds[:0], c.recs[:0], c.parts[:0], c.count[:0], c.lines[:0]
}
