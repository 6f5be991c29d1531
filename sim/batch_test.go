package sim

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// queueSim is a set of watch-like members, each told of every write lat
// after it: with batched false every member keeps a timer of its own
// (what the store's watches did), with batched true the members are one
// Group. Deliveries and plain timers act at random (drawn from the
// engine's seeded stream, so both runs draw alike while they run alike):
// write (which arms idle members, with a plain timer armed between two
// of them, as a latency-0 handler may), arm plain timers now, at the
// next due instant or at its end, cancel one, stop a member (itself
// too), add a member. The log of what ran must be the same either way.
type queueSim struct {
	e       *Engine
	batched bool
	lat     time.Duration
	members []*member
	group   *Group
	plain   []*Timer
	budget  int
	log     []string
	ids     int
}

type member struct {
	q       *queueSim
	id      int
	writes  []time.Duration
	armed   bool
	stopped bool
	in      *Member // batched: m in the group
	timer   *Timer
}

func newQueueSim(seed uint64, batched bool, budget int) *queueSim {
	q := &queueSim{e: NewEngine(seed), batched: batched, lat: 2 * time.Millisecond, budget: budget}
	q.group = q.e.NewGroup(q.e.NewLane(), "watch")
	for range 6 {
		q.add()
	}
	return q
}

func (q *queueSim) draw(n int) int { return int(q.e.Rand("harness").Int64N(int64(n))) }

func (q *queueSim) add() {
	q.ids++
	m := &member{q: q, id: q.ids}
	if q.batched {
		m.in = q.group.Join(func() { q.deliver(m) })
	}
	q.members = append(q.members, m)
}

func (q *queueSim) write() {
	between := q.budget > 0 && q.draw(4) == 0
	for i, m := range q.members {
		if i == 1 && between {
			q.plainAt(q.e.Elapsed() + q.lat)
		}
		q.push(m)
	}
}

func (q *queueSim) push(m *member) {
	if m.stopped {
		return
	}
	m.writes = append(m.writes, q.e.Elapsed())
	if !m.armed {
		q.arm(m)
	}
}

func (q *queueSim) arm(m *member) {
	m.armed = true
	due := m.writes[0] + q.lat
	switch {
	case q.batched:
		m.in.Arm(due)
	case m.timer == nil:
		m.timer = q.e.At(due, "watch", func() { q.deliver(m) })
	default:
		q.e.Reschedule(m.timer, due)
	}
}

func (q *queueSim) deliver(m *member) {
	now := q.e.Elapsed()
	for len(m.writes) > 0 && m.writes[0]+q.lat <= now {
		m.writes = m.writes[1:]
		q.log = append(q.log, fmt.Sprintf("m%d@%v/%d", m.id, now, q.e.Trace().CurrentCause()))
		q.act()
		if m.stopped {
			return
		}
	}
	m.armed = false
	if q.batched {
		m.in.Disarm()
	}
	if len(m.writes) > 0 {
		q.arm(m)
	}
}

func (q *queueSim) stop(m *member) {
	if m.stopped {
		return
	}
	m.stopped = true
	m.writes = nil
	q.e.Cancel(m.timer)
	if q.batched {
		m.in.Leave()
	}
	q.members = slices.DeleteFunc(q.members, func(x *member) bool { return x == m })
	m.armed = false
}

func (q *queueSim) plainAt(t time.Duration) {
	n := len(q.plain)
	q.plain = append(q.plain, q.e.At(t, "plain", func() {
		q.log = append(q.log, fmt.Sprintf("p%d@%v", n, q.e.Elapsed()))
		q.act()
	}))
}

func (q *queueSim) act() {
	if q.budget == 0 {
		return
	}
	q.budget--
	q.e.Trace().SetCause(int64(len(q.log))) // what this arms is caused by this
	now := q.e.Elapsed()
	switch q.draw(24) {
	case 0, 1:
		q.write()
	case 2:
		q.plainAt(now)
	case 3:
		q.plainAt(now + q.lat)
	case 4:
		q.e.AtEnd(now+q.lat, "end", func() { q.log = append(q.log, "end"); q.act() })
	case 5:
		q.e.Cancel(q.plain[q.draw(len(q.plain))])
	case 6:
		if len(q.members) > 0 {
			q.stop(q.members[q.draw(len(q.members))])
		}
	case 7:
		q.add()
	case 8:
		q.plainAt(now + time.Duration(q.draw(5))*time.Millisecond)
	}
}

func (q *queueSim) run() []string {
	for i := range 20 {
		q.e.At(time.Duration(i)*time.Millisecond, "write", func() { q.log = append(q.log, "w"); q.write(); q.act() })
	}
	q.e.RunUntil(time.Hour)
	return q.log
}

// TestBatchRunsEventsAsTheirOwnTimers: members sharing a batch slot run
// their deliveries in exactly the order and with the trace causes that
// timers of their own would, among other timers armed by the handlers
// (at the same and the next due instant, cancelled, at an instant's end)
// and with members stopped (by themselves too) and added mid-run; and
// the batch takes fewer engine steps for the same events.
func TestBatchRunsEventsAsTheirOwnTimers(t *testing.T) {
	for _, tc := range []struct {
		seed   uint64
		budget int
	}{{1, 0}, {2, 50}, {3, 400}, {4, 2000}, {5, 2000}, {6, 5000}} {
		t.Run(fmt.Sprint(tc.seed), func(t *testing.T) {
			own := newQueueSim(tc.seed, false, tc.budget)
			batched := newQueueSim(tc.seed, true, tc.budget)
			want := own.run()
			require.Equal(t, want, batched.run())
			require.Greater(t, len(want), 20)
			require.Equal(t, own.e.Events(), batched.e.Events())
			require.Equal(t, own.e.Events(), own.e.Steps(), "without a batch every step is one event")
			require.Less(t, batched.e.Steps(), own.e.Steps())
			require.Equal(t, own.e.BusiestInstant(), batched.e.BusiestInstant())
		})
	}
}

// TestStepOneRunsOneEventOfABatch: driven by StepOne (a person stepping
// through a session, the runner's invariant checks), a batch's slot runs
// one event per call, and the events and their order are the same.
func TestStepOneRunsOneEventOfABatch(t *testing.T) {
	for _, seed := range []uint64{1, 4, 6} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			own := newQueueSim(seed, false, 2000)
			want := own.run()
			one := newQueueSim(seed, true, 2000)
			for i := range 20 {
				one.e.At(time.Duration(i)*time.Millisecond, "write", func() { one.log = append(one.log, "w"); one.write(); one.act() })
			}
			calls := uint64(0)
			for {
				before := one.e.Events()
				if !one.e.StepOne() {
					break
				}
				calls++
				require.LessOrEqual(t, one.e.Events()-before, uint64(1), "call %d ran more than one event", calls)
			}
			require.Equal(t, want, one.log)
			require.Equal(t, own.e.Events(), one.e.Events())
			require.GreaterOrEqual(t, calls, one.e.Events())
		})
	}
}
