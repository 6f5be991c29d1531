package sim

import (
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
	firing  bool      // fire is running: it holds the slot when it is done
}

// Member is one member of a Group: at most one pending event at a time.
type Member struct {
	g     *Group
	armed bool
	key   Key
	run   func()
}

// NewGroup returns an empty group whose slot waits in lane l (nil: the
// heap); its members' events are named name.
func (e *Engine) NewGroup(l *Lane, name string) *Group {
	g := &Group{e: e, name: name}
	g.slot = e.NewBatch(l, g.fire)
	return g
}

// Join adds a member whose event runs run.
func (g *Group) Join(run func()) *Member {
	m := &Member{g: g, run: run}
	g.members = append(g.members, m)
	return m
}

// Arm schedules m's event at t, taking the key a timer scheduled now
// would take.
func (m *Member) Arm(t time.Duration) {
	m.armed = true
	m.key = m.g.e.Reserve(t)
	m.g.hold()
}

// Disarm takes m's pending event back (m runs it itself: an event that
// is done disarms before it arms the next).
func (m *Member) Disarm() { m.armed = false }

// Armed reports whether m has an event pending.
func (m *Member) Armed() bool { return m.armed }

// Leave takes m out of its group for good, and its pending event with
// it; the slot moves off m's key if it is held there (a key is never held
// again once left: the queue drops a left slot lazily).
func (m *Member) Leave() {
	g := m.g
	held := !g.firing && g.first() == m
	g.members = slices.DeleteFunc(g.members, func(x *Member) bool { return x == m })
	m.armed = false
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
		m := g.first()
		if m == nil || !g.e.Runs(m.key) || !g.e.RunEvent(m.key, g.name, m.run) {
			break
		}
	}
	g.firing = false
	g.hold()
}

// first is the armed member with the least key, nil if none is armed.
func (g *Group) first() *Member {
	var first *Member
	for _, m := range g.members {
		if m.armed && (first == nil || m.key.Less(first.key)) {
			first = m
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
	if m := g.first(); m != nil {
		g.e.Hold(g.slot, m.key)
	}
}
