package render

import "github.com/kubesim/kubesim/live"

// Layout is where each panel goes on a w x h screen.
type Layout struct {
	Header, Nodes, Footer, Events                 Rect
	Etcd, Pending, Workloads, Detail, SideDivider Rect
	// List is the table of a list view (pods, workloads, events).
	List Rect
}

// Side column widths: narrower than this the side panels are dropped
// (the nodes matter most), wider would waste the bins' room.
const (
	minSideW = 30
	maxSideW = 64
)

// ComputeLayout splits the screen: header on top, footer at the bottom,
// the event log above the footer, the nodes on the left, and on the right
// etcd, the pending queue, the workloads and the detail pane.
func ComputeLayout(w, h int, v *live.View, sel Selection) Layout {
	var l Layout
	l.Header = Rect{0, 0, w, 1}
	l.Footer = Rect{0, h - 1, w, 1}
	eh := min(max((h-2)/4, 3), 12)
	if h < 14 {
		eh = 0
	}
	l.Events = Rect{0, h - 1 - eh, w, eh}
	body := Rect{0, 1, w, h - 2 - eh}
	sw := min(max(w/3, minSideW), maxSideW)
	if w < 2*minSideW {
		sw = 0
	}
	l.Nodes = Rect{0, body.Y, w - sw - min(sw, 1), body.H}
	if sw == 0 {
		return l
	}
	x := w - sw
	l.SideDivider = Rect{x - 1, body.Y, 1, body.H}
	l.Etcd = Rect{x, body.Y, sw, 2}
	ph := 1 + max(1, min(len(v.Pending), 5))
	if sel.Focus == FocusPending && len(v.Pending) > 0 {
		ph += 2 // the scheduler's reason
	}
	wh := 2 + max(1, min(len(v.Workloads), 8))
	rest := body.H - l.Etcd.H
	ph = min(ph, max(rest/3, 2))
	wh = min(wh, max(rest-ph-5, 3))
	l.Pending = Rect{x, l.Etcd.Y + l.Etcd.H, sw, ph}
	l.Workloads = Rect{x, l.Pending.Y + ph, sw, wh}
	dy := l.Workloads.Y + wh
	l.Detail = Rect{x, dy, sw, max(0, body.Y+body.H-dy)}
	return l
}

// ComputeListLayout is the screen of a list view: the table on the left,
// the describe pane of its selected row on the right.
func ComputeListLayout(w, h int) Layout {
	var l Layout
	l.Header = Rect{0, 0, w, 1}
	l.Footer = Rect{0, h - 1, w, 1}
	body := Rect{0, 1, w, max(0, h-2)}
	sw := min(max(w*2/5, minSideW), maxSideW)
	if w < 110 { // the table needs the room more than the describe pane
		sw = 0
	}
	l.List = Rect{0, body.Y, w - sw - min(sw, 1), body.H}
	if sw > 0 {
		l.SideDivider = Rect{w - sw - 1, body.Y, 1, body.H}
		l.Detail = Rect{w - sw, body.Y, sw, body.H}
	}
	return l
}
