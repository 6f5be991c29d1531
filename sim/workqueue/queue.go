// Package workqueue is the controllers' work queue in virtual time: keys
// are deduplicated while waiting, processed one at a time with a modelled
// cost per item, and requeued through client-go's default controller rate
// limiter on error or when a controller asks for a rate-limited retry: the
// larger of a per-key exponential backoff (5 ms doubling to 1000 s) and an
// overall token bucket (10 per second, burst 100). The bucket is what keeps
// a controller that keeps re-checking a key ("is it stuck yet?") from
// spinning: upstream relies on it, and so does the simulation, whose virtual
// time would otherwise never move.
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
	// BaseBackoff and MaxBackoff bound the per-key exponential backoff.
	BaseBackoff, MaxBackoff time.Duration
	// QPS and Burst size the overall token bucket of rate-limited
	// requeues (client-go: 10 and 100).
	QPS   float64
	Burst int
	// Name identifies the queue's owner (the controller) in diagnostics,
	// such as the engine's livelock report.
	Name string
}

// DefaultConfig is what controllers use unless they have a reason not to.
var DefaultConfig = Config{
	Delay:       5 * time.Millisecond,
	PerItem:     time.Millisecond,
	BaseBackoff: 5 * time.Millisecond,
	MaxBackoff:  1000 * time.Second,
	QPS:         10,
	Burst:       100,
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
	later    map[string]*delayed
	spare    []*delayed // fired delayed adds, reused by the next AddAfter
	timer    *sim.Timer // the next process call, reused (see Reschedule)
	pending  bool       // timer is queued
	bucket   bucket
	after    string // timer name of delayed adds
	// causes is the trace record behind each queued key's latest Add
	// (only while the trace keeps cause links): processing the key is
	// caused by it, not by whatever key the queue processed before.
	causes map[string]int64
}

// New returns a queue that calls fn for each key. The rate limiter's zero
// fields take DefaultConfig's: a zero backoff would requeue a failing key
// at the same virtual instant forever. (Zero Delay and PerItem are
// legitimate: no latency.)
func New(engine *sim.Engine, cfg Config, fn Reconciler) *Queue {
	cfg = cfg.withLimiterDefaults()
	return &Queue{engine: engine, cfg: cfg, fn: fn, queued: map[string]bool{},
		failures: map[string]int{}, later: map[string]*delayed{}, after: cfg.Name + "/after",
		bucket: bucket{qps: cfg.QPS, burst: float64(cfg.Burst), tokens: float64(cfg.Burst)}}
}

func (c Config) withLimiterDefaults() Config {
	d := DefaultConfig
	if c.BaseBackoff <= 0 {
		c.BaseBackoff = d.BaseBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = d.MaxBackoff
	}
	if c.QPS <= 0 {
		c.QPS = d.QPS
	}
	if c.Burst <= 0 {
		c.Burst = d.Burst
	}
	if c.Name == "" {
		c.Name = "workqueue"
	}
	return c
}

// Named returns c with Name set.
func (c Config) Named(name string) Config {
	c.Name = name
	return c
}

// AddRateLimited queues key after the rate limiter's delay (client-go's
// AddRateLimited): each call without an intervening successful reconcile
// doubles the key's backoff, and all calls share the token bucket.
func (q *Queue) AddRateLimited(key string) {
	q.AddAfter(key, q.when(key))
}

// when is client-go's MaxOfRateLimiter(ItemExponentialFailureRateLimiter,
// BucketRateLimiter).When: it counts a failure for key and takes a token.
func (q *Queue) when(key string) time.Duration {
	n := q.failures[key]
	q.failures[key] = n + 1
	d := q.cfg.BaseBackoff << min(n, 30)
	if d > q.cfg.MaxBackoff || d <= 0 {
		d = q.cfg.MaxBackoff
	}
	return max(d, q.bucket.reserve(q.engine.Elapsed()))
}

// bucket is golang.org/x/time/rate's Limiter.Reserve in virtual time: a
// reservation always succeeds and may leave the bucket in debt; its delay
// is the time until the debt is paid back at qps.
type bucket struct {
	qps, burst, tokens float64
	last               time.Duration
}

func (b *bucket) reserve(now time.Duration) time.Duration {
	if now > b.last {
		b.tokens = min(b.burst, b.tokens+now.Seconds()*b.qps-b.last.Seconds()*b.qps)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.qps * float64(time.Second))
}

// Len is the number of keys waiting.
func (q *Queue) Len() int { return len(q.order) - q.head }

// Add queues key unless it is already waiting.
func (q *Queue) Add(key string) {
	if tr := q.engine.Trace(); tr.Linking() {
		if q.causes == nil {
			q.causes = map[string]int64{}
		}
		q.causes[key] = tr.CurrentCause()
	}
	if q.queued[key] {
		return
	}
	q.queued[key] = true
	q.order = append(q.order, key)
	if !q.pending {
		q.schedule(q.cfg.Delay)
	}
}

// schedule queues the next process call d from now. The one timer is
// reused, which the engine makes exactly a new timer of the same name
// (a new sequence number, the current cause): the same order of events,
// without a Timer and a method value allocated for every key processed.
func (q *Queue) schedule(d time.Duration) {
	q.pending = true
	at := q.engine.Elapsed() + d
	if q.timer == nil {
		q.timer = q.engine.At(at, q.cfg.Name, q.process)
		return
	}
	q.engine.Reschedule(q.timer, at)
}

// AddAfter queues key after d (a controller's "check again later").
// An earlier pending AddAfter for the key wins.
func (q *Queue) AddAfter(key string, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	at := q.engine.Elapsed() + d
	if l, ok := q.later[key]; ok {
		if l.tm.At() <= at {
			return
		}
		q.engine.Reschedule(l.tm, at) // as cancelling it and scheduling anew
		return
	}
	var l *delayed
	if n := len(q.spare); n > 0 {
		l, q.spare = q.spare[n-1], q.spare[:n-1]
		q.engine.Reschedule(l.tm, at)
	} else {
		l = &delayed{q: q}
		l.tm = q.engine.At(at, q.after, l.fire)
	}
	l.key = key
	q.later[key] = l
}

// delayed is one pending AddAfter. Once it fires it goes to the queue's
// spare list and the next AddAfter of any key reuses it with its timer: a
// controller that re-checks every object periodically (the HPA every
// 15 s) no longer allocates a timer and a closure for each re-check. The
// engine schedules a reused timer exactly as a new one (Reschedule), so
// the order of events is unchanged.
type delayed struct {
	q   *Queue
	key string
	tm  *sim.Timer
}

func (l *delayed) fire() {
	q, key := l.q, l.key
	delete(q.later, key)
	l.key = ""
	q.spare = append(q.spare, l)
	q.Add(key)
}

// Forget clears the key's failure count.
func (q *Queue) Forget(key string) { delete(q.failures, key) }

func (q *Queue) process() {
	q.pending = false
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
	if c, ok := q.causes[key]; ok {
		q.engine.Trace().SetCause(c)
		delete(q.causes, key)
	}
	q.engine.Note(q.cfg.Name, key)
	if err := q.fn(key); err != nil {
		q.AddRateLimited(key)
	} else {
		// Forget, as upstream's handleErr does after a successful sync
		// (even one that asked for a rate-limited retry: then only the
		// token bucket slows the retries down).
		delete(q.failures, key)
	}
	if q.head < len(q.order) && !q.pending {
		q.schedule(q.cfg.PerItem)
	}
}
