package store

import (
	"slices"
	"strings"
	"time"
)

// A kind with a TTL has each of its objects deleted once it went ttl
// without being written, as etcd does with the lease kube-apiserver
// attaches to every write of an Event (--event-ttl, one hour by default):
// without it every Event of a long run stays for good.

// expiry is one write of an object of a kind with a TTL: the object is
// deleted at due unless written again since (its revision moved on).
type expiry struct {
	due time.Duration
	rev int64
	key string
}

// SetTTL has objects of kind deleted ttl after their last write (0: kept
// until deleted). Writes made before the call never expire.
func (s *Store) SetTTL(kind string, ttl time.Duration) {
	t := s.table(kind)
	t.ttl = ttl
	if !slices.Contains(s.expiring, t) {
		s.expiring = append(s.expiring, t)
		slices.SortFunc(s.expiring, func(a, b *table) int { return strings.Compare(a.kind.Kind, b.kind.Kind) })
	}
}

// expire deletes the objects whose TTL ran out by now, oldest write
// first, kind by kind in name order. Writes come in time order, so the
// queue of each kind is in due order.
func (s *Store) expire() {
	now := s.engine.Elapsed()
	for _, t := range s.expiring {
		for {
			x, ok := t.expires.front()
			if !ok || x.due > now {
				break
			}
			t.expires.pop()
			if e := t.entries.get(x.key); e != nil && e.rev == x.rev {
				// An expired Event is deleted without being decoded
				// when nothing would read it (most are).
				var old Object
				if !s.needless(t, e) {
					old = e.object()
				}
				s.remove(t, e, old)
			}
		}
	}
}

// expiryQueue is a FIFO queue of expiries kept in blocks of expiryBlock:
// a kind with a TTL has one for each of its writes (an Event's), and a
// queue in one slice, grown by append, was copied whole at each growth
// (four times its final size allocated once it grows by a quarter at a
// time); blocks are never copied, and each goes once spent.
type expiryQueue struct {
	blocks [][]expiry // full but the last; blocks[0][head:] not yet popped
	head   int
}

// expiryBlock is the number of expiries in a block (32 KiB).
const expiryBlock = 1024

func (q *expiryQueue) push(x expiry) {
	if n := len(q.blocks); n == 0 || len(q.blocks[n-1]) == expiryBlock {
		q.blocks = append(q.blocks, make([]expiry, 0, expiryBlock))
	}
	last := &q.blocks[len(q.blocks)-1]
	*last = append(*last, x)
}

// front is the oldest expiry not popped, false if none.
func (q *expiryQueue) front() (expiry, bool) {
	if len(q.blocks) == 0 || q.head == len(q.blocks[0]) {
		return expiry{}, false
	}
	return q.blocks[0][q.head], true
}

// pop drops the front expiry (there is one), and its block once spent:
// the last block too, as the next push starts a new one.
func (q *expiryQueue) pop() {
	q.blocks[0][q.head] = expiry{} // its key is not kept alive
	q.head++
	if q.head == len(q.blocks[0]) && (len(q.blocks) > 1 || q.head == expiryBlock) {
		q.blocks[0] = nil
		q.blocks = q.blocks[1:]
		q.head = 0
	}
}

// len is the number of expiries not popped.
func (q *expiryQueue) len() int {
	n := -q.head
	for _, b := range q.blocks {
		n += len(b)
	}
	return n
}
