package tui

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/kubesim/kubesim/tui/render"
	"github.com/kubesim/kubesim/tui/render/rendertest"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRedraw200Nodes is one frame of a 200-node, 3,000-pod cluster
// (rendertest.BigView: 20 Deployments, 500 events):
// render the view and copy it to a (simulated) terminal, as the event
// loop does 30 times a second. The bar is 5 ms.
// "pods" is the :pods view of the same cluster at 200x60: kubectl's
// table of all 3,000 pods, sorted by namespace and name at every frame.
func BenchmarkRedraw200Nodes(b *testing.B) {
	for _, sz := range [][3]int{{200, 60, 0}, {120, 40, 0}, {300, 100, 0}, {200, 60, 1}} {
		name := fmt.Sprintf("%dx%d", sz[0], sz[1])
		if sz[2] == 1 {
			name += "-pods"
		}
		b.Run(name, func(b *testing.B) {
			scr := tcell.NewSimulationScreen("UTF-8")
			if err := scr.Init(); err != nil {
				b.Fatal(err)
			}
			scr.SetSize(sz[0], sz[1])
			a := &App{canvas: render.NewCanvas(0, 0), view: rendertest.BigView(200, 15), detail: "Name: node-0\n"}
			a.sel = a.sel.Normalize(a.view)
			if sz[2] == 1 {
				a.nav.Mode = render.ModePods
			}
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
