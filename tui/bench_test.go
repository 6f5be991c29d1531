package tui

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/tui/render"
)

// bigView is 200 nodes in three zones with 15 pods each (3,000 pods) of
// 20 Deployments, and 500 events.
func bigView(nodes, podsPer int) *live.View {
	v := &live.View{Scenario: "bench", Time: time.Hour, Speed: 30, Etcd: live.EtcdView{Leader: "etcd-1", Quorum: true,
		Members: []live.EtcdMemberView{{Name: "etcd-1", State: "leader"}, {Name: "etcd-2", State: "follower"}, {Name: "etcd-3", State: "follower"}}}}
	for w := 0; w < 20; w++ {
		v.Workloads = append(v.Workloads, live.WorkloadView{Kind: "Deployment", Namespace: "default", Name: fmt.Sprintf("app-%d", w), Desired: 150, Ready: 150})
	}
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	alloc := podutil.Resources{MilliCPU: 3920, Memory: 15 << 30, Pods: 58}
	for i := 0; i < nodes; i++ {
		n := live.NodeView{Name: fmt.Sprintf("node-%d", i), Zone: zones[i%3], Ready: "True", InstanceType: "m5.xlarge", Allocatable: alloc}
		for j := 0; j < podsPer; j++ {
			w := (i*podsPer + j) % 20
			p := live.PodView{Namespace: "default", Name: fmt.Sprintf("app-%d-%d-%d", w, i, j), Node: n.Name,
				Owner: fmt.Sprintf("Deployment/app-%d", w), State: "Running", Ready: true,
				Requests: podutil.Resources{MilliCPU: 200, Memory: 256 << 20, Pods: 1}}
			n.Requested = n.Requested.Add(p.Requests)
			n.Pods = append(n.Pods, p)
		}
		v.Nodes = append(v.Nodes, n)
	}
	for i := 0; i < 500; i++ {
		v.Events = append(v.Events, live.EventView{Time: time.Duration(i) * time.Second, Type: "Normal", Reason: "Scheduled",
			Object: fmt.Sprintf("pod/app-%d", i), Message: "Successfully assigned default/app to node-1"})
	}
	v.Counts = live.Counts{Nodes: nodes, NodesReady: nodes, Pods: nodes * podsPer, Running: nodes * podsPer}
	return v
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRedraw200Nodes is one frame of a 200-node, 3,000-pod cluster:
// render the view and copy it to a (simulated) terminal, as the event
// loop does 30 times a second. The bar is 5 ms.
func BenchmarkRedraw200Nodes(b *testing.B) {
	for _, sz := range [][2]int{{200, 60}, {120, 40}, {300, 100}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			scr := tcell.NewSimulationScreen("UTF-8")
			if err := scr.Init(); err != nil {
				b.Fatal(err)
			}
			scr.SetSize(sz[0], sz[1])
			a := &App{canvas: render.NewCanvas(0, 0), view: bigView(200, 15), detail: "Name: node-0\n"}
			a.sel = a.sel.Normalize(a.view)
			brd := newBoard(a)
			brd.SetRect(0, 0, sz[0], sz[1])
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for b.Loop() {
				brd.Draw(scr)
				scr.Show()
			}
			// On a loaded machine the wall time per frame (ns/op) mostly
			// measures waiting for a core; the process's CPU time per frame
			// is the work (it includes the GC's).
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/frame")
		})
	}
}
