// Package workqueue is the controllers' work queue in virtual time: keys
// are deduplicated while waiting, processed one at a time with a modelled
// cost per item, and requeued with exponential backoff on error (client-go's
// default controller rate limiter: 5 ms doubling to 1000 s).
package workqueue

import (
	"time"

	"github.com/kubesim/kubesim/sim"
)

// Reconciler handles one key; an error requeues the key with backoff.
type Reconciler func(key string) error

// Config tunes a queue.
type Config struct {
	// Delay is the time from a key being added to its processing starting
	// (informer handler + queue hand-off).
	Delay time.Duration
	// PerItem is the virtual time one reconcile takes.
	PerItem time.Duration
	// BaseBackoff and MaxBackoff bound the error backoff.
	BaseBackoff, MaxBackoff time.Duration
}

// DefaultConfig is what controllers use unless they have a reason not to.
var DefaultConfig = Config{
	Delay:       5 * time.Millisecond,
	PerItem:     time.Millisecond,
	BaseBackoff: 5 * time.Millisecond,
	MaxBackoff:  1000 * time.Second,
}

// Queue is a deduplicating FIFO of keys driven by the engine.
type Queue struct {
	engine   *sim.Engine
	cfg      Config
	fn       Reconciler
	queued   map[string]bool
	order    []string
	head     int
	failures map[string]int
	later    map[string]*sim.Timer
	timer    *sim.Timer
}

// New returns a queue that calls fn for each key. A zero backoff takes
// DefaultConfig's: it would requeue a failing key at the same virtual
// instant forever. (Zero Delay and PerItem are legitimate: no latency.)
func New(engine *sim.Engine, cfg Config, fn Reconciler) *Queue {
	d := DefaultConfig
	if cfg.BaseBackoff == 0 {
		cfg.BaseBackoff = d.BaseBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = d.MaxBackoff
	}
	return &Queue{engine: engine, cfg: cfg, fn: fn, queued: map[string]bool{},
		failures: map[string]int{}, later: map[string]*sim.Timer{}}
}

// Len is the number of keys waiting.
func (q *Queue) Len() int { return len(q.order) - q.head }

// Add queues key unless it is already waiting.
func (q *Queue) Add(key string) {
	if q.queued[key] {
		return
	}
	q.queued[key] = true
	q.order = append(q.order, key)
	if q.timer == nil {
		q.timer = q.engine.After(q.cfg.Delay, "workqueue", q.process)
	}
}

// AddAfter queues key after d (a controller's "check again later").
// An earlier pending AddAfter for the key wins.
func (q *Queue) AddAfter(key string, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	at := q.engine.Elapsed() + d
	if t, ok := q.later[key]; ok {
		if t.At() <= at {
			return
		}
		q.engine.Cancel(t)
	}
	q.later[key] = q.engine.At(at, "workqueue/after", func() {
		delete(q.later, key)
		q.Add(key)
	})
}

// Forget clears the key's failure count.
func (q *Queue) Forget(key string) { delete(q.failures, key) }

func (q *Queue) process() {
	q.timer = nil
	if q.head >= len(q.order) {
		return
	}
	key := q.order[q.head]
	q.order[q.head] = ""
	q.head++
	if q.head > 1024 && q.head*2 > len(q.order) {
		q.order = append(q.order[:0], q.order[q.head:]...)
		q.head = 0
	}
	delete(q.queued, key)
	if err := q.fn(key); err != nil {
		n := q.failures[key]
		q.failures[key] = n + 1
		d := q.cfg.BaseBackoff << min(n, 30)
		if d > q.cfg.MaxBackoff || d <= 0 {
			d = q.cfg.MaxBackoff
		}
		q.AddAfter(key, d)
	} else {
		delete(q.failures, key)
	}
	if q.head < len(q.order) && q.timer == nil {
		q.timer = q.engine.After(q.cfg.PerItem, "workqueue", q.process)
	}
}
