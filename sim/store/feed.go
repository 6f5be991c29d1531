package store

// feed is the changes of one kind in order, as the watches that follow it
// read them: a watch with a latency that is handed every change of its
// kind (no filter, no index) waits for exactly the changes made since it
// last delivered, so it keeps a cursor into the feed where it kept a queue
// of pointers to the changes' records. A pod write queued a pointer into
// each of a dozen such queues and cleared it at delivery, two pointer
// writes a watch under the collector's barrier, and the queues grew and
// were compacted; the cursor moves by an index.
//
// The feed is written only while watches follow it (followers): every
// change offered then is appended, and a follower's changes are those
// after its cursor. A chunk is garbage once every cursor and the tail
// have moved past it, a few milliseconds of virtual time after its last
// change.
type feed struct {
	tail      *feedChunk // where the next change is appended; nil until a watch follows
	followers int        // the watches following the feed
}

// feedChunkSize is the number of records in a chunk of the feed.
const feedChunkSize = 256

// feedChunk is feedChunkSize consecutive changes of a feed (recs[:n]),
// then the chunk of the next ones (nil until there is one). A record is
// never written after it is appended.
type feedChunk struct {
	recs [feedChunkSize]queuedEvent
	n    int
	next *feedChunk
}

// add appends q to the feed and returns its record.
func (f *feed) add(q queuedEvent) *queuedEvent {
	c := f.tail
	if c.n == feedChunkSize {
		c.next = &feedChunk{}
		c = c.next
		f.tail = c
	}
	r := &c.recs[c.n]
	*r = q
	c.n++
	return r
}

// follow adds a follower, and returns its cursor: at the end of the
// feed, where the next change will be.
func (f *feed) follow() cursor {
	if f.tail == nil {
		f.tail = &feedChunk{}
	}
	f.followers++
	return cursor{c: f.tail, i: f.tail.n}
}

// unfollow takes a follower away; once none is left, the feed lets its
// records go.
func (f *feed) unfollow() {
	f.followers--
	if f.followers == 0 {
		f.tail = nil
	}
}

// cursor is a follower's place in its feed: the next change it has not
// delivered is recs[i] of c, once it is appended (c.n > i, or the next
// chunk's first once c is full).
type cursor struct {
	c *feedChunk
	i int
}

// front is the first change after the cursor, nil if there is none yet.
func (k *cursor) front() *queuedEvent {
	if k.i == feedChunkSize {
		if k.c.next == nil {
			return nil
		}
		k.c, k.i = k.c.next, 0
	}
	if k.i == k.c.n {
		return nil
	}
	return &k.c.recs[k.i]
}
