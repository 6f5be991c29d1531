package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGroupMovedEarlierRunsEachEventOnce: a member armed before the held
// one (a shorter latency than the store's groups use) moves the slot
// earlier, leaving a stale slot at the held key; once the early one has
// run, the slot is held again at the key it left, so the stale slot is
// live again beside the new one. Each member's event still runs once,
// when a timer of its own would have, and nothing is left pending — in a
// lane and in the heap, with plain timers around to make the heap sweep.
func TestGroupMovedEarlierRunsEachEventOnce(t *testing.T) {
	for _, inLane := range []bool{false, true} {
		t.Run(fmt.Sprint("lane=", inLane), func(t *testing.T) {
			e := NewEngine(1)
			var l *Lane
			if inLane {
				l = e.NewLane()
			}
			g := e.NewGroup(l, "watch")
			var log []string
			note := func(s string) { log = append(log, fmt.Sprint(s, "@", e.Now().Sub(e.Start()))) }
			var a, b *Member
			a = g.Join(func() { a.Disarm(); note("a") })
			b = g.Join(func() { b.Disarm(); note("b") })
			// Plain timers, most cancelled between the two events, so the
			// heap sweeps its stale slots while the two slots of the group
			// are live.
			var plain []*Timer
			for i := range 200 {
				plain = append(plain, e.At(time.Duration(i)*time.Microsecond+15*time.Millisecond, "plain", func() {}))
			}
			e.At(7*time.Millisecond, "cancel", func() {
				for i, tm := range plain {
					if i%10 != 0 {
						e.Cancel(tm)
					}
				}
			})
			a.Arm(10 * time.Millisecond)
			b.Arm(5 * time.Millisecond)
			e.At(20*time.Millisecond, "end", func() { note("end") })
			e.RunUntil(time.Second)
			require.Equal(t, []string{"b@5ms", "a@10ms", "end@20ms"}, log)
			require.Equal(t, uint64(24), e.Events(), "a, b, cancel, end and 20 plain timers")
			_, pending := e.NextAt()
			require.False(t, pending, "nothing is left queued")
		})
	}
}

// TestGroupLeave: a member that leaves takes its pending event with it,
// whether it is the one the slot is held at or not, and leaving twice,
// or arming after leaving, changes nothing; the members after it in the
// group keep their events.
func TestGroupLeave(t *testing.T) {
	cases := []struct {
		name  string
		leave string // the member that leaves (twice) at 1 ms
		want  []string
	}{
		{"the held one", "b", []string{"c@3ms", "a@4ms", "d@5ms"}},
		{"one after it", "c", []string{"b@2ms", "a@4ms", "d@5ms"}},
		{"the last joined", "d", []string{"b@2ms", "c@3ms", "a@4ms"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := NewEngine(1)
			g := e.NewGroup(nil, "watch")
			var log []string
			ms := map[string]*Member{}
			for _, name := range []string{"a", "b", "c", "d"} {
				ms[name] = g.Join(func() {
					ms[name].Disarm()
					log = append(log, fmt.Sprint(name, "@", e.Now().Sub(e.Start())))
				})
			}
			for i, name := range []string{"a", "b", "c", "d"} {
				ms[name].Arm(time.Duration([]int{4, 2, 3, 5}[i]) * time.Millisecond)
			}
			e.At(time.Millisecond, "leave", func() {
				ms[c.leave].Leave()
				ms[c.leave].Leave()
				require.False(t, ms[c.leave].Armed())
				ms[c.leave].Arm(6 * time.Millisecond) // after Leave: nothing
				ms[c.leave].Disarm()
				require.False(t, ms[c.leave].Armed())
			})
			e.RunUntil(time.Second)
			require.Equal(t, c.want, log)
			_, pending := e.NextAt()
			require.False(t, pending, "nothing is left queued")
		})
	}
}
