package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
)

// TestFeedFollowers: a watch that follows its kind's feed (a latency, no
// filter) is told of exactly the changes made while it follows, latency
// after each, however many wait at once (across the feed's chunks), also
// when it starts following between the changes of one instant or stops
// in its own handler; and once the last follower stops, the feed lets
// its records go.
func TestFeedFollowers(t *testing.T) {
	cases := []struct {
		name    string
		burst   int // changes at one instant, then as many one a millisecond
		joinAt  int // the late follower starts after this many changes
		stopAt  int // the stopping follower stops itself after this many deliveries
		latency time.Duration
	}{
		{"one", 1, 0, 1, time.Millisecond},
		{"a chunk less one", feedChunkSize - 1, 3, 10, 2 * time.Millisecond},
		{"a chunk", feedChunkSize, feedChunkSize, feedChunkSize, 2 * time.Millisecond},
		{"a chunk and one", feedChunkSize + 1, feedChunkSize - 1, feedChunkSize + 1, 5 * time.Millisecond},
		{"chunks", 3*feedChunkSize + 7, 2*feedChunkSize + 1, 700, 10 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := sim.NewEngine(1)
			s := New(e)
			var all, late, stopping delivered
			var at []time.Duration // when each change was made
			stopAll := s.Watch("Pod", c.latency, all.handler(e))
			var stopLate, stopSelf func()
			stopSelf = s.Watch("Pod", c.latency, func(ev Event) {
				stopping.handler(e)(ev)
				if len(stopping) == c.stopAt {
					stopSelf()
				}
			})
			create := func(i int) {
				if i == c.joinAt {
					stopLate = s.Watch("Pod", c.latency, late.handler(e))
				}
				at = append(at, e.Elapsed())
				_, err := s.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: fmt.Sprint("p", i)}})
				require.NoError(t, err)
			}
			e.At(time.Second, "burst", func() {
				for i := range c.burst {
					create(i)
				}
			})
			for i := range c.burst {
				e.At(time.Second+time.Duration(i+1)*time.Millisecond, "write", func() { create(c.burst + i) })
			}
			e.RunUntil(time.Minute)

			want := func(from, to int) (d delivered) {
				for i := from; i < to; i++ {
					d = append(d, fmt.Sprint(at[i]+c.latency, " ", Added, " p", i, " ", i+1))
				}
				return d
			}
			n := 2 * c.burst
			require.Equal(t, want(0, n), all)
			require.Equal(t, want(c.joinAt, n), late)
			require.Equal(t, want(0, c.stopAt), stopping)
			pods := s.tables["Pod"]
			require.Equal(t, 2, pods.feed.followers)
			for _, w := range pods.watchers {
				require.Nil(t, w.front(), "everything was delivered")
			}
			stopAll()
			stopLate()
			stopLate() // a second stop changes nothing
			require.Zero(t, pods.feed.followers)
			require.Nil(t, pods.feed.tail, "no follower: the feed keeps nothing")
		})
	}
}

// TestFollowerStartedInFanout: a latency-0 handler that restarts a watch
// of its kind (stops one, starts another) during a change's fan-out puts
// the new watch where the fan-out may still visit it (the stopped one's
// place in the array being ranged over). The new watch is told of the
// changes made after it started, not of the one being fanned out, and
// nothing panics.
func TestFollowerStartedInFanout(t *testing.T) {
	e := sim.NewEngine(1)
	s := New(e)
	var got delivered
	var stopOld func()
	restarted := false
	s.Watch("Pod", 0, func(Event) {
		if !restarted {
			restarted = true
			stopOld()
			s.Watch("Pod", time.Millisecond, got.handler(e))
		}
	})
	stopOld = s.Watch("Pod", time.Millisecond, func(Event) {})
	for i, at := range []time.Duration{time.Second, 2 * time.Second} {
		e.At(at, "write", func() {
			_, err := s.Create(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: fmt.Sprint("p", i)}})
			require.NoError(t, err)
		})
	}
	require.NotPanics(t, func() { e.RunUntil(time.Minute) })
	require.Equal(t, delivered{"2.001s ADDED p1 2"}, got)
}
