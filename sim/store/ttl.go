package store

import (
	"slices"
	"strconv"
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
	t := s.tables[kind]
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
		for t.expHead < len(t.expires) && t.expires[t.expHead].due <= now {
			x := t.expires[t.expHead]
			t.expires[t.expHead] = expiry{}
			t.expHead++
			if o, ok := t.get(x.key); ok && o.GetResourceVersion() == strconv.FormatInt(x.rev, 10) {
				ns, name := SplitKey(x.key)
				if !t.kind.Namespaced {
					ns, name = "", x.key
				}
				_, _ = s.Delete(t.kind.Kind, ns, name) // it exists: cannot fail
			}
		}
		// The queue's array is reused once half of it is spent.
		if t.expHead > len(t.expires)/2 {
			t.expires = append(t.expires[:0], t.expires[t.expHead:]...)
			t.expHead = 0
		}
	}
}
