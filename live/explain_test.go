package live

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExplainInASession: the node-failure story is told for a live
// session's replacement pod, and again after travelling back in time
// (the rebuilt cluster has its own recorder), and an unknown object gets
// a sentence, not a panic.
func TestExplainInASession(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(9*time.Minute))
	replacement := func() PodView {
		var newest PodView
		for _, n := range s.Snapshot().Nodes {
			for _, p := range n.Pods {
				if strings.HasPrefix(p.Name, "web-") && p.Created > newest.Created {
					newest = p
				}
			}
		}
		require.Greater(t, newest.Created, 7*time.Minute, "a replacement pod exists after the eviction")
		return newest
	}
	pod := replacement()
	text := s.ExplainText("Pod", pod.Namespace, pod.Name)
	for _, want := range []string{"chaos fail node/", "ready=Unknown", "unreachable:NoExecute", "taint-eviction-controller delete pod/", "replicaset", "bind pod/" + pod.Name, "tolerationSeconds"} {
		require.Contains(t, text, want, "%q in the chain:\n%s", want, text)
	}

	require.NoError(t, s.Rewind(8*time.Minute+30*time.Second))
	require.NoError(t, s.RunFor(30*time.Second))
	pod = replacement()
	require.Contains(t, s.ExplainText("Pod", pod.Namespace, pod.Name), "unreachable:NoExecute", "after a rewind")

	require.Equal(t, "nothing recorded about pod/nope in the recent trace", s.ExplainText("Pod", "default", "nope"))
}

// TestViewSaysCatchingUp: a session paced far faster than the cluster
// can run says so in its view; paused, it does not. (The session is not
// started: the test turns its pacing loop by hand.)
func TestViewSaysCatchingUp(t *testing.T) {
	s := newSession(t, "demo")
	s.mu.Lock()
	s.paused, s.speed, s.until = false, 1e9, 0 // a billion virtual seconds per wall second
	s.mu.Unlock()
	p := &pacer{wall: time.Now()}
	time.Sleep(600 * time.Millisecond) // over half a wall second of pace to catch up
	require.Zero(t, s.advance(p), "more to run at once")
	require.True(t, s.Snapshot().CatchingUp, "behind its pace")

	s.Pause()
	s.advance(p)
	s.mu.Lock()
	s.refreshLocked()
	s.mu.Unlock()
	require.False(t, s.Snapshot().CatchingUp, "a paused session is not behind")
}
