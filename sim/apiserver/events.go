package apiserver

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

// eventRecorder writes core/v1 Events as client-go's legacy recorder
// does (tools/record, events_cache.go): its correlator folds a repeat of
// the same event into a count on the existing one, aggregates similar
// events (same object and reason, other messages: a ReplicaSet's "Created
// pod: ..." for each of its pods) into one after the tenth within ten
// minutes, and drops what a source writes about one object beyond a burst
// of 25 writes refilled at one per five minutes. kube-scheduler records
// through the events/v1 library instead, which neither aggregates nor
// filters: its events are only counted.
type eventRecorder struct {
	s *Server
	// objs holds what the correlator knows about each object and event
	// type (hashKey of the object's kind, namespace, name, UID and the
	// type): upstream's three caches (dedup, aggregation, spam) are keyed
	// by those and more, so one record per object holds the entries of
	// all three, and an event finds them in one map lookup (three tables
	// were six lookups and inserts an event). recs is the slab the
	// records are cut from.
	objs  map[uint64]*objRecord
	recs  []objRecord
	slots []slot // the room the next records' slots are cut from
	// slabs holds every slab the records were cut from, in order: sweep
	// walks them, records adjacent in memory in the order they were made
	// (with their slots, cut in the same order), where a walk of objs in
	// the map's order was a cache miss or two for each of 150,000
	// records.
	slabs [][]objRecord
	// recent holds the records last looked up, each in the place its
	// hash's low bits say: a pod's events (the scheduler's, then the
	// kubelet's three) come within seconds of one another, and a hit
	// here is one load where the map, of a record for every object ever
	// written about (150,000 pods), was a probe of memory long evicted
	// from the cache.
	recent *[recentSize]recentRecord
	// later holds the messages after the first of the few aggregation
	// keys that saw more than one.
	later map[uint64][]uint64
	// spilled holds the event logs of the objects with more than
	// maxSlots entries (see objRecord.log).
	spilled map[uint64]eventLog
	seq     uint32
	// swept is when the records last lost the entries that no longer
	// make a difference (upstream's caches are LRUs of 4,096 entries).
	swept time.Duration
}

// objRecord is the correlator's entries about one object and event type:
// the log of each event written (dedup key, or the aggregation key's
// aggregate event), the aggregation record of each reason and source,
// and each source's spam bucket, in the order first seen. A pod's are
// the scheduler's log and the kubelet's three logs, three aggregation
// records and bucket: a scan of a few words beats a map of them.
type objRecord struct {
	slots []slot
	// spill: the object reached maxSlots entries, and the logs of its
	// later events are in the recorder's spilled map (an object written
	// about without end, such as a CronJob's "Created job", would make
	// every scan longer).
	spill bool
}

// maxSlots is the most entries an objRecord scans.
const maxSlots = 64

// slot is one entry of an objRecord, each kind of entry 16 bytes beside
// its key. The key's low two bits say the kind; the rest are the hash of
// the entry's key (62 bits are as good as 64 here). An aggregation record
// is upstream's: the hashes of the messages seen (at most
// aggregateMaxEvents), oldest first, and when the last came; the slot
// holds the oldest, and the later ones are in the recorder's later map
// (most records, one per pod and reason, never see a second).
type slot struct {
	key uint64
	at  time.Duration // log: first seen; aggregation record and bucket: last written
	v   uint64        // log: seq<<32 | count; aggregation record: the first message's hash; bucket: the tokens' float64 bits
}

// The kinds of slot.
const (
	slotLog uint64 = iota
	slotAggregate
	slotSpam
	slotKind = 3
)

// slotKey is the key of a slot of kind for the hash h.
func slotKey(h, kind uint64) uint64 { return h&^slotKind | kind }

// find is the index of the slot keyed key, -1 if none.
func (o *objRecord) find(key uint64) int {
	for i := range o.slots {
		if o.slots[i].key == key {
			return i
		}
	}
	return -1
}

// add appends a slot (the record has room: see full) and returns its index.
func (o *objRecord) add(s slot) int {
	o.slots = append(o.slots, s)
	return len(o.slots) - 1
}

// The correlator's defaults (client-go tools/record).
const (
	aggregateMaxEvents = 10
	aggregateInterval  = 600 * time.Second
	spamBurst          = 25
	spamRefill         = 300 * time.Second // one write more every five minutes
	aggregatePrefix    = "(combined from similar events): "
)

// eventLog is the correlator's observation of one event: when it was
// first seen and the sequence number its name was made with (the name is
// made again from them rather than kept: there is one log per event), and
// the count written or, if the spam filter dropped writes, to be written.
// It is 16 bytes, as there is one for every event of the run: seq is 32
// bits (four billion events would need hundreds of gigabytes first; past
// that a name could repeat, and that event would fail to be created, as a
// best-effort write may).
type eventLog struct {
	first time.Duration
	seq   uint32
	count int32
}

// name is the event's name: the object's, the first time seen in
// nanoseconds and the sequence number, in hex.
func (r *eventRecorder) name(obj store.Object, l eventLog) string {
	var buf [96]byte
	return string(r.appendName(buf[:0], obj, l))
}

// key is the store key of the event named name(obj, l) in namespace ns,
// built in one allocation (one is made for every event written).
func (r *eventRecorder) key(ns string, obj store.Object, l eventLog) string {
	var buf [128]byte
	return string(r.appendName(append(append(buf[:0], ns...), '/'), obj, l))
}

func (r *eventRecorder) appendName(b []byte, obj store.Object, l eventLog) []byte {
	b = append(append(b, obj.GetName()...), '.')
	b = strconv.AppendInt(b, r.s.engine.Start().Add(l.first).UnixNano(), 16)
	return strconv.AppendUint(b, uint64(l.seq), 16)
}

// bucket is the spam filter's token bucket (upstream's is a rate.Limiter
// per source and object; this is its arithmetic in 16 bytes, as there is
// one for every pod): tokens after the last write, refilled at one per
// spamRefill up to spamBurst.
type bucket struct {
	tokens float64
	last   time.Duration
}

// take reports whether a token is left at now, and takes it.
func (b *bucket) take(now time.Duration) bool {
	b.tokens = b.at(now)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// at is the tokens the bucket holds at now.
func (b *bucket) at(now time.Duration) float64 {
	return min(spamBurst, b.tokens+float64(now-b.last)/float64(spamRefill))
}

// eventsV1 reports whether component records through the events/v1
// library (a comparison, not a map lookup: it is asked twice an event).
func eventsV1(component string) bool { return component == "default-scheduler" }

func (r *eventRecorder) init(s *Server) {
	r.s = s
	r.objs = map[uint64]*objRecord{}
	r.recent = new([recentSize]recentRecord)
	r.later = map[uint64][]uint64{}
	r.spilled = map[uint64]eventLog{}
	s.engine.OnInstantEnd(r.sweep)
}

// recentRecord is a record of recent and the hash it is the record of.
type recentRecord struct {
	of uint64
	o  *objRecord
}

// recentSize is the number of places in recent (a power of two): a
// burst of thousands of pods is started at once.
const recentSize = 1 << 14

// record is the record of the object and type hashed in of, made if new.
func (r *eventRecorder) record(of uint64) *objRecord {
	c := &r.recent[of&(recentSize-1)]
	if c.o != nil && c.of == of {
		return c.o
	}
	o := r.lookup(of)
	*c = recentRecord{of: of, o: o}
	return o
}

// lookup is record without recent.
func (r *eventRecorder) lookup(of uint64) *objRecord {
	if o := r.objs[of]; o != nil {
		return o
	}
	if len(r.recs) == 0 {
		r.recs = make([]objRecord, recSlab)
		r.slabs = append(r.slabs, r.recs)
	}
	o := &r.recs[0]
	r.recs = r.recs[1:]
	// Room for a pod's entries (the scheduler's log and the kubelet's
	// three logs, aggregation records and bucket), cut from a slab with
	// the records': one more slot copies them out.
	if len(r.slots) == 0 {
		r.slots = make([]slot, recSlab*podSlots)
	}
	o.slots, r.slots = r.slots[:0:podSlots], r.slots[podSlots:]
	r.objs[of] = o
	return o
}

// recSlab is the number of objRecords allocated at a time, podSlots
// the room for slots each is given.
const recSlab, podSlots = 256, 8

// sweep (at the end of each instant) drops, once per aggregation interval, the aggregation records
// older than it (the next similar event starts afresh anyway, as from a
// new record) and the token buckets full again (a fresh one is full):
// nothing it drops could change what is written, so the order it walks
// the records in does not matter either. The logs are kept.
func (r *eventRecorder) sweep() {
	now := r.s.engine.Elapsed()
	if now-r.swept < aggregateInterval {
		return
	}
	r.swept = now
	for _, slab := range r.slabs {
		for i := range slab {
			slab[i].sweep(r, now) // (one not handed out yet has no slots)
		}
	}
}

// sweep drops o's entries that no longer make a difference at now (see
// eventRecorder.sweep), and gives back the room they took if that is
// most of it.
func (o *objRecord) sweep(r *eventRecorder, now time.Duration) {
	n := 0
	for _, s := range o.slots {
		switch s.key & slotKind {
		case slotAggregate:
			if now-s.at > aggregateInterval {
				delete(r.later, s.key)
				continue
			}
		case slotSpam:
			if b := s.bucket(); b.at(now) >= spamBurst {
				continue
			}
		}
		o.slots[n] = s
		n++
	}
	clear(o.slots[n:])
	o.slots = o.slots[:n]
	if cap(o.slots) > 2*n {
		o.slots = slices.Clip(slices.Clone(o.slots))
	}
}

// bucket is the spam bucket a slot holds.
func (s *slot) bucket() bucket {
	return bucket{tokens: math.Float64frombits(s.v), last: s.at}
}

// aggregate is EventAggregate: the dedup key of the event to write, the
// aggregate one's if similar events came often enough (aggregated: its
// message is then aggregatePrefix and the event's; it is built only if
// the spam filter lets the write through, and a ReplicaSet's are mostly
// dropped). of is
// the hash of the event's object and type (hashKey of them): the
// correlator's three keys all start with those, hashed once; o is their
// record. The dedup key is dedupKey(of, reason, message, component), the
// aggregate event's aggregateKey(base).
func (r *eventRecorder) aggregate(o *objRecord, of uint64, reason, message, component string) (aggregated bool, key uint64) {
	// The dedup key is the aggregation key's parts and the message's
	// hash: the message, the longest part, is hashed once.
	base := hashMore(of, reason, component)
	local := hashKey(message)
	key = hashWord(base, local) // dedupKey(of, reason, message, component)
	if eventsV1(component) {
		return false, key
	}
	aggKey := slotKey(hashMore(base, "aggregate"), slotAggregate)
	now := r.s.engine.Elapsed()
	i := o.find(aggKey)
	if i < 0 {
		// A new record (most are: one for each pod and reason) has no
		// later messages: later has only keys of records.
		o.add(slot{key: aggKey, at: now, v: local})
		return false, key
	}
	rec := &o.slots[i]
	later := r.later[aggKey]
	switch {
	case now-rec.at > aggregateInterval:
		rec.v, later = local, later[:0]
	case local != rec.v && !slices.Contains(later, local):
		later = append(later, local)
	}
	rec.at = now
	if 1+len(later) < aggregateMaxEvents {
		r.setLater(aggKey, later)
		return false, key
	}
	// Upstream forgets an arbitrary one of the messages (a set's PopAny);
	// the oldest here, so that runs repeat.
	rec.v = later[0]
	later = slices.Delete(later, 0, 1)
	r.setLater(aggKey, later)
	return true, aggregateKey(base)
}

// dedupKey is the hash of the correlator's dedup key: the aggregation
// key's parts and the message's hash.
func dedupKey(of uint64, reason, message, component string) uint64 {
	return hashWord(hashMore(of, reason, component), hashKey(message))
}

// aggregateKey is the dedup key of the aggregate event of the
// aggregation key's parts hashed in base.
func aggregateKey(base uint64) uint64 { return hashMore(base, "aggregate") }

// setLater makes later the later messages of the aggregation key.
func (r *eventRecorder) setLater(aggKey uint64, later []uint64) {
	if len(later) > 0 {
		r.later[aggKey] = later
	} else if r.later[aggKey] != nil {
		delete(r.later, aggKey)
	}
}

// observe is eventObserve: the event of the dedup key is counted, and
// named (given the next sequence number) the first time, in o or, once o
// spilled, in the recorder's spilled map. It returns the event's log.
func (r *eventRecorder) observe(o *objRecord, key uint64) eventLog {
	k := slotKey(key, slotLog)
	if i := o.find(k); i >= 0 {
		s := &o.slots[i]
		s.v++ // the count, in the low half
		return logOf(s)
	}
	if o.spill {
		l, ok := r.spilled[k]
		if !ok {
			r.seq++
			l = eventLog{first: r.s.engine.Elapsed(), seq: r.seq}
		}
		l.count++
		r.spilled[k] = l
		return l
	}
	r.seq++
	s := slot{key: k, at: r.s.engine.Elapsed(), v: uint64(r.seq)<<32 | 1}
	if len(o.slots) >= maxSlots {
		o.spill = true
		r.spilled[k] = logOf(&s)
	} else {
		o.add(s)
	}
	return logOf(&s)
}

// logOf is the event log a slot holds.
func logOf(s *slot) eventLog {
	return eventLog{first: s.at, seq: uint32(s.v >> 32), count: int32(uint32(s.v))}
}

// allow is the spam filter: whether component may write now about the
// object and type hashed in of, whose record is o.
func (r *eventRecorder) allow(o *objRecord, of uint64, component string) bool {
	if eventsV1(component) {
		return true
	}
	key := slotKey(hashMore(of, component, "spam"), slotSpam)
	now := r.s.engine.Elapsed()
	i := o.find(key)
	if i < 0 {
		i = o.add(slot{key: key, v: math.Float64bits(spamBurst)})
	}
	s := &o.slots[i]
	b := s.bucket()
	allowed := b.take(now)
	s.v, s.at = math.Float64bits(b.tokens), b.last
	return allowed
}

// Event records an event about obj: eventType is Normal or Warning, reason
// a CamelCase word, message the human sentence. Events are best effort: a
// failure to record one is ignored, as upstream.
func (c *Client) Event(obj store.Object, eventType, reason, message string) {
	r := &c.s.events
	info, err := store.KindOf(obj)
	if err != nil {
		return
	}
	ns := cmp.Or(obj.GetNamespace(), metav1.NamespaceDefault)
	// The correlator's keys, hashed: at 150,000 pods the strings
	// themselves would be a third of the memory of all events.
	of := hashKey(info.Kind, ns, obj.GetName(), string(obj.GetUID()), eventType)
	o := r.record(of)
	aggregated, key := r.aggregate(o, of, reason, message, c.component)
	now := c.s.now()
	// eventObserve: the event is counted (and named, the first time) even
	// if the spam filter then drops the write.
	l := r.observe(o, key)
	if !r.allow(o, of, c.component) {
		return
	}
	if aggregated {
		message = aggregatePrefix + message
	}
	// The trace summary is "Normal Pulled: <message>", or "Normal Pulled
	// x2: ..." once counted again, written into the line from its parts.
	var cnt [16]byte
	count := cnt[:0]
	if l.count > 1 {
		count = strconv.AppendInt(append(count, " x"...), int64(l.count), 10)
	}
	if l.count > 1 {
		out, ok, err := c.s.store.UpdateEvent(ns, r.name(obj, l), func(ev *corev1.Event) {
			ev.Count = l.count
			ev.LastTimestamp = now
			ev.Message = message // an aggregate event says the latest
		})
		if ok {
			if err == nil {
				c.s.traceEvent(c.component, out.GetNamespace(), out.GetName(), eventType, reason, count, message)
			}
			return
		}
		// Gone (or never written): created under its name, with its count.
	}
	// The Event is drafted on the stack and encoded from there (store.
	// CreateEvent), and its name is the tail of its store key, built
	// once; its UID is text in a buffer, written into the encoding (a
	// string only if something keeps it).
	storeKey := r.key(ns, obj, l)
	component := sourceComponent(c.component)
	d := store.EventDraft{
		Name: storeKey[len(ns)+1:], Namespace: ns, CreationTimestamp: now,
		Kind: info.Kind, APIVersion: info.GroupVersion.String(), ObjectNamespace: obj.GetNamespace(),
		ObjectName: obj.GetName(), ObjectUID: string(obj.GetUID()), ObjectResourceVersion: obj.GetResourceVersion(),
		Reason: reason, Message: message, Type: eventType, Count: l.count, Component: component,
		FirstTimestamp: metav1.NewTime(c.s.engine.Start().Add(l.first)), LastTimestamp: now,
		ReportingController: component,
	}
	var uid [36]byte
	uuidText(&uid, c.s.newUUID(nil))
	if err := c.s.store.CreateEvent(&d, storeKey, uid[:]); err != nil {
		return
	}
	c.s.traceEvent(c.component, ns, d.Name, eventType, reason, count, message)
}

// traceEvent writes the trace line of the event ns/name written: its
// summary is its type and reason, count (" x2", or empty) and ": "
// message.
func (s *Server) traceEvent(component, ns, name, eventType, reason string, count []byte, message string) {
	s.engine.Trace().AddParts(sim.Record{
		T: s.engine.Elapsed(), Component: component, Verb: "event", Kind: "Event",
		Namespace: ns, Name: name, RV: s.store.Rev(),
	}, eventType, " ", reason, string(count), ": ", message)
}

// sourceComponent maps our component names to upstream event sources:
// "kubelet/general-1" reports as "kubelet".
func sourceComponent(c string) string {
	for i := 0; i < len(c); i++ {
		if c[i] == '/' {
			return c[:i]
		}
	}
	return c
}

// The correlator's keys are 64-bit hashes of their parts (at 150,000
// pods the key strings would be a third of the memory of all events; a
// collision among a run's million keys has a chance near 10^-7). Each
// part is read eight bytes at a time and folded in by a 64x64->128-bit
// multiply (as wyhash does): FNV-1a, a multiply per byte, took four
// times as long, and every event hashes about 130 bytes.
const (
	hashSeed = 0xa0761d6478bd642f
	hashK1   = 0xe7037ed1a0b428db
	hashK2   = 0x8ebc6af09c88c6e3
)

// hashKey is the hash of the parts, in order: hashKey("ab", "c") and
// hashKey("a", "bc") differ, as each part's length is folded in.
func hashKey(parts ...string) uint64 { return hashMore(hashSeed, parts...) }

// hashMore continues hashKey's hash h over more parts: hashMore(hashKey(a,
// b), c) is hashKey(a, b, c).
func hashMore(h uint64, parts ...string) uint64 {
	for _, p := range parts {
		h = hashString(h, p)
	}
	return h
}

// hashString folds s into h: each whole eight bytes but the last, then
// the last eight (overlapping the one before; a shorter s is read in
// up to two overlapping halves, a shorter one still as its first, middle
// and last byte) with the length.
func hashString(h uint64, s string) uint64 {
	n := len(s)
	var w uint64
	switch {
	case n >= 8:
		for i := 0; i < n-8; i += 8 {
			h = hashWord(h, le64(s[i:]))
		}
		w = le64(s[n-8:])
	case n >= 4:
		w = le32(s)<<32 | le32(s[n-4:])
	case n > 0:
		w = uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1])
	}
	return mum(h^w, hashK2^uint64(n))
}

// hashWord folds the word w into h.
func hashWord(h, w uint64) uint64 { return mum(h^w, hashK1) }

// mum is the high and low halves of a*b, xored.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// le64 is s's first eight bytes, little-endian (one load).
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// le32 is s's first four bytes, little-endian.
func le32(s string) uint64 {
	_ = s[3]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}
