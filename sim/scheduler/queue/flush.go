package queue

import (
	"time"
)

// nextTick is the first tick of a ticker with period, started when the
// queue was created, strictly after now (upstream runs the flushes with
// wait.Until from scheduler start).
func (q *Queue) nextTick(period time.Duration) time.Duration {
	now := q.engine.Elapsed()
	n := (now-q.start)/period + 1
	return q.start + n*period
}

// armBackoffFlush makes sure a flush tick is pending while backoffQ holds
// pods; with nothing to flush no timer runs, so an idle simulation ends.
func (q *Queue) armBackoffFlush() {
	if q.backoffTimer != nil || q.backoff.Len() == 0 {
		return
	}
	q.backoffTimer = q.engine.At(q.nextTick(q.cfg.BackoffFlush), "scheduler/flush-backoff", q.flushBackoff)
}

func (q *Queue) flushBackoff() {
	q.backoffTimer = nil
	now := q.engine.Elapsed()
	for q.backoff.Len() > 0 {
		p := q.backoff.items[0].p
		if q.BackoffExpiry(p) > now {
			break
		}
		q.backoff.pop()
		q.toActive(p)
	}
	q.armBackoffFlush()
}

func (q *Queue) armUnschedulableFlush() {
	if q.unschedTimer != nil || len(q.unschedulable) == 0 {
		return
	}
	q.unschedTimer = q.engine.At(q.nextTick(q.cfg.UnschedulableFlush), "scheduler/flush-unschedulable", q.flushUnschedulable)
}

// flushUnschedulable moves pods that have waited longer than
// MaxInUnschedulable back to be retried.
func (q *Queue) flushUnschedulable() {
	q.unschedTimer = nil
	now := q.engine.Elapsed()
	for _, p := range q.sortedUnschedulable() {
		if now-p.Timestamp > q.cfg.MaxInUnschedulable {
			delete(q.unschedulable, p.Key)
			q.activeOrBackoff(p)
		}
	}
	q.armUnschedulableFlush()
}
