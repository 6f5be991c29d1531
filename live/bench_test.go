package live

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/internal/manifests"
	"github.com/kubesim/kubesim/scenarios"
)

// BenchmarkRefresh is the cost of one view of a big cluster (300 nodes /
// 9,000 pods and 1,000 nodes / 30,000 pods), built once it runs steadily:
// what every frontend waits on while the simulation runs (the session
// publishes at most every five times this cost). "unchanged" rebuilds the
// view with nothing changed since the last one (what a refresh costs
// however little moved: walking the cluster); "rollout" after each tenth
// of a virtual second of a rollout restart of every Deployment (thousands
// of pods created, started, stopped and deleted: the store writes per
// refresh are reported), as the pacing loop publishes while it runs.
func BenchmarkRefresh(b *testing.B) {
	for _, size := range []struct{ nodes, deployments int }{{300, 30}, {1000, 100}} {
		b.Run(fmt.Sprintf("nodes=%d", size.nodes), func(b *testing.B) {
			s := steadySession(b, size.nodes, size.deployments, 300)
			refresh := func() {
				s.mu.Lock()
				s.refreshLocked()
				s.mu.Unlock()
			}
			b.Run("unchanged", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					refresh()
				}
			})
			b.Run("rollout", func(b *testing.B) {
				for i := range size.deployments {
					if _, err := s.Do(Command{Verb: "kubectl", Line: fmt.Sprintf("rollout restart deployment app-%d", i)}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				writes := int64(0)
				for b.Loop() {
					b.StopTimer()
					s.mu.Lock() // RunFor would refresh the view itself
					rev, target := s.c.Store.Rev(), s.c.Engine.Elapsed()+100*time.Millisecond
					for !s.runLocked(target, time.Now().Add(time.Minute), false) {
					}
					writes += s.c.Store.Rev() - rev
					s.mu.Unlock()
					b.StartTimer()
					refresh()
				}
				b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
			})
		})
	}
}

// steadySession is a paused session of scaleScenario run until every pod
// runs.
func steadySession(b *testing.B, nodes, deployments, replicas int) *Session {
	sc, err := scenarios.Parse("scale.yaml", []byte(manifests.ScaleScenario("scale", nodes, deployments, replicas)), nil)
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(sc, Options{Paused: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	want := deployments * replicas
	for s.Snapshot().Counts.Running < want && s.Snapshot().Time < 10*time.Minute {
		if err := s.RunFor(time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	if got := s.Snapshot().Counts.Running; got != want {
		b.Fatalf("%d pods running, want %d", got, want)
	}
	return s
}
