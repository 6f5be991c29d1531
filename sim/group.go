package sim

import (
	"math"
	"slices"
	"time"
)

// Group runs the events of many members from one batch slot (NewBatch),
// each member's event exactly where a timer of its own would have run: a
// member reserves its key (Arm) where it would have scheduled its timer,
// the slot is held at the least key of the armed members, and when it
// fires the members run in key order while each is the engine's next
// event. A store's watches of one kind with one delivery latency are a
// group: a dozen deliveries of every pod write from one engine step.
type Group struct {
	e       *Engine
	name    string
	slot    *Timer
	members []*Member // in the order they joined
	// keys[i] is the key of members[i]'s pending event, unarmed if it
	// has none: the least is found in one small array, where a walk
	// through the members read a cold object apiece at every delivery.
	keys   []Key
	firing bool // fire is running: it holds the slot when it is done
}

// Member is one member of a Group: at most one pending event at a time.
type Member struct {
	g   *Group
	i   int // its place in g.members and g.keys, -1 once it left
	run func()
}

// unarmed is the key of a member with no pending event: after every
// key a member reserves.
var unarmed = Key{At: math.MaxInt64, seq: math.MaxUint64}

// NewGroup returns an empty group whose slot waits in lane l (nil: the
// heap); its members' events are named name.
func (e *Engine) NewGroup(l *Lane, name string) *Group {
	g := &Group{e: e, name: name}
	g.slot = e.NewBatch(l, g.fire)
	return g
}

// Join adds a member whose event runs run.
func (g *Group) Join(run func()) *Member {
	m := &Member{g: g, i: len(g.members), run: run}
	g.members = append(g.members, m)
	g.keys = append(g.keys, unarmed)
	return m
}

// Arm schedules m's event at t, taking the key a timer scheduled now
// would take.
func (m *Member) Arm(t time.Duration) {
	if m.i < 0 {
		return // (left: nothing of it runs again)
	}
	m.g.keys[m.i] = m.g.e.Reserve(t)
	m.g.hold()
}

// Disarm takes m's pending event back (m runs it itself: an event that
// is done disarms before it arms the next).
func (m *Member) Disarm() {
	if m.i >= 0 {
		m.g.keys[m.i] = unarmed
	}
}

// Armed reports whether m has an event pending.
func (m *Member) Armed() bool { return m.i >= 0 && m.g.keys[m.i] != unarmed }

// Leave takes m out of its group for good, and its pending event with
// it; the slot moves off m's key if it is held there (a key is never held
// again once left: the queue drops a left slot lazily).
func (m *Member) Leave() {
	g := m.g
	if m.i < 0 {
		return // (left already)
	}
	held := !g.firing && g.first() == m.i
	g.members = slices.Delete(g.members, m.i, m.i+1)
	g.keys = slices.Delete(g.keys, m.i, m.i+1)
	for _, x := range g.members[m.i:] {
		x.i--
	}
	m.i = -1
	if held {
		g.e.Release(g.slot)
		g.hold()
	}
}

// fire runs the armed members in key order while each is the next event
// of the engine, then holds the slot at the first one left.
func (g *Group) fire() {
	g.firing = true
	for {
		i := g.first()
		if i < 0 || !g.e.Runs(g.keys[i]) || !g.e.RunEvent(g.keys[i], g.name, g.members[i].run) {
			break
		}
	}
	g.firing = false
	g.hold()
}

// first is the place of the armed member with the least key, -1 if
// none is armed.
func (g *Group) first() int {
	first, least := -1, unarmed
	for i, k := range g.keys {
		if k.Less(least) {
			first, least = i, k
		}
	}
	return first
}

// hold queues the slot at the least key of the armed members (outside
// fire, which does it once it is done).
func (g *Group) hold() {
	if g.firing {
		return
	}
	if i := g.first(); i >= 0 {
		g.e.Hold(g.slot, g.keys[i])
	}
}
