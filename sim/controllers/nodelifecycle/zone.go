package nodelifecycle

import (
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ZoneState is a zone's health as the controller sees it.
type ZoneState string

// Zone states, as upstream names them.
const (
	StateInitial           = ZoneState("Initial")
	StateNormal            = ZoneState("Normal")
	StateFullDisruption    = ZoneState("FullDisruption")
	StatePartialDisruption = ZoneState("PartialDisruption")
)

// ZoneKey is upstream's zone key of a node: region and zone labels
// (topology.kubernetes.io/*, falling back to the beta failure-domain
// labels) joined by ":\x00:", or "" when both are missing.
func ZoneKey(n *corev1.Node) string {
	l := n.Labels
	if l == nil {
		return ""
	}
	zone, ok := l[corev1.LabelTopologyZone]
	if !ok {
		zone = l[corev1.LabelFailureDomainBetaZone]
	}
	region, ok := l[corev1.LabelTopologyRegion]
	if !ok {
		region = l[corev1.LabelFailureDomainBetaRegion]
	}
	if region == "" && zone == "" {
		return ""
	}
	return region + ":\x00:" + zone
}

// ComputeZoneState classifies a zone from its ready and not-ready node
// counts: no ready node is a full disruption; at least 3 not ready and at
// least threshold of all is a partial disruption.
func ComputeZoneState(ready, notReady int, threshold float64) ZoneState {
	switch {
	case ready == 0 && notReady > 0:
		return StateFullDisruption
	case notReady > 2 && float32(notReady)/float32(notReady+ready) >= float32(threshold):
		return StatePartialDisruption
	default:
		return StateNormal
	}
}

type zoneCount struct{ ready, notReady int }

func (z *zoneCount) size() int {
	if z == nil {
		return 0
	}
	return z.ready + z.notReady
}

// addZone gives zone zk its Initial state and its tainter, unless it has
// a state.
func (c *Controller) addZone(zk string) {
	if _, ok := c.states[zk]; ok {
		return
	}
	c.states[zk] = StateInitial
	if c.tainter[zk] == nil {
		c.tainter[zk] = newTimedQueue(newLimiter(c.cfg.EvictionRate))
	}
}

// zoneQueue is the tainter of zone zk.
func (c *Controller) zoneQueue(zk string) *timedQueue {
	q := c.tainter[zk]
	if q == nil {
		c.addZone(zk)
		q = c.tainter[zk]
	}
	return q
}

// handleDisruption moves zones between states and sets their tainting
// rate: normal rate when Normal or FullDisruption (a dead zone is the
// zone's problem, not the control plane's), the secondary rate (or none in
// zones up to LargeClusterThreshold nodes) when PartialDisruption, and no
// tainting at all — with every NoExecute taint lifted — when every zone is
// fully disrupted, which looks like the control plane's own network
// failing.
func (c *Controller) handleDisruption(counts map[string]*zoneCount, nodes []*corev1.Node) {
	newStates := map[string]ZoneState{}
	allAreFull := true
	for _, zk := range slices.Sorted(maps.Keys(counts)) {
		zc := counts[zk]
		s := ComputeZoneState(zc.ready, zc.notReady, c.cfg.UnhealthyZoneThreshold)
		if s != StateFullDisruption {
			allAreFull = false
		}
		newStates[zk] = s
		if _, ok := c.states[zk]; !ok {
			c.states[zk] = StateInitial
		}
	}
	allWasFull := true
	for _, zk := range slices.Sorted(maps.Keys(c.states)) {
		if _, ok := counts[zk]; !ok {
			delete(c.states, zk)
			c.zonesGone++
			continue
		}
		if c.states[zk] != StateFullDisruption {
			allWasFull = false
			break
		}
	}
	if allAreFull && allWasFull {
		return
	}
	now := c.Engine.Elapsed()
	switch {
	case allAreFull:
		for _, n := range nodes {
			c.markNodeAsReachable(n, c.zoneKey(n))
		}
		for _, zk := range slices.Sorted(maps.Keys(c.states)) {
			c.queueFor(zk).swapLimiter(0, now)
			c.states[zk] = StateFullDisruption
		}
	case allWasFull:
		for _, n := range nodes {
			if h := c.healthOf(n.Name); h != nil {
				h.probe, h.readyTransition = now, now
			}
		}
		for _, zk := range slices.Sorted(maps.Keys(c.states)) {
			c.setLimiterInZone(zk, counts[zk].size(), newStates[zk])
			c.states[zk] = newStates[zk]
		}
	default:
		for _, zk := range slices.Sorted(maps.Keys(c.states)) {
			if c.states[zk] == newStates[zk] {
				continue
			}
			c.setLimiterInZone(zk, counts[zk].size(), newStates[zk])
			c.states[zk] = newStates[zk]
		}
	}
}

func (c *Controller) queueFor(zk string) *timedQueue {
	q := c.tainter[zk]
	if q == nil {
		q = newTimedQueue(newLimiter(c.cfg.EvictionRate))
		c.tainter[zk] = q
	}
	return q
}

func (c *Controller) setLimiterInZone(zk string, size int, s ZoneState) {
	now := c.Engine.Elapsed()
	switch s {
	case StateNormal, StateFullDisruption:
		c.queueFor(zk).swapLimiter(c.cfg.EvictionRate, now)
	case StatePartialDisruption:
		qps := 0.0
		if size > c.cfg.LargeClusterThreshold {
			qps = c.cfg.SecondaryEvictionRate
		}
		c.queueFor(zk).swapLimiter(qps, now)
	}
}

// limiter is client-go's token bucket with burst 1 in virtual time, kept
// as the time the next token is available so the arithmetic is exact.
// A rate of 0 never accepts.
type limiter struct {
	qps      float64
	interval time.Duration
	next     time.Duration
}

func newLimiter(qps float64) *limiter {
	if qps <= 0 {
		return &limiter{}
	}
	return &limiter{qps: qps, interval: time.Duration(float64(time.Second) / qps)}
}

func (l *limiter) tryAccept(now time.Duration) bool {
	if l.qps <= 0 || now < l.next {
		return false
	}
	l.next = now + l.interval
	return true
}

// timedValue is one node waiting in a tainter.
type timedValue struct {
	value, uid string
	addedAt    time.Duration
	processAt  time.Duration
	seq        uint64
}

// timedQueue is upstream's RateLimitedTimedQueue: a set of nodes ordered
// by processAt, worked under a limiter. A processed node stays in the set
// (so it is not queued twice) until removed.
type timedQueue struct {
	items   []*timedValue
	set     map[string]bool
	limiter *limiter
	seq     uint64
}

func newTimedQueue(l *limiter) *timedQueue {
	return &timedQueue{set: map[string]bool{}, limiter: l}
}

func (q *timedQueue) len() int { return len(q.items) }

func (q *timedQueue) add(value, uid string, now time.Duration) bool {
	if q.set[value] {
		return false
	}
	q.set[value] = true
	q.seq++
	q.items = append(q.items, &timedValue{value: value, uid: uid, addedAt: now, processAt: now, seq: q.seq})
	q.sort()
	return true
}

func (q *timedQueue) sort() {
	slices.SortFunc(q.items, func(a, b *timedValue) int {
		if a.processAt != b.processAt {
			return int(a.processAt - b.processAt)
		}
		return int(a.seq) - int(b.seq)
	})
}

// remove drops value from the set and the queue so it can be added again.
func (q *timedQueue) remove(value string) bool {
	if !q.set[value] {
		return false
	}
	delete(q.set, value)
	q.items = slices.DeleteFunc(q.items, func(v *timedValue) bool { return v.value == value })
	return true
}

// try processes due values while the limiter accepts; fn returns false and
// a wait to retry a value later.
func (q *timedQueue) try(now time.Duration, fn func(*timedValue) (bool, time.Duration)) {
	for len(q.items) > 0 {
		if !q.limiter.tryAccept(now) {
			return
		}
		v := q.items[0]
		if now < v.processAt {
			return
		}
		if ok, wait := fn(v); !ok {
			v.processAt = now + wait + 1
			q.sort()
		} else {
			q.items = q.items[1:]
		}
	}
}

// swapLimiter changes the rate; a new bucket starts drained if the old
// one had no token (upstream's drain for burst 1).
func (q *timedQueue) swapLimiter(qps float64, now time.Duration) {
	if q.limiter.qps == qps {
		return
	}
	nl := newLimiter(qps)
	if qps > 0 && !q.limiter.tryAccept(now) {
		nl.tryAccept(now)
	}
	q.limiter = nl
}
