// Package offload runs work in order on a goroutine of its own: what the
// simulation hands off its goroutine (sim starts none; see
// sim.Offloader), given by the engine's owner.
package offload

import "sync"

// maxPending is how many pieces of work may wait before Do waits too: the
// simulation runs ahead of the work by at most that much (for the trace,
// a few megabytes of records).
const maxPending = 32

// Queue runs the work handed to it in order, one piece at a time, on a
// goroutine that lives while there is work (none is left behind when a
// run ends, however it ends).
type Queue struct {
	mu      sync.Mutex
	changed sync.Cond // the queue shrank, or the goroutine ended
	pending []func()  // from head on: the work not yet started
	head    int
	busy    bool // the goroutine runs (or is about to)
}

// New returns an empty queue.
func New() *Queue {
	q := &Queue{}
	q.changed.L = &q.mu
	return q
}

// Do hands work over, waiting first while maxPending pieces are.
func (q *Queue) Do(work func()) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.pending)-q.head >= maxPending {
		q.changed.Wait()
	}
	if q.head >= maxPending || q.head == len(q.pending) { // keep the slice short
		n := copy(q.pending, q.pending[q.head:])
		clear(q.pending[n:])
		q.pending, q.head = q.pending[:n], 0
	}
	q.pending = append(q.pending, work)
	if !q.busy {
		q.busy = true
		go q.run()
	}
}

// run runs the pending work until none is left.
func (q *Queue) run() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head < len(q.pending) {
		work := q.pending[q.head]
		q.pending[q.head] = nil
		q.head++
		q.changed.Broadcast()
		q.mu.Unlock()
		work()
		q.mu.Lock()
	}
	q.busy = false
	q.changed.Broadcast()
}

// Wait returns once all the work handed over has run.
func (q *Queue) Wait() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.busy {
		q.changed.Wait()
	}
}
